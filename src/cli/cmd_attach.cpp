// refscope attach PID: records a CPython process that is already running, for a while, then leaves it as it was.
//
//   1. Look at the process from outside (/proc, its ELF objects): is it CPython 3.11-3.13, is a recorder built for
//      its version, may we trace it.
//   2. Listen on a Unix socket in a private directory, and make the process run a few lines of Python (see
//      attach/python_process.h for where and how): they load refscope_record from the recorder's directory
//      (without touching sys.path), connect to the socket, start the recording and write its first full
//      checkpoint (marker `attach`; every object alive then is introduced there).
//   3. Wait, with the process running freely, until --duration ends or refscope is interrupted. SIGUSR2 to
//      refscope asks for a checkpoint (marker `signal`), through the socket.
//   4. Send `stop`: the recorder writes the final checkpoint (marker `detach`), closes the trace and removes all it
//      added (allocator hooks, reference tracer, signal handlers, gc callback, atexit entry, the service thread,
//      the module itself if the attach loaded it). The end of the socket means the same to the recorder, so a
//      refscope that is killed never leaves a recording behind.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "refscope/attach/process.h"
#include "refscope/attach/python_process.h"
#include "refscope/cli/command.h"
#include "refscope/cli/recorder_dir.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"
#include "refscope/util/printable.h"

namespace refscope::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct AttachOptions {
  int pid = 0;
  std::string output;
  double duration = 0;  // seconds; 0: until interrupted
  int checkpoint_every_ms = 0;
  int stack_depth = 1;
  double start_timeout = 30;
  bool quiet = false;
};

constexpr int kExitFailed = 2;

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_checkpoints = 0;
void on_stop_signal(int) { g_stop = 1; }
void on_checkpoint_signal(int) { g_checkpoints = g_checkpoints + 1; }

// A Python string literal for any text (the paths and argv go into the code the process runs).
std::string py_str(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : s) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

// The code the process runs (through PyRun_SimpleString, in __main__'s namespace: it binds no name there, and
// catches everything, since an exception would be printed on the program's stderr).
std::string start_code(const std::string& control, const fs::path& recorder, const std::string& output,
                       uint64_t page, const AttachOptions& o, const std::string& argv) {
  std::ostringstream body;
  body << "import sys\n"
          "def _refscope_attach():\n"
          "    control = " << py_str(control) << "\n"
          "    try:\n"
          "        sys.modules['posix'].stat(control)\n"
          "    except OSError:\n"
          "        return\n"  // refscope gave up waiting: nothing to do
          "    try:\n"
          "        rr = sys.modules.get('refscope_record')\n"
          "        loaded = rr is None\n"
          "        if loaded:\n"
          "            d = " << py_str((recorder / "refscope_record").string()) << "\n"
          "            spec = sys.modules['_frozen_importlib_external'].spec_from_file_location(\n"
          "                'refscope_record', d + '/__init__.py', submodule_search_locations=[d])\n"
          "            rr = sys.modules['_frozen_importlib'].module_from_spec(spec)\n"
          "            sys.modules['refscope_record'] = rr\n"
          "            try:\n"
          "                spec.loader.exec_module(rr)\n"
          "            except BaseException:\n"
          "                sys.modules.pop('refscope_record', None)\n"
          "                sys.modules.pop('refscope_record._native', None)\n"
          "                raise\n"
          "        attach = getattr(rr, '_attach', None)\n"
          "        if attach is None:\n"
          "            raise RuntimeError('the process has imported a refscope_record that cannot be attached: '\n"
          "                               + str(getattr(rr, '__file__', '?')))\n"
          "        attach(control, " << py_str(output) << ", loaded=loaded, page=" << page
       << ", stack_depth=" << o.stack_depth << ", checkpoint_every_ms=" << o.checkpoint_every_ms
       << ", argv=" << py_str(argv) << ", quiet=" << (o.quiet ? "True" : "False") << ")\n"
          "    except BaseException as e:\n"
          "        try:\n"
          "            with open(control + '.error', 'w') as f:\n"
          "                f.write('%s: %s' % (type(e).__name__, e))\n"
          "        except BaseException:\n"
          "            pass\n"
          "_refscope_attach()\n";
  return "exec(" + py_str(body.str()) + ", {'__builtins__': __builtins__})\n";
}

