#pragma once
// A checkpoint's walk over the heap (checkpoint.cpp says what a checkpoint writes, and in which order).
//
// The walk finds every reference it can account for, each once, as an (owner, referent) pair:
//   - objects the collector tracks (gc.get_objects), their tp_traverse, and what tp_traverse is silent about
//     (object_referents.c: str dict keys, code objects, heap types' names, ...), for every object reached;
//   - named roots (heap_roots.cpp): the interpreter's own references (sys.modules, builtins, caches), each
//     thread's state and running frames with their value stacks, static types;
//   - C static variables and C modules' states (static_data_scan.cpp), read word by word.
// An owner is an object's address, or a named root as an odd number (root_table.h). The same object of this
// class serves every checkpoint of a recording, so that its tables keep their size.
#include <Python.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "address_set.h"
#include "interpreter_roots.h"
#include "recorder.h"

namespace refscope::recorder {

// Objects a checkpoint reports as `R ADDR immortal`: immortal in CPython's sense (3.12+), 3.11's static and
// deep-frozen objects, and every object laid out in an image's static data (never freed, whatever its count).
bool is_immortal(PyObject* op, const StaticMemory& statics);

class CheckpointWalk {
 public:
  explicit CheckpointWalk(Recorder& r) : r_(r) {}

  // A Pending block that holds an object gets its `A`; a Live object whose refcount is 0 died unreported and gets
  // its `F`; a live object in a Dead block a freelist keeps gets its `A`.
  void introduce_table_blocks();
  // The reference graph as it is now, from `roots` (gc.get_objects()) and the named roots. `atexit_handler`: the
  // handler atexit is running, for the exit checkpoint.
  void walk(PyObject* roots, PyObject* atexit_handler);
  // Objects of the graph the trace does not know yet get their `A`.
  void introduce_graph_objects();
  // `D`/`I` (objects' references) and `U`/`P` (named roots') for what changed since the last checkpoint.
  void write_reference_changes();
  // `R` for each object whose refcount changed, that is new, or whose references changed.
  void write_refcounts();
  // With REFSCOPE_RECORD_EXPLAIN=FILE: the objects whose refcount the walk did not explain (explain.cpp).
  void explain_unexplained(const char* path);

 private:
  // --- The walk (checkpoint.cpp) ------------------------------------------------------------------------------
  size_t walk_nodes(size_t from);
  static bool complete_when_untracked(PyObject* op);
  void add_node(PyObject* op);
  void add_edge(uintptr_t owner, PyObject* target);
  static bool uncounted_singleton(uintptr_t owner, PyObject* target);
  static int visit(PyObject* child, void* arg);
  static int claim_keys(void* keys, PyObject* owner, void* arg);
  static PyObject* known_object_at(uintptr_t addr, void* arg);
  bool readable(const Block& b) const;
  Block* find_live(uintptr_t object);
  void diff_owner(uintptr_t owner, size_t i, size_t i_end, size_t j, size_t j_end,
                  std::vector<std::pair<uintptr_t, uintptr_t>>& next);
  void write_ref(char kind, uintptr_t object, uintptr_t owner, uint32_t label);

  // --- Named roots (heap_roots.cpp) ---------------------------------------------------------------------------
  void walk_named_roots();
  void root_ref(uintptr_t owner, PyObject* obj) { add_edge(owner, obj); }
  static void interp_ref(void* ctx, int root, PyObject* obj);
  int thread_slot(unsigned long thread);
  static void thread_ref(void* ctx, unsigned long thread, PyObject* obj);
  static void frame_ref(void* ctx, unsigned long thread, int depth, PyObject* code, int lasti, PyObject* owner,
                        PyObject* obj, int slot, int exact_only);
  void note_frame_label(uintptr_t owner, PyObject* obj, PyObject* code, int slot);
  uint32_t walk_label(uintptr_t owner, uintptr_t object);
  void walk_static_types();
  static int static_ref(PyObject* obj, void* arg);
  static void entry_ref(void* ctx, unsigned long thread, PyObject* code, PyObject* function, PyObject* first,
                        PyObject* exec_locals);
  static void kwcall_ref(void* ctx, unsigned long thread, PyObject* args, PyObject* kwargs);
  PyObject* keyword_names_tuple(PyObject* kwargs);
  size_t walk_c_holders(PyObject* atexit_handler, size_t done);
  void c_hold(uintptr_t owner, PyObject* obj) {
    if (obj != nullptr) c_held_.emplace_back(owner, obj);
  }
  void walk_main_program(bool exiting);
  PyObject* object_held_by_c(PyTypeObject* type, const std::function<bool(PyObject*)>& matches);
  long references_found(PyObject* op);
  static long program_refcount(PyObject* op);
  void arena_lists_on_c_stacks(std::vector<PyObject*>& out);

