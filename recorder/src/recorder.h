#pragma once
// One recording: the allocator hooks, the reference tracer (3.13+), the checkpoints and the trace they write.
//
// Threads: CPython calls the object-domain allocator and the reference tracer with the GIL held, and checkpoints
// and collector callbacks run with it too, so everything below is serialized by the GIL and needs no lock of its
// own. The only other threads are the writer's (behind its own mutex) and the service thread (service.h), which
// takes the GIL before it touches anything here.
//
// Life of a block (BlockTable): an allocation makes it Pending (no record yet: the object's type is not set when
// the allocator returns). It becomes Live when the trace gets its `A`: when the tracer reports the object created
// (3.13+), when a checkpoint finds it, or just before its `F` when it is freed first. A Live object freed by the
// allocator, destroyed for the tracer, or deallocated by a freelist type's deallocator (dealloc_hooks.cpp) gets
// its `F` then; one found with refcount 0 at a checkpoint (a death nothing reported) gets it there.
#include <Python.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "address_set.h"
#include "block_table.h"
#include "owned_size.h"
#include "reference_labels.h"
#include "root_table.h"
#include "static_memory.h"
#include "stack_table.h"
#include "trace_writer.h"
#include "type_registry.h"

namespace refscope::recorder {

class CheckpointWalk;

struct Options {
  std::string path;
  int stack_depth = 1;
  int zstd_level = 0;         // 0: not compressed
  bool text = false;          // the text form of the trace instead of the binary encoding
  uint64_t max_bytes = 0;     // 0: no cap
  int checkpoint_every_ms = 0;
  bool use_tracer = true;     // PyRefTracer on 3.13+
  int checkpoint_signal = 0;  // 0: none
  bool final_checkpoint_on_signals = true;  // SIGTERM, SIGHUP, SIGQUIT, SIGINT: checkpoint, then die of it
  bool quiet = false;         // no warnings on stderr (errors still go there)
  int control_fd = -1;        // refscope attach's control socket (service.cpp), owned by the recording
  std::string argv;           // for `@ argv`
  std::string paths;          // for `@ path KIND DIR`: lines of "KIND DIR" (project root, cwd, stdlib, site dirs)
  std::string explain_path;   // REFSCOPE_RECORD_EXPLAIN: where explain.cpp writes, "" for nowhere
};

class Recorder {
 public:
  Recorder();
  ~Recorder();

  bool start(const Options& options, std::string& error);
  // Ends the recording: stops the service thread, writes the final checkpoint (marker `label`, unless empty),
  // uninstalls what it can, ends the trace with `E reason` and closes it. Returns the writer's error, if any.
  std::string stop(const std::string& reason = "stop", const std::string& label = "", PyObject* atexit_handler = nullptr);
  bool active() const { return active_; }
  // Still in the allocator chain after stop(): another tool wrapped our hooks, so they stay, passing calls through.
  bool hooks_installed() const { return hooks_installed_; }

  // A checkpoint: objects, references and refcounts as they are now, then `M label`. Needs the GIL.
  // `atexit_handler`: the function atexit is running, when the checkpoint is taken from it.
  void checkpoint(const std::string& label, PyObject* atexit_handler = nullptr);
  void gc_started(long generation);
  void gc_finished(long collected, long uncollectable);

  // In a child after fork, from os.register_at_fork (GIL held): continue into a new trace, or stop.
  void after_fork_child(const std::string* new_path);
  // From pthread_atfork in the child: detach from the parent's file and threads before anything is written.
  void detach_after_fork();

  // The hooks (alloc_hooks.cpp, ref_tracer.cpp).
  void on_alloc(void* block, size_t size);
  void on_free(void* block);
  void on_realloc(void* old_block, void* block, size_t size);
  void on_create(PyObject* op);
  void on_destroy(PyObject* op);
  void on_dealloc(PyObject* op);  // dealloc_hooks.cpp: an object of a freelist type dies

  void stop_from_writer();
  // One line to refscope attach on the control socket (no-op when not attached).
  void send_control(const std::string& line);
  // `started TID` to refscope attach, TID being the service thread's.
  void report_started();

