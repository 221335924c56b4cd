#include "refscope/attach/injector.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "refscope/attach/process.h"
#include "refscope/util/error.h"

namespace refscope::attach {

#if defined(__x86_64__)

namespace {

using Regs = user_regs_struct;
static_assert(sizeof(Regs) <= 256);

// What a blocking system call returns inside the kernel when a stop interrupts it: the kernel restarts it when
// the thread goes on (ERESTART_RESTARTBLOCK through the thread's restart block).
constexpr long kRestartSys = 512, kRestartNoIntr = 513, kRestartNoHand = 514, kRestartBlock = 516;

bool interrupted_syscall(const Regs& r) {
  long rax = static_cast<long>(r.rax);
  return static_cast<long>(r.orig_rax) >= 0 &&
         (rax == -kRestartSys || rax == -kRestartNoIntr || rax == -kRestartNoHand || rax == -kRestartBlock ||
          rax == -EINTR);
}

std::string gone(pid_t pid) { return "attach: process " + std::to_string(pid) + " ended while refscope attached"; }

}  // namespace

Injector::Injector(pid_t pid, pid_t tid) : pid_(pid), tid_(tid) {
  if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    if (errno == EPERM || errno == EACCES) throw UsageError(ptrace_denied_advice(pid));
    if (errno == ESRCH) throw UsageError(gone(pid));
    throw UsageError(std::string("attach: ptrace: ") + std::strerror(errno));
  }
  attached_ = true;
  if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) throw UsageError(gone(pid));
  int status = 0;
  if (!wait_stop(std::chrono::seconds(10), status)) {
    throw UsageError("attach: thread " + std::to_string(tid) + " of process " + std::to_string(pid) +
                     " did not stop when asked");
  }
  get_registers(saved_);
}

Injector::~Injector() {
  if (attached_) {
    try {
      release();
    } catch (...) {
    }
  }
}

// Waits for the next ptrace stop; holds a signal the thread was about to get and lets it go on to the stop we
// wait for. False on timeout. Throws if the process died.
bool Injector::wait_stop(std::chrono::milliseconds timeout, int& status) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pid_t r = waitpid(tid_, &status, __WALL | WNOHANG);
    if (r < 0 && errno != EINTR) {
      attached_ = false;
      throw UsageError(gone(pid_));
    }
    if (r == tid_) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        attached_ = false;
        throw UsageError(gone(pid_));
      }
      if (WIFSTOPPED(status)) {
        int event = status >> 16;
        int sig = WSTOPSIG(status);
        if (event == 0 && sig != SIGSEGV) {
          // A signal for the thread: held until we let it go, so that the program still gets it.
          held_signals_.push_back(sig);
          ptrace(PTRACE_CONT, tid_, nullptr, nullptr);
          continue;
        }
        return true;
      }
    }
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Injector::get_registers(void* regs) const {
  if (ptrace(PTRACE_GETREGS, tid_, nullptr, regs) != 0) throw UsageError(gone(pid_));
}

void Injector::set_registers(const void* regs) {
  if (ptrace(PTRACE_SETREGS, tid_, nullptr, const_cast<void*>(regs)) != 0) throw UsageError(gone(pid_));
}

std::optional<long> Injector::blocked_in_syscall() const {
  const auto& r = *reinterpret_cast<const Regs*>(saved_);
  if (!interrupted_syscall(r)) return std::nullopt;
  return static_cast<long>(r.orig_rax);
}

uint64_t Injector::pc() const { return reinterpret_cast<const Regs*>(saved_)->rip; }

