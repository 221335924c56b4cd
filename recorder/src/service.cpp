// The service thread and the signal handlers (service.h says why it is a thread that takes the GIL).
#include "service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "recorder.h"

namespace refscope::recorder {

namespace {

// Shared with the signal handlers, which may run on any thread at any time: atomics only.
std::atomic<int> g_wake_fd{-1};
std::atomic<uint32_t> g_checkpoint_signals{0};  // received so far (the service thread counts what it served)
std::atomic<int> g_final_signal{0};             // the first terminating signal received, 0 = none

void wake() {
  int fd = g_wake_fd.load();
  if (fd < 0) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(fd, &one, sizeof one);
  (void)ignored;
}

void on_checkpoint_signal(int) {
  int saved = errno;
  g_checkpoint_signals.fetch_add(1);
  wake();
  errno = saved;
}

void on_final_signal(int sig) {
  int saved = errno;
  int none = 0;
  g_final_signal.compare_exchange_strong(none, sig);  // later ones: the program is already on its way out
  wake();
  errno = saved;
}

// The signals whose handlers we installed, with what was there before.
struct Installed {
  int sig = 0;
  void (*handler)(int) = nullptr;
  struct sigaction previous {};
};
Installed g_installed[8];
int g_installed_count = 0;

bool install(int sig, void (*handler)(int)) {
  for (int i = 0; i < g_installed_count; ++i) {
    if (g_installed[i].sig == sig) return true;
  }
  struct sigaction current {};
  if (sigaction(sig, nullptr, &current) != 0) return false;
  if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) return false;  // the program's choice
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // the program's blocking calls go on as they would
  if (sigaction(sig, &sa, nullptr) != 0) return false;
  g_installed[g_installed_count++] = Installed{sig, handler, current};
  return true;
}

// Puts back what was there, unless the program has set its own handler since.
void restore_all() {
  for (int i = 0; i < g_installed_count; ++i) {
    struct sigaction current {};
    sigaction(g_installed[i].sig, nullptr, &current);
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == g_installed[i].handler) {
      sigaction(g_installed[i].sig, &g_installed[i].previous, nullptr);
    }
  }
  g_installed_count = 0;
}

// The default action of `sig` (which ends the process) with nothing of ours in the way.
[[noreturn]] void die_of(int sig) {
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);  // a signal whose default action does not end the process: end it as the signal meant to
}

// A thread that gets no process-directed signal: they are the program's (and our handlers run on any thread).
template <typename F>
std::thread* start_thread_without_signals(F&& body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  auto* t = new std::thread(std::forward<F>(body));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return t;
}

bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing();
#else
  return _Py_IsFinalizing();
#endif
}

constexpr auto kFinalGilWait = std::chrono::seconds(5);

}  // namespace

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default: return "signal " + std::to_string(sig);
  }
}

void Recorder::install_signal_handlers() {
  // The signal module caches every signal's action when it is first imported; import it before changing any,
  // so that signal.getsignal() keeps answering SIG_DFL where the program left the default.
  if (PyObject* m = PyImport_ImportModule("_signal")) Py_DECREF(m);
  else PyErr_Clear();
  if (options_.checkpoint_signal > 0) install(options_.checkpoint_signal, on_checkpoint_signal);
  if (options_.final_checkpoint_on_signals) {
    for (int sig : kFinalSignals) {
      if (sig != options_.checkpoint_signal) install(sig, on_final_signal);
    }
  }
}

void Recorder::restore_signal_handlers() {
  restore_all();
  // A terminating signal that came while we were stopping was not acted on: its default action now.
  int sig = g_final_signal.exchange(0);
  if (sig != 0) die_of(sig);
}

void Recorder::forget_signals_after_fork() {
  // In the child inside fork(): sigaction is async-signal-safe. A child that goes on recording installs them again.
  restore_all();
  g_final_signal = 0;
  g_checkpoint_signals = 0;
  g_wake_fd = -1;
}

void Recorder::start_service() {
  if (service_ != nullptr) return;
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    warn(std::string("no periodic or signalled checkpoints: eventfd: ") + std::strerror(errno));
    return;
  }
  wake_fd_ = fd;
  g_wake_fd = fd;
  g_checkpoint_signals = 0;
  g_final_signal = 0;
  service_stop_ = false;
  service_tid_ = 0;
  install_signal_handlers();
  service_ = start_thread_without_signals([this] { service_loop(); });
  service_id_ = service_->get_id();
}

void Recorder::stop_service() {
  if (service_ == nullptr) return;
  service_stop_ = true;
  wake();
  if (std::this_thread::get_id() == service_id_) {
    // Stopping from the service thread itself (a detach, a terminating signal): it ends when it returns.
    service_->detach();
  } else {
    // The service thread may be waiting for the GIL we hold.
    Py_BEGIN_ALLOW_THREADS
    service_->join();
    Py_END_ALLOW_THREADS
  }
  delete service_;
  service_ = nullptr;
  g_wake_fd = -1;
  ::close(wake_fd_);
  wake_fd_ = -1;
}