std::string command_line(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  return raw;
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << s;  // 60, 0.5
  return out.str();
}

bool alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::string expand_pid(const std::string& pattern, pid_t pid) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && (pattern[i + 1] == 'p' || pattern[i + 1] == '%')) {
      out += pattern[i + 1] == 'p' ? std::to_string(pid) : "%";
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

// The private directory of the control socket; removed (and with it the socket) when refscope ends.
struct ControlDir {
  std::string dir, socket_path;
  int listen_fd = -1;

  ControlDir(uid_t uid, gid_t gid) {
    char tmpl[] = "/tmp/refscope-attach-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw UsageError(std::string("attach: mkdtemp: ") + std::strerror(errno));
    dir = tmpl;
    socket_path = dir + "/control";
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, socket_path.c_str());
    if (listen_fd < 0 || bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd, 1) != 0) {
      throw UsageError(std::string("attach: cannot listen on ") + socket_path + ": " + std::strerror(errno));
    }
    // root attaching to another user's process: that user's process must reach the socket.
    if (getuid() == 0 && uid != 0) {
      if (chown(dir.c_str(), uid, gid) != 0 || chown(socket_path.c_str(), uid, gid) != 0) {
        throw UsageError(std::string("attach: chown: ") + std::strerror(errno));
      }
    }
  }
  ~ControlDir() {
    if (listen_fd >= 0) close(listen_fd);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string error_file() const {
    std::ifstream f(socket_path + ".error");
    if (!f) return {};
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
};

// Reads one line from the recorder, waiting at most `timeout`; "" when the connection ended first. While it
// waits, it notices the process ending.
std::string read_line(int fd, std::string& buffer, std::chrono::milliseconds timeout, bool interruptible) {
  auto end = Clock::now() + timeout;
  for (;;) {
    size_t nl = buffer.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return line;
    }
    if (interruptible && g_stop) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0) throw UsageError("attach: the recorder did not answer in time");
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<long long>(left, 200)));
    if (n < 0 && errno != EINTR) throw UsageError(std::string("attach: poll: ") + std::strerror(errno));
    if (n > 0) {
      char buf[512];
      ssize_t got = recv(fd, buf, sizeof buf, 0);
      if (got <= 0) return {};
      buffer.append(buf, static_cast<size_t>(got));
    }
  }
}

void send_line(int fd, const std::string& line) {
  std::string text = line + "\n";
  ssize_t ignored = send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  (void)ignored;
}

