#pragma once
// Running Python code inside a live CPython process (3.11-3.13) at a point where that is safe.
//
// The code runs through PyRun_SimpleString, which compiles and executes it with the GIL held. Two ways to get
// there, in this order:
//   1. A thread blocked in a system call that Python makes with the GIL released (sleep, accept, poll, select,
//      epoll, a read from a socket, pipe or terminal, waitpid): refscope calls PyGILState_Ensure, then
//      PyRun_SimpleString, then PyGILState_Release in that thread, as a thread of the program's own would. Every
//      idle service has such a thread: its main thread usually.
//   2. Otherwise (every thread busy in Python code or waiting on a lock): Py_AddPendingCall(PyRun_SimpleString,
//      code) in the main thread, caught while it executes the eval loop itself (its program counter inside
//      _PyEval_EvalFrameDefault, not in a function that might hold the pending-call lock). The interpreter runs
//      it at its next bytecode boundary. A main thread that never gets back to Python code never runs it: the
//      caller waits with a timeout, and the code, if it ever runs, finds refscope gone and does nothing.
// The code's text lives in a page refscope maps in the process (an injected mmap); in case 1 refscope unmaps it
// after the call, in case 2 the code unmaps it once it runs.
#include <cstdint>
#include <functional>
#include <string>

#include "refscope/attach/process.h"

namespace refscope::attach {

struct PythonApi {
  std::string object;    // the executable or libpython that exports the C API
  unsigned long version_hex = 0;  // Py_Version, e.g. 0x030b02f0
  std::string version;   // "3.11.2"
  std::string minor;     // "3.11"
  uint64_t run_string = 0, gil_ensure = 0, gil_release = 0, add_pending_call = 0, is_initialized = 0;
  Symbol eval_frame;
  uint64_t mmap = 0, munmap = 0;  // the C library's
};

// Finds CPython's C API in the process. Throws UsageError for a process that is not CPython, or not 3.11+.
PythonApi find_python(const Process& process);

inline constexpr size_t kCodePage = 16384;  // bytes mapped for the code's text

// Makes the process run code(page) (page: where its text lives, to be unmapped by the code itself, or 0 when
// refscope unmaps it). Returns how ("thread 1234, blocked in accept" / "the main thread, at its next bytecode").
// Throws UsageError when nothing can be done safely or the process goes away.
std::string run_python(const Process& process, const PythonApi& api,
                       const std::function<std::string(uint64_t page)>& code);

}  // namespace refscope::attach