// Takes the GIL and runs `work` with it, unless the recording is stopping or the interpreter is finalizing (a
// thread that asks for the GIL then is ended by CPython). Returns false if `work` did not run.
template <typename F>
bool Recorder::with_gil(F&& work) {
  if (service_stop_ || interpreter_finalizing()) return false;
  PyGILState_STATE state = PyGILState_Ensure();
  bool ran = false;
  if (!service_stop_ && active_) {
    work();
    ran = true;
  }
  PyGILState_Release(state);
  return ran;
}

void Recorder::report_started() {
  for (int i = 0; i < 1000 && service_tid_ == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  send_control("started " + std::to_string(service_tid_.load()));
}

void Recorder::service_loop() {
  service_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  using clock = std::chrono::steady_clock;
  const int every = options_.checkpoint_every_ms;
  auto next = clock::now() + std::chrono::milliseconds(every);
  uint32_t served = 0;
  while (!service_stop_) {
    int timeout = -1;
    if (every > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - clock::now()).count();
      timeout = left < 0 ? 0 : static_cast<int>(left) + 1;
    }
    struct pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {control_fd_, POLLIN, 0}};
    int n = poll(fds, control_fd_ >= 0 ? 2 : 1, timeout);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
      (void)ignored;
    }
    if (service_stop_) break;
    if (int sig = g_final_signal.load()) {
      finish_on_signal(sig);  // does not return
    }
    if (control_fd_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!serve_control()) return;  // detached: the recording is over
    }
    uint32_t received = g_checkpoint_signals.load();
    const char* label = nullptr;
    if (received != served) label = "signal";
    else if (every > 0 && clock::now() >= next) label = "checkpoint";
    if (label == nullptr) continue;
    served = received;  // signals that come while it runs ask for the next one
    clock::duration took{};
    with_gil([&] {
      auto begin = clock::now();
      checkpoint(label);
      took = clock::now() - begin;
    });
    // The next period starts when this checkpoint ends, and lasts at least as long as it took: a checkpoint
    // slower than the period (a large heap, a short period) would otherwise follow the last one as soon as the
    // program had the GIL back, and the program would all but stop. So the program always gets at least half the
    // time, whatever the period.
    if (every > 0) next = clock::now() + std::max<clock::duration>(std::chrono::milliseconds(every), took);
  }
}

void Recorder::send_control(const std::string& line) {
  if (control_fd_ < 0) return;
  std::string text = line + "\n";
  // MSG_NOSIGNAL: refscope may be gone, and a SIGPIPE would end the program.
  ssize_t ignored = ::send(control_fd_, text.data(), text.size(), MSG_NOSIGNAL);
  (void)ignored;
}

// refscope attach's commands, one a line: `checkpoint` (marker `signal`), `stop`. The end of the stream (refscope
// ended, however it ended) means stop: the recording never outlives the refscope that started it.
bool Recorder::serve_control() {
  char buf[256];
  ssize_t n = ::recv(control_fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  bool detach = n <= 0;
  if (n > 0) control_in_.append(buf, static_cast<size_t>(n));
  size_t nl;
  while (!detach && (nl = control_in_.find('\n')) != std::string::npos) {
    std::string command = control_in_.substr(0, nl);
    control_in_.erase(0, nl + 1);
    if (command == "checkpoint") with_gil([&] { checkpoint("signal"); });
    else if (command == "stop") detach = true;
  }
  if (!detach) return true;
  // refscope_record._detach(): the final checkpoint, the trace closed, everything the attach added undone.
  if (service_stop_ || interpreter_finalizing()) return false;
  PyGILState_STATE state = PyGILState_Ensure();
  if (!service_stop_) {
    PyObject* name = PyUnicode_FromString("refscope_record");
    PyObject* module = name != nullptr ? PyImport_GetModule(name) : nullptr;
    Py_XDECREF(name);
    PyObject* result = module != nullptr ? PyObject_CallMethod(module, "_detach", nullptr) : nullptr;
    if (result == nullptr) {
      PyErr_Clear();
      // The Python half is gone: at least the final checkpoint, the trace closed and the hooks removed.
      stop("detach", "detach");
    }
    Py_XDECREF(result);
    Py_XDECREF(module);
  }
  PyGILState_Release(state);
  return false;
}

// The program got SIGTERM, SIGHUP, SIGQUIT or SIGINT with the default action: a last checkpoint, the trace
// closed, then the signal's default action. A watchdog ends the wait for the GIL if C code keeps it.
void Recorder::finish_on_signal(int sig) {
  std::mutex m;
  std::condition_variable cv;
  bool have_gil = false;
  std::thread* watchdog = start_thread_without_signals([&] {
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, kFinalGilWait, [&] { return have_gil; })) die_of(sig);
  });
  PyGILState_STATE state = PyGILState_Ensure();
  {
    std::lock_guard<std::mutex> lock(m);
    have_gil = true;
  }
  cv.notify_all();
  watchdog->join();
  delete watchdog;
  if (active_) {
    checkpoint("exit");
    set_end("exit", signal_name(sig));
  }
  close_trace();
  (void)state;  // kept: the process ends here, with the GIL held so that nothing runs after the trace's end
  die_of(sig);
}

}  // namespace refscope::recorder
