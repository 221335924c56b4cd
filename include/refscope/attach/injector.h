#pragma once
// Calls a function inside one thread of another process (Linux, x86-64), the way a debugger's `call` does: the
// thread is seized with ptrace and interrupted, its registers are saved, the function's arguments go into
// registers, its return address is 0, and the thread runs until that return faults. The fault is a ptrace stop
// that never reaches the process; the registers are put back as they were and the thread is let go.
//
// Only the one thread stops; the others run on. Where the thread stopped matters, because the function runs in
// its context, in the middle of whatever it was doing:
//   - in a blocking system call (sleeping, waiting in accept() or poll()), a thread holds no lock of the C library
//     or of the interpreter, and Python released the GIL around the call: any function may run there. The
//     interrupted call is restarted when the thread goes on (or, for the calls the kernel restarts through a
//     restart block, returns EINTR if a signal came meanwhile: Python retries those, PEP 475);
//   - anywhere else, the thread may hold locks (malloc's, the interpreter's): only a function that takes none of
//     them is safe there.
// Signals that arrive for the thread while it runs the call are held, and delivered when it is let go.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace refscope::attach {

class Injector {
 public:
  // Seizes and interrupts thread `tid` of process `pid`. Throws UsageError if the kernel refuses (with advice) or
  // the thread is gone.
  Injector(pid_t pid, pid_t tid);
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;
  // Lets the thread go as it was (release() unless called already).
  ~Injector();

  // Where the thread stopped: the system call it was blocked in (x86-64 numbers), or nullopt if it was running.
  std::optional<long> blocked_in_syscall() const;
  // The instruction it stopped at.
  uint64_t pc() const;

  // Runs fn(args...) (at most 6 integer arguments) in the thread and returns its result. Throws UsageError if
  // the process dies meanwhile or the call crashes; returns nullopt when it has not returned within `timeout`
  // (the thread is then stopped wherever the call was: see abandon()).
  std::optional<uint64_t> call(uint64_t fn, std::initializer_list<uint64_t> args = {},
                               std::chrono::milliseconds timeout = std::chrono::hours(24));

  // Gives up on a call that did not return: the thread goes back to where it was seized, with the call's stack
  // frames discarded. Safe only for a call that holds nothing, e.g. one blocked waiting for a lock.
  void abandon();

  // Lets the thread run on (briefly) and stops it again somewhere else; for a thread that was seized at a place
  // where no call is safe.
  void step_elsewhere(std::chrono::milliseconds run_for);

  // Puts the registers back and detaches, delivering the signals that were held.
  void release();

 private:
  bool wait_stop(std::chrono::milliseconds timeout, int& status);
  void set_registers(const void* regs);
  void get_registers(void* regs) const;

  pid_t pid_, tid_;
  bool attached_ = false;
  alignas(16) unsigned char saved_[256];  // struct user_regs_struct, as seized
  std::vector<int> held_signals_;
};

}  // namespace refscope::attach
