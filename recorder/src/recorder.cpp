#include "recorder.h"

#include <algorithm>
#include <csignal>
#include <chrono>
#include <unistd.h>

#include "dealloc_hooks.h"
#include "float_freelist.h"
#include "python_text.h"
#include "record_format.h"
#include "ref_tracer.h"

namespace refscope::recorder {

Recorder* g_recorder = nullptr;

namespace {

volatile sig_atomic_t g_signal_seen = 0;
void on_checkpoint_signal(int) { g_signal_seen = 1; }

int run_pending_checkpoint(void*) {
  if (g_recorder != nullptr && g_recorder->active() && g_recorder->checkpoint_requested()) {
    g_recorder->checkpoint(g_signal_seen ? "signal" : "checkpoint");
    g_signal_seen = 0;
  }
  return 0;
}

void writer_stopped(void* ctx) { static_cast<Recorder*>(ctx)->stop_from_writer(); }

}  // namespace

Recorder::Recorder() : types_(writer_), stacks_(writer_) {}

Recorder::~Recorder() { stop(); }

bool Recorder::start(const Options& options, std::string& error) {
  options_ = options;
  if (!writer_.open(options.path, options.zstd_level, options.max_bytes, error)) return false;
  writer_.set_on_stop(writer_stopped, this);
  write_header();
  active_ = true;
  install_hooks();
  if (options.use_tracer) {
    bool taken = false;
    tracer_installed_ = install_ref_tracer(taken);
    if (tracer_installed_) {
      // The tracer makes every block Live as soon as it is created: the nursery would only add a move.
      nursery_flush();
      use_nursery_ = false;
    }
    if (taken) warn("the reference tracer is taken (tracemalloc?); freelist reuse is seen at checkpoints only");
  }
  // Freelists: floats are closed for the recording; the other types' deaths are seen by their deallocators
  // (unless the tracer sees them).
  refscope_float_freelist_close();
  if (!tracer_installed_) {
    install_dealloc_hooks();
    dealloc_hooks_installed_ = true;
  }
  if (options.checkpoint_signal > 0) {
    struct sigaction current {};
    sigaction(options.checkpoint_signal, nullptr, &current);
    if (current.sa_handler == SIG_DFL) {
      struct sigaction sa {};
      sa.sa_handler = on_checkpoint_signal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESTART;
      sigaction(options.checkpoint_signal, &sa, nullptr);
    }
  }
  start_timer();
  return true;
}

std::string Recorder::stop() {
  if (!writer_.is_open()) return {};
  stop_timer();
  active_ = false;
  if (tracer_installed_) uninstall_ref_tracer();
  tracer_installed_ = false;
  restore_interpreter();
  uninstall_hooks();
  writer_.close();
  return writer_.error();
}

// What the recording changed in the interpreter besides the allocator and the tracer goes back as it was.
void Recorder::restore_interpreter() {
  if (dealloc_hooks_installed_) uninstall_dealloc_hooks();
  dealloc_hooks_installed_ = false;
  refscope_float_freelist_reopen();
}

void Recorder::stop_from_writer() {
  if (!active_) return;
  active_ = false;
  warn("recording stopped: " + writer_.error() + "; the program goes on");
}

void Recorder::warn(const std::string& message) {
  std::string line = "refscope: " + message + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

void Recorder::write_header() {
  std::string version = Py_GetVersion();  // "3.11.2 (main, ...) [GCC ...]"
  version.resize(std::min(version.find(' '), version.size()));
  std::string header = "refscope-trace 1\n@ refs sampled\n@ python " + version;
  header += "\n@ pid " + std::to_string(getpid()) + "\n";
  std::string argv = options_.argv;
  sanitize_line(argv);
  header += "@ argv " + argv + "\n";
  header += "@ recorder refscope_record stack-depth " + std::to_string(options_.stack_depth) + "\n";
  char* p = writer_.reserve(header.size());
  p = put_text(p, header);
  writer_.commit(p);
}

void Recorder::write_marker(const std::string& label) {
  std::string text = label;
  sanitize_line(text);
  if (text.size() > 4096) text.resize(4096);
  char* p = writer_.reserve(text.size() + 4);
  p = put_text(p, "M ");
  p = put_text(p, text);
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::gc_started(long generation) {
  if (!active_) return;
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "G ");
  p = put_dec(p, static_cast<uint64_t>(generation < 0 ? 0 : generation));
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::gc_finished(long collected, long uncollectable) {
  if (!active_) return;
  // A full collection clears the freelists, which reopens the float one: closed again before anything else
  // runs (the recorder's callback comes first in gc.callbacks).
  refscope_float_freelist_close();
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "g ");
  p = put_dec(p, static_cast<uint64_t>(collected < 0 ? 0 : collected));
  p = put_char(p, ' ');
  p = put_dec(p, static_cast<uint64_t>(uncollectable < 0 ? 0 : uncollectable));
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::start_timer() {
  if (options_.checkpoint_every_ms <= 0 && options_.checkpoint_signal <= 0) return;
  timer_stop_ = false;
  int every = options_.checkpoint_every_ms;
  timer_ = new std::thread([this, every] {
    using clock = std::chrono::steady_clock;
    auto next = clock::now() + std::chrono::milliseconds(every > 0 ? every : 1 << 30);
    while (!timer_stop_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(every > 0 && every < 50 ? every : 50));
      bool due = every > 0 && clock::now() >= next;
      if (due || g_signal_seen) {
        if (due) next = clock::now() + std::chrono::milliseconds(every);
        // At most one request waits; the interpreter runs it at its next safe point, with the GIL.
        if (!pending_checkpoint_.exchange(true)) Py_AddPendingCall(run_pending_checkpoint, nullptr);
      }
    }
  });
}

void Recorder::stop_timer() {
  if (timer_ == nullptr) return;
  timer_stop_ = true;
  timer_->join();
  delete timer_;
  timer_ = nullptr;
}

void Recorder::detach_after_fork() {
  // Runs in the child inside fork(): no Python, no locks. The parent's threads do not exist here.
  writer_.abandon_after_fork();
  timer_ = nullptr;  // leaked: it belonged to the parent
  active_ = false;
}

void Recorder::after_fork_child(const std::string* new_path) {
  if (new_path == nullptr) {
    hooks_installed_ = hooks_installed_ && !uninstall_hooks();
    if (tracer_installed_) uninstall_ref_tracer();
    tracer_installed_ = false;
    restore_interpreter();
    return;
  }
  // A new trace that starts from nothing: everything the parent's trace knew is unknown to this one.
  std::string error;
  Options options = options_;
  options.path = *new_path;
  options_ = options;
  if (!writer_.open(options.path, options.zstd_level, options.max_bytes, error)) {
    warn("recording stopped in child " + std::to_string(getpid()) + ": " + error);
    after_fork_child(nullptr);
    return;
  }
  writer_.set_on_stop(writer_stopped, this);
  for (size_t i = 0; i < blocks_.capacity(); ++i) {
    Block* b = blocks_.slot(i);
    if (b->addr == 0) continue;
    // Guessed blocks are not ours to read blind: they come back when a checkpoint's walk reaches them.
    if (b->flags & kGuessed) b->state = BlockState::Dead;
    else if (b->state == BlockState::Live) b->state = BlockState::Pending;
    b->last_refcount = kNoRefcount;
    b->flags &= kGuessed;
  }
  edges_.clear();
  dead_.clear();
  types_.reset_written();
  stacks_.reset_written();
  write_header();
  active_ = true;
  start_timer();
}

}  // namespace refscope::recorder
