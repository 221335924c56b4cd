#include "refscope/attach/python_process.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>

#include "refscope/attach/injector.h"
#include "refscope/util/error.h"

namespace refscope::attach {

namespace {

// System calls (x86-64 numbers) that CPython makes with the GIL released and in which a thread holds no lock of
// the C library's: a thread blocked in one may run any function. `read` and `readv` count only on sockets,
// pipes and terminals (a read from a file is short, and the dynamic loader reads files holding its lock).
const std::map<long, const char*> kSafeSyscalls = {
    {0, "read"},          {19, "readv"},          {45, "recvfrom"},        {47, "recvmsg"},
    {299, "recvmmsg"},    {43, "accept"},         {288, "accept4"},        {42, "connect"},
    {7, "poll"},          {271, "ppoll"},         {23, "select"},          {270, "pselect6"},
    {232, "epoll_wait"},  {281, "epoll_pwait"},   {441, "epoll_pwait2"},   {35, "nanosleep"},
    {230, "clock_nanosleep"}, {34, "pause"},      {130, "rt_sigsuspend"},  {128, "rt_sigtimedwait"},
    {61, "wait4"},        {247, "waitid"},
};

std::optional<long> syscall_in_proc(pid_t pid, pid_t tid, uint64_t* first_arg) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall");
  std::string nr, arg;
  if (!(f >> nr) || nr.empty() || !std::isdigit(static_cast<unsigned char>(nr[0]))) return std::nullopt;
  if (first_arg != nullptr && (f >> arg)) *first_arg = std::stoull(arg, nullptr, 16);
  return std::stol(nr);
}

bool readable_stream(pid_t pid, uint64_t fd) {
  char target[256];
  std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return false;
  std::string t(target, static_cast<size_t>(n));
  return t.rfind("socket:", 0) == 0 || t.rfind("pipe:", 0) == 0 || t.rfind("/dev/pts/", 0) == 0 ||
         t.rfind("/dev/tty", 0) == 0 || t.rfind("anon_inode:", 0) == 0;
}

bool safe_syscall(pid_t pid, long nr, uint64_t fd) {
  if (!kSafeSyscalls.count(nr)) return false;
  if (nr == 0 || nr == 19) return readable_stream(pid, fd);
  return true;
}

uint64_t map_page(Injector& in, const PythonApi& api) {
  auto page = in.call(api.mmap, {0, kCodePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                 static_cast<uint64_t>(-1), 0});
  if (!page || *page == 0 || *page > static_cast<uint64_t>(-4096)) {
    throw UsageError("attach: cannot map a page in the process (mmap failed)");
  }
  return *page;
}

std::string version_text(unsigned long hex) {
  std::string v = std::to_string((hex >> 24) & 0xff) + "." + std::to_string((hex >> 16) & 0xff) + "." +
                  std::to_string((hex >> 8) & 0xff);
  unsigned level = (hex >> 4) & 0xf;
  if (level == 0xa) v += "a" + std::to_string(hex & 0xf);
  if (level == 0xb) v += "b" + std::to_string(hex & 0xf);
  if (level == 0xc) v += "rc" + std::to_string(hex & 0xf);
  return v;
}

}  // namespace

PythonApi find_python(const Process& process) {
  PythonApi api;
  std::string who = "process " + std::to_string(process.pid()) + " (" + process.command() + ")";
  auto object = process.object_exporting("PyRun_SimpleString", "python");
  if (!object) {
    throw UsageError("attach: " + who + " is not a Python process: no CPython executable or libpython is mapped in "
                     "it");
  }
  api.object = *object;
  std::string base = api.object.substr(api.object.rfind('/') + 1);
  auto version = process.symbol(api.object, "Py_Version");
  if (!version) {
    std::smatch m;
    std::string named = std::regex_search(base, m, std::regex(R"(python(\d+\.\d+))")) ? " " + m[1].str() : "";
    throw UsageError("attach: " + who + " runs a Python" + named + " older than 3.11 (" + api.object +
                     "); refscope's recorder supports 3.11, 3.12 and 3.13");
  }
  unsigned long hex = 0;
  process.read(version->address, &hex, sizeof hex);
  api.version_hex = hex;
  api.version = version_text(hex);
  api.minor = std::to_string((hex >> 24) & 0xff) + "." + std::to_string((hex >> 16) & 0xff);
  if (std::regex_search(base, std::regex(R"(python\d+\.\d+t)"))) {
    throw UsageError("attach: " + who + " runs a free-threaded Python " + api.version +
                     ", which the recorder does not support");
  }
  auto need = [&](const char* name) {
    auto s = process.symbol(api.object, name);
    if (!s) throw UsageError("attach: " + api.object + " does not export " + name);
    return *s;
  };
  api.run_string = need("PyRun_SimpleString").address;
  api.gil_ensure = need("PyGILState_Ensure").address;
  api.gil_release = need("PyGILState_Release").address;
  api.add_pending_call = need("Py_AddPendingCall").address;
  api.is_initialized = need("Py_IsInitialized").address;
  api.eval_frame = need("_PyEval_EvalFrameDefault");
  auto libc = process.object_exporting("munmap", "libc");
  if (!libc) throw UsageError("attach: " + who + " has no C library mapped (a static binary?)");
  api.mmap = process.symbol(*libc, "mmap")->address;
  api.munmap = process.symbol(*libc, "munmap")->address;
  return api;
}