int run_attach(const AttachOptions& o) {
  if (o.pid <= 0) throw UsageError("attach: give the process id of a running Python program");
  if (o.stack_depth < 0 || o.stack_depth > 128) throw UsageError("attach: --stack-depth is 0 to 128");
  if (o.checkpoint_every_ms < 0) throw UsageError("attach: --checkpoint-every is a number of milliseconds >= 0");
  // Written so that NaN fails too; the bound keeps the conversion to milliseconds from overflowing.
  auto seconds_ok = [](double s) { return s >= 0 && s <= 1e9; };
  if (!seconds_ok(o.duration)) throw UsageError("attach: --duration is a number of seconds, 0 to 1e9");
  if (!seconds_ok(o.start_timeout)) throw UsageError("attach: --start-timeout is a number of seconds, 0 to 1e9");
  pid_t pid = o.pid;
  if (pid == getpid()) throw UsageError("attach: refscope cannot attach to itself");

  attach::Process process(pid);
  char state = process.state();
  if (state == 'Z' || state == 'X' || state == '?') throw UsageError("attach: process " + std::to_string(pid) + " has exited");
  if (state == 'T' || state == 't') {
    throw UsageError("attach: process " + std::to_string(pid) +
                     " is stopped (SIGSTOP, or a debugger holds it); let it continue first");
  }
  attach::PythonApi api = attach::find_python(process);
  fs::path recorder = find_recorder_dir(api.minor, "attach");

  std::string pattern = o.output.empty() ? "refscope-" + process.command() + ".%p.trace.zst" : o.output;
  std::error_code ec;
  std::string output = fs::absolute(expand_pid(pattern, pid), ec).lexically_normal().string();

  ControlDir control(process.uid(), process.gid());
  struct sigaction sa {}, old_int {}, old_term {}, old_hup {}, old_usr2 {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  sa.sa_handler = on_checkpoint_signal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, &old_usr2);

  auto started_at = Clock::now();
  std::string argv = command_line(pid);
  std::string how = attach::run_python(process, api, [&](uint64_t page) {
    return start_code(control.socket_path, recorder, output, page, o, argv);
  });

  // The process connects (or writes why it could not) once the code runs.
  int conn = -1;
  auto give_up = Clock::now() + std::chrono::milliseconds(static_cast<long long>(o.start_timeout * 1000));
  while (conn < 0) {
    pollfd p{control.listen_fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) conn = accept4(control.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn >= 0) break;
    std::string error = control.error_file();
    if (!error.empty()) {
      throw UsageError("attach: the recorder could not start in process " + std::to_string(pid) + ": " + error);
    }
    if (!alive(pid)) throw UsageError("attach: process " + std::to_string(pid) + " ended before recording started");
    if (Clock::now() > give_up) {
      throw UsageError("attach: process " + std::to_string(pid) + " did not start the recorder within " +
                       std::to_string(static_cast<int>(o.start_timeout)) + " s (asked through " + how +
                       "): its main thread never got back to Python code. Nothing was changed in it");
    }
  }
  std::string buffer;
  // The first checkpoint walks the whole heap: it may take a while on a large one.
  std::string first = read_line(conn, buffer, std::chrono::minutes(10), false);
  if (first.rfind("error ", 0) == 0) {
    close(conn);
    std::string why = first.substr(6);
    if (why.rfind("a recording is already running", 0) == 0) {
      throw UsageError("attach: process " + std::to_string(pid) + " is already being recorded: " + why);
    }
    throw UsageError("attach: the recorder could not start in process " + std::to_string(pid) + ": " + why);
  }
  pid_t service_thread = 0;
  if (first.rfind("started ", 0) == 0) service_thread = static_cast<pid_t>(std::atoi(first.c_str() + 8));
  if (service_thread <= 0) {
    close(conn);
    if (!alive(pid)) throw UsageError("attach: process " + std::to_string(pid) + " ended while the recorder started");
    std::string error = control.error_file();
    throw UsageError("attach: the recorder did not start in process " + std::to_string(pid) +
                     (error.empty() ? "" : ": " + error));
  }
  double attach_seconds = std::chrono::duration<double>(Clock::now() - started_at).count();
  if (!o.quiet) {
    // The process's command line and what it tells us are its own text: escaped, like everything a trace names.
    std::cerr << "refscope: recording process " << pid << " (" << printable(process.command()) << ", Python "
              << api.version << ") into " << printable(output) << "; "
              << (o.duration > 0 ? "for " + seconds_text(o.duration) + " s or " : "")
              << "until interrupted (Ctrl-C, SIGTERM)\n";
  }
  log::info("attached in {:.3f} s, through {}", attach_seconds, how);

  // Record until the time is up, refscope is told to stop, or the recording ends in the process.
  auto end = o.duration > 0 ? Clock::now() + std::chrono::milliseconds(static_cast<long long>(o.duration * 1000))
                            : Clock::time_point::max();
  std::string ended;
  int asked = 0;
  for (;;) {
    while (asked < g_checkpoints) {
      send_line(conn, "checkpoint");
      ++asked;
    }
    if (g_stop || Clock::now() >= end) break;
    pollfd p{conn, POLLIN, 0};
    int n = poll(&p, 1, 100);
    if (n > 0) {
      char buf[512];
      ssize_t got = recv(conn, buf, sizeof buf, 0);
      if (got <= 0) break;  // the process ended, or its recording did
      buffer.append(buf, static_cast<size_t>(got));
      size_t nl = buffer.find('\n');
      if (nl != std::string::npos && buffer.rfind("ended ", 0) == 0) {
        ended = buffer.substr(0, nl);
        break;
      }
    }
  }
  auto detach_started = Clock::now();
  if (ended.empty() && alive(pid)) {
    send_line(conn, "stop");
    ended = read_line(conn, buffer, std::chrono::minutes(10), false);
  }
  close(conn);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  sigaction(SIGUSR2, &old_usr2, nullptr);

  // `ended REASON BYTES [MESSAGE]`
  std::istringstream in(ended);
  std::string word, reason, bytes, message;
  in >> word >> reason >> bytes;
  std::getline(in >> std::ws, message);
  if (word != "ended") {
    std::cerr << "refscope: process " << pid << " ended while recording; its trace " << printable(output)
              << " ends at its last checkpoint\n";
    return kExitFailed;
  }
  if (!message.empty()) {
    std::cerr << "refscope: the trace " << printable(output) << " is incomplete: " << printable(message) << "\n";
  }
  if (reason != "detach") {
    std::cerr << "refscope: process " << pid << " ended while recording (" << printable(reason) << "); its trace "
              << printable(output) << " is complete up to that end\n";
    return kExitFailed;
  }
  // The recorder's thread ends right after its last word: wait for it, so that the process is as it was when
  // refscope returns.
  std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(service_thread);
  auto thread_gone_by = Clock::now() + std::chrono::seconds(10);
  while (access(task.c_str(), F_OK) == 0 && Clock::now() < thread_gone_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log::info("detached in {:.3f} s", std::chrono::duration<double>(Clock::now() - detach_started).count());
  if (!o.quiet) std::cerr << "refscope: detached from process " << pid << "; trace written to " << printable(output)
                          << "\n";
  return 0;
}

}  // namespace

