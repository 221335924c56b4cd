#include "recorder.h"

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <unistd.h>

#include "container_freelists.h"
#include "dealloc_hooks.h"
#include "float_freelist.h"
#include "python_text.h"
#include "record_format.h"
#include "ref_tracer.h"

namespace refscope::recorder {

Recorder* g_recorder = nullptr;

namespace {

void writer_stopped(void* ctx) { static_cast<Recorder*>(ctx)->stop_from_writer(); }

}  // namespace

Recorder::Recorder() : types_(writer_), stacks_(writer_), roots_(writer_) {}

Recorder::~Recorder() {
  stop();
  destroy_walk();
}

bool Recorder::start(const Options& options, std::string& error) {
  options_ = options;
  control_fd_ = options.control_fd;
  if (const char* explain = std::getenv("REFSCOPE_RECORD_EXPLAIN"); explain != nullptr && *explain != '\0')
    options_.explain_path = explain;
  if (!writer_.open(options.path, options.zstd_level, options.max_bytes, !options.text, error)) return false;
  writer_.set_on_stop(writer_stopped, this);
  writer_stop_reported_ = false;
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
  // (unless the tracer sees them), which keep the list, dict and tuple freelists empty from here on.
  refscope_float_freelist_close();
  if (!tracer_installed_) {
    refscope_container_freelists_drain();
    install_dealloc_hooks();
    dealloc_hooks_installed_ = true;
  }
  start_service();
  return true;
}

std::string Recorder::stop(const std::string& reason, const std::string& label, PyObject* atexit_handler) {
  if (!writer_.is_open() || stopping_) return {};
  stopping_ = true;
  stop_service();
  if (!label.empty()) checkpoint(label, atexit_handler);
  active_ = false;
  if (tracer_installed_) uninstall_ref_tracer();
  tracer_installed_ = false;
  restore_interpreter();
  uninstall_hooks();
  set_end(reason);
  close_trace();
  report_writer_stop();
  std::string error = writer_.error();
  if (control_fd_ >= 0) {
    send_control("ended " + reason + " " + std::to_string(writer_.bytes_out()) + (error.empty() ? "" : " " + error));
    ::close(control_fd_);
    control_fd_ = -1;
  }
  stopping_ = false;
  restore_signal_handlers();  // last: a terminating signal that came meanwhile ends the process here
  return error;
}

// What the recording changed in the interpreter besides the allocator and the tracer goes back as it was.
void Recorder::restore_interpreter() {
  if (dealloc_hooks_installed_) uninstall_dealloc_hooks();
  dealloc_hooks_installed_ = false;
  refscope_float_freelist_reopen();
}

void Recorder::set_end(const std::string& reason, const std::string& detail) {
  end_reason_ = reason;
  end_detail_ = detail;
}

void Recorder::close_trace() {
  if (!writer_.is_open()) return;
  active_ = false;
  if (!writer_.stopped()) {
    std::string text = "E " + end_reason_;
    if (!end_detail_.empty()) text += " " + end_detail_;
    sanitize_line(text);
    char* start = writer_.reserve(text.size() + 1 + TraceWriter::kTextSlack);
    char* p = put_text(start, text);
    p = put_char(p, '\n');
    writer_.commit_text(start, p);
  }
  writer_.close();
}

void Recorder::stop_from_writer() {
  if (!active_) return;
  active_ = false;
  report_writer_stop();
}

// Once per trace: why the writer stopped. A cut at the size cap is what the user asked for (a warning); a write
// that failed is an error, shown even when quiet.
void Recorder::report_writer_stop() {
  if (writer_stop_reported_ || !writer_.stopped()) return;
  writer_stop_reported_ = true;
  if (writer_.capped()) {
    warn("the trace " + options_.path + " " + writer_.error().substr(std::string("the trace ").size()) +
         "; the program goes on unrecorded");
  } else {
    say("recording stopped: " + writer_.error() + "; the program goes on");
  }
}

void Recorder::warn(const std::string& message) {
  if (!options_.quiet) say(message);
}

void Recorder::say(const std::string& message) {
  std::string line = "refscope: " + message + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

void Recorder::write_header() {
  std::string version = Py_GetVersion();  // "3.11.2 (main, ...) [GCC ...]"
  version.resize(std::min(version.find(' '), version.size()));
  std::string header = "refscope-trace 2\n@ refs sampled\n@ python " + version;
  header += "\n@ pid " + std::to_string(getpid()) + "\n";
  std::string argv = options_.argv;
  sanitize_line(argv);
  if (argv.size() > 2000) argv = argv.substr(0, 2000) + "...";  // the header must fit under any size cap
  header += "@ argv " + argv + "\n";
  // Where the project, the stdlib and the site directories are, so that refscope can name files portably. Bounded
  // like argv: the header must fit under any size cap.
  size_t written = 0;
  for (size_t at = 0; at < options_.paths.size();) {
    size_t nl = options_.paths.find('\n', at);
    std::string entry = options_.paths.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? options_.paths.size() : nl + 1;
    sanitize_line(entry);
    if (entry.empty() || entry.size() > 1024 || written + entry.size() > 1536) continue;
    written += entry.size();
    header += "@ path " + entry + "\n";
  }
  header += "@ recorder refscope_record stack-depth " + std::to_string(options_.stack_depth) + "\n";
  char* start = writer_.reserve(header.size() + TraceWriter::kTextSlack);
  char* p = put_text(start, header);
  writer_.commit_text(start, p);
}

void Recorder::write_marker(const std::string& label) {
  std::string text = label;
  sanitize_line(text);
  if (text.size() > 4096) text.resize(4096);
  char* start = writer_.reserve(text.size() + 4 + TraceWriter::kTextSlack);
  char* p = put_text(start, "M ");
  p = put_text(p, text);
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
}

void Recorder::gc_started(long generation) {
  if (!active_) return;
  char* start = writer_.reserve(kMaxFixedRecord);
  char* p = put_text(start, "G ");
  p = put_dec(p, static_cast<uint64_t>(generation < 0 ? 0 : generation));
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
}

void Recorder::gc_finished(long collected, long uncollectable) {
  if (!active_) return;
  // A full collection clears the freelists, which reopens the float one: closed again before anything else
  // runs (the recorder's callback comes first in gc.callbacks).
  refscope_float_freelist_close();
  char* start = writer_.reserve(kMaxFixedRecord);
  char* p = put_text(start, "g ");
  p = put_dec(p, static_cast<uint64_t>(collected < 0 ? 0 : collected));
  p = put_char(p, ' ');
  p = put_dec(p, static_cast<uint64_t>(uncollectable < 0 ? 0 : uncollectable));
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
}

void Recorder::detach_after_fork() {
  // Runs in the child inside fork(): no Python, no locks. The parent's threads do not exist here.
  writer_.abandon_after_fork();
  service_ = nullptr;  // leaked: it belonged to the parent (destroying it would terminate)
  if (wake_fd_ >= 0) ::close(wake_fd_);  // shared with the parent: a new one if this child records
  wake_fd_ = -1;
  if (control_fd_ >= 0) ::close(control_fd_);  // refscope attached to the parent, not to this child
  control_fd_ = -1;
  forget_signals_after_fork();
  active_ = false;
}

void Recorder::after_fork_child(const std::string* new_path) {
  if (new_path == nullptr) {
    hooks_installed_ = hooks_installed_ && !uninstall_hooks();
    if (tracer_installed_) uninstall_ref_tracer();
    tracer_installed_ = false;
    restore_interpreter();
    restore_signal_handlers();
    return;
  }
  // A new trace that starts from nothing: everything the parent's trace knew is unknown to this one.
  std::string error;
  Options options = options_;
  options.path = *new_path;
  options_ = options;
  if (!writer_.open(options.path, options.zstd_level, options.max_bytes, !options.text, error)) {
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
  sizes_.clear();
  labels_.reset();
  dead_.clear();
  types_.reset_written();
  stacks_.reset_written();
  roots_.reset();
  write_header();
  active_ = true;
  start_service();
}

}  // namespace refscope::recorder
