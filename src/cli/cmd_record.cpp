// refscope record: runs a Python program with the recorder active from its start and exits with its status.
//
// The recorder is an extension module built per interpreter (recorder/CMakeLists.txt). This command asks the
// interpreter for its version, puts the matching recorder directory first on PYTHONPATH (its sitecustomize.py
// starts the recording, then runs the sitecustomize it hides), passes the options through REFSCOPE_RECORD_*
// variables, and waits. Children that inherit the environment record too when the output name holds %p.
//
// Signals: refscope stands between a supervisor (a shell, systemd, docker, timeout) and the program, so what is
// sent to refscope is passed on: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent by a process go to
// the program once, and refscope goes on waiting for it. Those the terminal sends (^C, ^\, a hangup: si_code
// SI_KERNEL) are not passed on: they went to the whole foreground process group, the program included. The
// program dies with refscope (PR_SET_PDEATHSIG, SIGTERM: its recorder writes a last checkpoint), so it never runs
// on alone when refscope is killed.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/cli/recorder_dir.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

namespace fs = std::filesystem;

struct RecordOptions {
  std::string output;
  double checkpoint_every_ms = 0;
  int stack_depth = 1;
  uint64_t max_size = 0;
  std::string checkpoint_signal = "USR2";
  bool no_ref_tracer = false;
  bool quiet = false;
  bool text = false;
  std::vector<std::string> command;
};

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
volatile sig_atomic_t g_program = 0;

void forward_signal(int sig, siginfo_t* info, void*) {
  if (info != nullptr && (info->si_code == SI_KERNEL || info->si_pid == g_program)) return;
  int saved = errno;
  if (g_program > 0) kill(g_program, sig);
  errno = saved;
}

// Installs the forwarding handler for each signal that is not ignored (under nohup, SIGHUP stays ignored for the
// program too), keeping the old actions for the child to restore before it runs the program.
struct Forwarding {
  struct sigaction old[std::size(kForwarded)];
  sigset_t blocked, old_mask;

  void install() {
    sigemptyset(&blocked);
    for (size_t i = 0; i < std::size(kForwarded); ++i) {
      sigaction(kForwarded[i], nullptr, &old[i]);
      if (!(old[i].sa_flags & SA_SIGINFO) && old[i].sa_handler == SIG_IGN) continue;
      struct sigaction sa {};
      sa.sa_sigaction = forward_signal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_SIGINFO | SA_RESTART;
      sigaction(kForwarded[i], &sa, nullptr);
      sigaddset(&blocked, kForwarded[i]);
    }
    // Until the program's pid is known, signals wait (pending) rather than find nobody to go to.
    sigprocmask(SIG_BLOCK, &blocked, &old_mask);
  }
  void restore() {
    for (size_t i = 0; i < std::size(kForwarded); ++i) sigaction(kForwarded[i], &old[i], nullptr);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  }
  void release() { sigprocmask(SIG_SETMASK, &old_mask, nullptr); }
};

int signal_number(const std::string& name) {
  static const std::map<std::string, int> known = {
      {"none", 0}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP}, {"WINCH", SIGWINCH}, {"URG", SIGURG}};
  std::string n = name;
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  if (auto it = known.find(n); it != known.end()) return it->second;
  throw UsageError("record: --checkpoint-signal takes USR1, USR2, HUP, WINCH, URG or none, not '" + name + "'");
}