 private:
  friend class CheckpointWalk;
  void write_header();
  void write_alloc(Block& b);
  void write_free(uintptr_t object);
  void write_alloc_and_free(uintptr_t object, uint64_t size, uint32_t type, uint32_t site);
  void write_refcount(uintptr_t object, int64_t refcount);
  void write_marker(const std::string& label);
  // At a checkpoint, for a live object: `Z` when the memory it owns changed since the trace last said
  // (owned_size.h), or it is unmeasured and the trace does not know yet; `K` when it has a name of its own that
  // the trace has not been told. `is_new`: its `A` is this checkpoint's.
  void note_object(Block& b, bool is_new);
  void write_size(uintptr_t object, uint64_t size, bool measured);
  void write_name(uintptr_t object, uint32_t label);
  // Finds the object in a block whose type is not known yet (refcount 0 when it is being freed, >= 1 when live).
  struct ObjectFound {
    uint32_t offset = 0;
    uint32_t type = 0;
    bool is_metatype = false;
    bool is_code = false;
  };
  bool find_object(uintptr_t addr, uint64_t size, bool being_freed, ObjectFound& found);
  bool identify(Block& b, bool being_freed);
  // The object of a block that is being freed or destroyed: a type or a code object is forgotten.
  void forget_if_type(const Block& b);
  void kill(Block& b);
  // The nursery (alloc_hooks.cpp): Pending blocks of the recent allocations, direct-mapped.
  struct NurseryEntry {
    uintptr_t addr;  // 0 = empty
    uint32_t size;
    uint32_t site;
  };
  static constexpr size_t kNurserySlots = 2048;
  static size_t nursery_slot(uintptr_t addr) {
    // Neighbouring blocks of one pool get neighbouring slots; pools are spread so that the same offset in two
    // pools does not collide.
    return static_cast<size_t>((addr >> 4) + static_cast<uint32_t>((addr >> 14) * 0x9E3779B9u)) &
           (kNurserySlots - 1);
  }
  void nursery_evict(NurseryEntry& e);
  void nursery_take(uintptr_t addr);
  void nursery_flush();
  void install_hooks();
  bool uninstall_hooks();
  void restore_interpreter();
  void warn(const std::string& message);  // not when quiet
  void say(const std::string& message);   // always (errors)
  void report_writer_stop();
  // The end of the trace: `E reason detail`, written by close_trace() unless the writer already stopped.
  void set_end(const std::string& reason, const std::string& detail = {});
  void close_trace();

  // The service thread and the signal handlers (service.cpp).
  void start_service();
  void stop_service();
  void service_loop();
  template <typename F>
  bool with_gil(F&& work);
  [[noreturn]] void finish_on_signal(int sig);
  bool serve_control();
  void install_signal_handlers();
  void restore_signal_handlers();
  void forget_signals_after_fork();

  Options options_;
  bool active_ = false;
  bool suspended_ = false;  // a checkpoint runs: its own allocations are not the program's
  bool hooks_installed_ = false;
  bool dealloc_hooks_installed_ = false;
  bool tracer_installed_ = false;
  bool tracer_lost_reported_ = false;
  TraceWriter writer_;
  BlockTable blocks_;
  TypeRegistry types_;
  StackTable stacks_;
  RootTable roots_;
  StaticMemory statics_;
  AddressSet dead_;  // objects given an `F` since the last checkpoint
  // Most objects are freed soon after they are allocated: their Pending blocks wait here rather than in blocks_,
  // so that the free finds them at one known slot and nothing has to be erased from the table. A block is in
  // the nursery or in blocks_, never both. Off when the reference tracer runs (it makes every block Live at
  // once, in blocks_).
  bool use_nursery_ = true;
  NurseryEntry nursery_[kNurserySlots] = {};

  // Sizes: objects whose figure differs from their `A`'s SIZE, as the trace last said (kUnmeasured marks a `?`).
  // Their blocks have kSized; an entry goes when its object dies (kill) or a new `A` takes the block.
  OwnedSizes owned_;
  ReferenceLabels labels_{writer_};
  static constexpr uint64_t kUnmeasured = uint64_t{1} << 63;
  std::unordered_map<uintptr_t, uint64_t> sizes_;

  // The checkpoint's walk, kept from one checkpoint to the next so that its tables keep their size.
  CheckpointWalk* walk_ = nullptr;
  void destroy_walk();

  // The references of the last checkpoint, (owner, referent) sorted, one entry per reference.
  std::vector<std::pair<uintptr_t, uintptr_t>> edges_;

  std::thread* service_ = nullptr;
  std::thread::id service_id_;
  std::atomic<pid_t> service_tid_{0};  // its kernel thread id, which refscope attach waits to see gone
  std::atomic<bool> service_stop_{false};
  int wake_fd_ = -1;     // eventfd: signals and stop() wake the service thread
  int control_fd_ = -1;  // refscope's control socket when it attached to the process, else -1
  std::string control_in_;  // what came on it, up to a line end
  bool writer_stop_reported_ = false;
  bool stopping_ = false;  // stop() runs (it may let the GIL go while it waits for the service thread)
  std::string end_reason_ = "stop";
  std::string end_detail_;
};

// The one recording of this process (nullptr when none runs).
extern Recorder* g_recorder;

}  // namespace refscope::recorder