  // --- Static data and module states (static_data_scan.cpp) ---------------------------------------------------
  void scan_static_data();
  void drop_uncounted_edges();
  uintptr_t static_object_end(uintptr_t a, uintptr_t refcount, uintptr_t limit);
  static bool borrowed_static_target(PyObject* target, int seen, const std::string& image);
  static bool holds_python_objects(const std::string& image);
  void scan_module_state(PyObject* module);
  void dead_future_iters(PyObject* module, uintptr_t it);
  static int count_visit(PyObject* child, void* arg);
  PyObject* known_object(uintptr_t addr);
  PyObject* probe_object(uintptr_t addr);
  bool plausible_object(PyObject* op);

  Recorder& r_;
  AddressSet visited_;
  std::vector<PyObject*> nodes_;
  std::vector<std::pair<uintptr_t, uintptr_t>> edges_;
  std::vector<uintptr_t> owners_;
  std::vector<uintptr_t> touched_;
  // One owner's changed references (target, whether new) in order, its new targets and their labels.
  std::vector<std::pair<uintptr_t, bool>> changes_;
  std::vector<uintptr_t> fresh_;
  std::vector<uint32_t> fresh_labels_;
  uintptr_t owner_ = 0;
  std::unordered_map<uintptr_t, uintptr_t> claimed_keys_;  // shared keys table -> the owner of its references
  // What a frame's reference is, for the label of its `P` (or of its generator's `I`): (owner, referent) -> the
  // code object and the frame's slot (heap_roots.cpp). The first the walk meets wins, as a list's first index.
  struct FrameSlot {
    PyObject* code;
    int slot;
  };
  struct PairHash {
    size_t operator()(const std::pair<uintptr_t, uintptr_t>& p) const {
      return std::hash<uintptr_t>()(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
    }
  };
  std::unordered_map<std::pair<uintptr_t, uintptr_t>, FrameSlot, PairHash> frame_slots_;
  std::vector<size_t> doubtful_;  // edges_ taken on a pointer's evidence alone (drop_uncounted_edges)
  uintptr_t interp_owners_[REFSCOPE_ROOT_COUNT] = {};
  // Threads' roots are keyed by a slot, not by the thread: a program that starts thread after thread reuses the
  // slots of those that ended, so the roots stay as many as the threads alive at once. Slot 0 is the main
  // thread's; thread number -> slot, and the checkpoint that last saw it.
  std::unordered_map<unsigned long, std::pair<int, uint64_t>> thread_slots_;
  std::vector<bool> slot_used_{true};
  uint64_t walk_count_ = 0;
  unsigned long thread_state_of_ = ~0ul;
  uintptr_t thread_state_owner_ = 0;
  uintptr_t thread_owner_ = 0;
  struct EntryFrame {
    PyObject* code;
    PyObject* function;
    PyObject* first;        // its first local variable (its first argument), or NULL
    PyObject* exec_locals;  // its locals, if the builtin exec or eval runs it (3.12+)
  };
  std::vector<EntryFrame> entry_frames_;  // the frames C code called
  std::vector<std::pair<PyObject*, PyObject*>> kwcalls_;  // (args or NULL, kwargs) of calls with ** arguments
  std::vector<std::pair<uintptr_t, PyObject*>> c_held_;           // (root, object) that C code may hold
  PyTypeObject* static_type_ = nullptr;
  uintptr_t static_owner_ = 0;
  std::vector<PyTypeObject*> static_types_;
  // (image << 48) ^ target -> how often the m_traverse of that image's modules visited it
  std::unordered_map<uint64_t, int> module_traversed_;
};

}  // namespace refscope::recorder