// Runs argv, returns its stdout, or throws if it cannot run or fails.
std::string capture_output(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw UsageError(std::string("record: pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw UsageError(std::string("record: fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(fds[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw UsageError("record: cannot run '" + argv[0] +
                     "' as a Python interpreter; name one first, e.g. refscope record -- /usr/bin/python3 app.py");
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// What the default trace name says about the program: the script's name, the module's, or "c" for -c.
std::string program_name(const std::vector<std::string>& command) {
  for (size_t i = 1; i < command.size(); ++i) {
    const std::string& a = command[i];
    if (a == "-m" && i + 1 < command.size()) return command[i + 1];
    if (a.rfind("-m", 0) == 0 && a.size() > 2) return a.substr(2);
    if (a == "-c" || a.rfind("-c", 0) == 0) return "c";
    if (a == "-X" || a == "-W") {
      ++i;
      continue;
    }
    if (a == "-") return "stdin";
    if (!a.empty() && a[0] == '-') continue;
    return fs::path(a).stem().string();
  }
  return "python";
}

std::string expand_pid(const std::string& pattern, pid_t pid) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'p') {
      out += std::to_string(pid);
      ++i;
    } else if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == '%') {
      out += '%';
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

int run_record(const RecordOptions& o) {
  if (o.command.empty()) {
    throw UsageError("record: give the program after --, e.g. refscope record -- /usr/bin/python3 app.py");
  }
  if (o.output == "-") {
    throw UsageError("record: the trace cannot go to stdout, which the program uses; give -o a file name");
  }
  if (o.stack_depth < 0 || o.stack_depth > 128) throw UsageError("record: --stack-depth is 0 to 128");
  if (!(o.checkpoint_every_ms >= 0 && o.checkpoint_every_ms <= 1e12)) {  // NaN fails too
    throw UsageError("record: --checkpoint-every is a number of milliseconds, 0 to 1e12");
  }
  if (o.max_size != 0 && o.max_size < 4096) throw UsageError("record: --max-size is 0 (no cap) or at least 4096");
  int sig = signal_number(o.checkpoint_signal);

  std::string version = capture_output({o.command[0], "-I", "-c",
                                        "import sys; print('%d.%d' % sys.version_info[:2])"});
  fs::path recorder = find_recorder_dir(version, "record");
  std::string pattern = o.output.empty() ? "refscope-" + program_name(o.command) + ".%p.trace.zst" : o.output;

  std::string pythonpath = recorder.string();
  if (const char* old = std::getenv("PYTHONPATH"); old != nullptr && *old != '\0') pythonpath += ":" + std::string(old);

  std::vector<char*> args;
  for (const auto& a : o.command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  Forwarding forwarding;
  forwarding.install();
  std::cout.flush();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    forwarding.restore();
    throw UsageError(std::string("record: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    forwarding.restore();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) raise(SIGTERM);  // refscope died before the line above
    setenv("PYTHONPATH", pythonpath.c_str(), 1);
    setenv("REFSCOPE_RECORD_OUTPUT", pattern.c_str(), 1);
    setenv("REFSCOPE_RECORD_ROOT_PID", std::to_string(getpid()).c_str(), 1);
    setenv("REFSCOPE_RECORD_STACK_DEPTH", std::to_string(o.stack_depth).c_str(), 1);
    setenv("REFSCOPE_RECORD_CHECKPOINT_MS", std::to_string(o.checkpoint_every_ms).c_str(), 1);
    setenv("REFSCOPE_RECORD_MAX_SIZE", std::to_string(o.max_size).c_str(), 1);
    setenv("REFSCOPE_RECORD_SIGNAL", std::to_string(sig).c_str(), 1);
    setenv("REFSCOPE_RECORD_REF_TRACER", o.no_ref_tracer ? "0" : "1", 1);
    setenv("REFSCOPE_RECORD_QUIET", o.quiet ? "1" : "0", 1);
    if (o.text) setenv("REFSCOPE_RECORD_TEXT", "1", 1);  // otherwise REFSCOPE_RECORD_TEXT=1 in the environment holds
    execvp(args[0], args.data());
    std::string msg = "refscope: record: cannot run " + o.command[0] + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = write(2, msg.data(), msg.size());
    (void)ignored;
    _exit(127);
  }
  g_program = pid;
  forwarding.release();  // signals that came meanwhile are passed on now
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_program = 0;
  forwarding.restore();

  std::string trace = expand_pid(pattern, pid);
  std::error_code ec;
  if (fs::exists(trace, ec)) {
    if (!o.quiet) std::cerr << "refscope: trace written to " << trace << "\n";
  } else {
    std::cerr << "refscope: " << o.command[0] << " wrote no trace " << trace
              << " (the recorder did not start: was Python run with -I, -E or -S?)\n";
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void add_record_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* cmd = app.add_subcommand(
      "record", "Run a Python program and record its objects into a trace; exits with the program's status");
  cmd->footer(
      "Usage: refscope record [OPTIONS] -- PYTHON SCRIPT|-m MODULE|-c CODE [ARGS...]\n"
      "The program can import refscope_record and call mark(LABEL) for a checkpoint and a marker.\n"
      "kill -USR2 asks for a checkpoint (marker `signal`). SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2\n"
      "sent to refscope are passed on to the program; a program stopped by SIGTERM, SIGHUP, SIGQUIT or SIGINT\n"
      "gets a last checkpoint (marker `exit`) first. Exit status: the program's (128+N if it died of signal N);\n"
      "2 when refscope cannot start it.");
  cmd->add_option("-o,--output", o->output,
                  "Trace file; %p is the process id, .zst compresses (default refscope-NAME.%p.trace.zst)")
      ->type_name("FILE");
  cmd->add_option("--checkpoint-every", o->checkpoint_every_ms,
                  "Also checkpoint every MS milliseconds (default 0: at each mark() and at exit only)")
      ->type_name("MS");
  cmd->add_option("--stack-depth", o->stack_depth, "Python frames per allocation site, 0 to 128 (default 1)")
      ->type_name("N");
  add_count_option(cmd, "--max-size", o->max_size,
                   "Cut the trace at a record before it passes BYTES, at least 4096 (default 0: no cap); the program "
                   "goes on")
      ->type_name("BYTES");
  cmd->add_option("--checkpoint-signal", o->checkpoint_signal,
                  "Signal that asks the program for a checkpoint: USR1, USR2, HUP, WINCH, URG or none (default USR2)")
      ->type_name("SIG");
  cmd->add_flag("--no-ref-tracer", o->no_ref_tracer,
                "On Python 3.13+, do not use PyRefTracer (as on 3.12: an object reused from a freelist is then "
                "seen at the next checkpoint, without its site)");
  cmd->add_flag("--text", o->text,
                "Write the trace as text rather than in the compact binary encoding (refscope convert turns either "
                "into the other)");
  cmd->add_flag("-q,--quiet", o->quiet, "No messages of refscope's or the recorder's on stderr, errors apart");
  cmd->add_option("command", o->command, "The interpreter and its arguments, after --")->type_name("PYTHON ARGS");
  cmd->callback([&app, &selected, o] {
    if (app.get_option("--quiet")->count() > 0) o->quiet = true;
    selected = [o] { return run_record(*o); };
  });
}

}  // namespace refscope::cli