void add_attach_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<AttachOptions>();
  CLI::App* cmd = app.add_subcommand(
      "attach", "Record a running Python program (CPython 3.11-3.13) for a while, then leave it as it was");
  cmd->footer(
      "Needs permission to trace the process (same user, or root; see Yama's ptrace_scope in refscope(1)).\n"
      "Markers: `attach` (the first checkpoint, which introduces every object alive then), `checkpoint` every\n"
      "--checkpoint-every MS, `signal` for each SIGUSR2 sent to refscope, `detach` at the end. Ctrl-C, SIGTERM or\n"
      "SIGHUP end the recording early. Exit status: 0 when the trace was written and the recorder removed; 2 when\n"
      "refscope cannot attach (not a Python process, no recorder for its version, ptrace denied, already\n"
      "recorded) or the process ended while recording.");
  cmd->add_option("PID", o->pid, "The process to record")->required();
  cmd->add_option("-o,--output", o->output,
                  "Trace file, written by the process; %p is its pid, .zst compresses (default "
                  "refscope-NAME.%p.trace.zst, NAME the process's name)")
      ->type_name("FILE");
  cmd->add_option("--duration", o->duration, "Record this many seconds, then detach (default 0: until interrupted)")
      ->type_name("SECONDS");
  cmd->add_option("--checkpoint-every", o->checkpoint_every_ms,
                  "Also checkpoint every MS milliseconds (default 0: at the start and the end only)")
      ->type_name("MS");
  cmd->add_option("--stack-depth", o->stack_depth, "Python frames per allocation site, 0 to 128 (default 1)")
      ->type_name("N");
  cmd->add_option("--start-timeout", o->start_timeout,
                  "Give up if the process has not started the recorder after this many seconds (default 30)")
      ->type_name("SECONDS");
  cmd->add_flag("-q,--quiet", o->quiet, "No messages of refscope's or the recorder's on stderr, errors apart");
  cmd->callback([&app, &selected, o] {
    if (app.get_option("--quiet")->count() > 0) o->quiet = true;
    selected = [o] { return run_attach(*o); };
  });
}

}  // namespace refscope::cli