std::string run_python(const Process& process, const PythonApi& api,
                       const std::function<std::string(uint64_t page)>& code) {
  pid_t pid = process.pid();
  auto not_running = [&] {
    return UsageError("attach: Python in process " + std::to_string(pid) +
                      " is not running (it is starting up or shutting down)");
  };
  // 1. A thread blocked in a system call where Python released the GIL.
  for (pid_t tid : process.threads()) {
    uint64_t fd = 0;
    auto nr = syscall_in_proc(pid, tid, &fd);
    if (!nr || !safe_syscall(pid, *nr, fd)) continue;
    Injector in(pid, tid);
    auto now = in.blocked_in_syscall();
    if (!now || *now != *nr) {
      in.release();  // it woke up meanwhile
      continue;
    }
    if (in.call(api.is_initialized).value_or(0) == 0) throw not_running();
    uint64_t page = map_page(in, api);
    std::string text = code(0);
    if (text.size() >= kCodePage) throw UsageError("attach: the start-up code is too long");
    process.write(page, text.c_str(), text.size() + 1);
    uint64_t state = in.call(api.gil_ensure).value_or(0);
    in.call(api.run_string, {page});
    in.call(api.gil_release, {state});
    in.call(api.munmap, {page, kCodePage});
    in.release();
    return "thread " + std::to_string(tid) + (tid == pid ? " (the main thread)" : "") + ", blocked in " +
           kSafeSyscalls.at(*nr);
  }
  // 2. A pending call, added by the main thread itself while it runs the eval loop.
  Injector in(pid, pid);
  auto in_eval_loop = [&] {
    uint64_t pc = in.pc();
    return pc >= api.eval_frame.address && pc < api.eval_frame.address + api.eval_frame.size;
  };
  for (int i = 0; i < 500 && !in_eval_loop() && !in.blocked_in_syscall(); ++i) {
    in.step_elsewhere(std::chrono::milliseconds(1));
  }
  if (!in_eval_loop() && !in.blocked_in_syscall()) {
    in.release();
    throw UsageError("attach: process " + std::to_string(pid) +
                     " has no thread at a point where Python code can start safely (its main thread runs C code "
                     "and no thread sleeps or waits for I/O); try again later");
  }
  if (in.call(api.is_initialized).value_or(0) == 0) throw not_running();
  uint64_t page = map_page(in, api);
  std::string text = code(page);
  if (text.size() >= kCodePage) throw UsageError("attach: the start-up code is too long");
  process.write(page, text.c_str(), text.size() + 1);
  auto added = in.call(api.add_pending_call, {api.run_string, page}, std::chrono::seconds(5));
  if (!added) {
    // Blocked on the pending-call lock for seconds: give the call up (it holds nothing while it waits).
    in.abandon();
    in.release();
    throw UsageError("attach: process " + std::to_string(pid) + " did not take a pending call; try again later");
  }
  if (static_cast<int>(*added) != 0) {
    in.call(api.munmap, {page, kCodePage});
    in.release();
    throw UsageError("attach: the interpreter of process " + std::to_string(pid) +
                     " has too many pending calls queued; try again later");
  }
  in.release();
  return "the main thread, at its next bytecode";
}

}  // namespace refscope::attach