std::optional<uint64_t> Injector::call(uint64_t fn, std::initializer_list<uint64_t> args,
                                       std::chrono::milliseconds timeout) {
  Regs r = *reinterpret_cast<const Regs*>(saved_);
  uint64_t a[6] = {};
  size_t i = 0;
  for (uint64_t v : args) a[i++] = v;
  r.rdi = a[0];
  r.rsi = a[1];
  r.rdx = a[2];
  r.rcx = a[3];
  r.r8 = a[4];
  r.r9 = a[5];
  r.rax = 0;
  r.orig_rax = static_cast<uint64_t>(-1);  // not in a system call: the kernel must not restart one at our pc
  r.rip = fn;
  r.eflags &= ~uint64_t(0x400);  // the ABI wants the direction flag clear at a call
  // Below the interrupted code's red zone (128 bytes), 16-byte aligned at the call, return address 0.
  uint64_t sp = ((r.rsp - 1024) & ~uint64_t(15)) - 8;
  if (ptrace(PTRACE_POKEDATA, tid_, reinterpret_cast<void*>(sp), nullptr) != 0) throw UsageError(gone(pid_));
  r.rsp = sp;
  set_registers(&r);
  if (ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) throw UsageError(gone(pid_));
  int status = 0;
  for (;;) {
    if (!wait_stop(timeout, status)) {
      ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr);
      if (!wait_stop(std::chrono::seconds(10), status)) throw UsageError(gone(pid_));
      return std::nullopt;
    }
    int event = status >> 16;
    if (event != 0) {
      // A group stop (SIGSTOP to the process) or a stray interrupt: go on with the call.
      ptrace(PTRACE_CONT, tid_, nullptr, nullptr);
      continue;
    }
    Regs now;
    get_registers(&now);
    if (WSTOPSIG(status) == SIGSEGV && now.rip == 0) return now.rax;
    // The call itself faulted: put the thread back where it was and say so; never let the fault through.
    throw UsageError("attach: the function called in process " + std::to_string(pid_) + " crashed (signal " +
                     std::to_string(WSTOPSIG(status)) + " at " + std::to_string(now.rip) +
                     "); the thread was put back as it was");
  }
}

void Injector::abandon() {
  set_registers(saved_);
}

void Injector::step_elsewhere(std::chrono::milliseconds run_for) {
  set_registers(saved_);
  if (ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) throw UsageError(gone(pid_));
  std::this_thread::sleep_for(run_for);
  if (ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) != 0) throw UsageError(gone(pid_));
  int status = 0;
  if (!wait_stop(std::chrono::seconds(10), status)) throw UsageError(gone(pid_));
  get_registers(saved_);
}

void Injector::release() {
  if (!attached_) return;
  Regs r = *reinterpret_cast<const Regs*>(saved_);
  if (static_cast<long>(r.orig_rax) >= 0 && static_cast<long>(r.rax) == -kRestartBlock && !held_signals_.empty()) {
    // A signal came while our calls ran: their system calls may have used the thread's restart block. The
    // interrupted call returns EINTR instead of being restarted from it (Python retries, PEP 475).
    r.rax = static_cast<uint64_t>(-EINTR);
    r.orig_rax = static_cast<uint64_t>(-1);
  }
  set_registers(&r);
  int first = held_signals_.empty() ? 0 : held_signals_.front();
  ptrace(PTRACE_DETACH, tid_, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(first)));
  attached_ = false;
  for (size_t i = 1; i < held_signals_.size(); ++i) syscall(SYS_tgkill, pid_, tid_, held_signals_[i]);
  held_signals_.clear();
}

#else  // not x86-64

Injector::Injector(pid_t pid, pid_t tid) : pid_(pid), tid_(tid) {
  throw UsageError("attach: refscope can attach to processes on x86-64 Linux only");
}
Injector::~Injector() = default;
bool Injector::wait_stop(std::chrono::milliseconds, int&) { return false; }
void Injector::get_registers(void*) const {}
void Injector::set_registers(const void*) {}
std::optional<long> Injector::blocked_in_syscall() const { return std::nullopt; }
uint64_t Injector::pc() const { return 0; }
std::optional<uint64_t> Injector::call(uint64_t, std::initializer_list<uint64_t>, std::chrono::milliseconds) {
  return std::nullopt;
}
void Injector::abandon() {}
void Injector::step_elsewhere(std::chrono::milliseconds) {}
void Injector::release() {}

#endif

}  // namespace refscope::attach
