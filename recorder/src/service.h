#pragma once
// What the recorder does on its own, outside the program's calls: periodic and signalled checkpoints, a final
// checkpoint when the program is stopped by a signal, and (when refscope attached to the process) the commands
// refscope sends over its control socket.
//
// One service thread does it all. It sleeps in poll() on an eventfd (which the signal handlers and stop() write)
// and, when attached, on the control socket, and takes the GIL itself (PyGILState_Ensure) to run a checkpoint.
// Asking the interpreter to run it (Py_AddPendingCall) is not enough: pending calls run only on the main thread,
// only when it executes bytecode, so never while it sleeps or waits in accept(); and on 3.11 a call added from
// another thread does not even wake the main thread's eval loop, so a CPU-bound loop never runs it either.
// Taking the GIL works in every case: a blocked thread has released it, and a busy one gives it up within the
// switch interval (5 ms).
//
// Signals. Handlers are installed only where the program left the default action, and removed at the end if they
// are still ours, so a program's own handlers (and signal.getsignal(), which answers from the signal module's
// own table) work as before:
//   - the checkpoint signal (SIGUSR2 by default): one checkpoint, marker `signal`, for each signal received (two
//     signals during one checkpoint give one more checkpoint after it: none is dropped);
//   - SIGTERM, SIGHUP, SIGQUIT and SIGINT: the final checkpoint (marker `exit`), the trace closed, then the
//     default action, so the program dies of the same signal. If the GIL cannot be had within a few seconds (C
//     code holding it), the program dies without the checkpoint rather than outlive the signal. (SIGINT normally
//     has Python's own handler, which raises KeyboardInterrupt; the exit checkpoint then runs at exit.)
#include <csignal>
#include <string>

namespace refscope::recorder {

// The signals that end a program by default and get a final checkpoint first.
inline constexpr int kFinalSignals[] = {SIGTERM, SIGHUP, SIGQUIT, SIGINT};

// "SIGTERM" for 15; "signal N" for one without a name here.
std::string signal_name(int sig);

}  // namespace refscope::recorder
