#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <system_error>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/output.h"
#include "refscope/util/checked.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"
#include "refscope/util/printable.h"

namespace refscope::cli {
namespace {

constexpr int kExitUsage = 2;

// Messages quote names, labels and lines from the input: escaped, so that a trace cannot drive the terminal.
void print_error(const std::string& message) {
  std::fprintf(stderr, "refscope: error: %s\n", printable(message).c_str());
}

int report(const TraceError& e) {
  print_error(e.what());
  if (!e.text().empty()) std::fprintf(stderr, "  | %s\n", printable(e.text()).c_str());
  return kExitUsage;
}

// Runs `body` and maps every way it can end to the documented exit status: its own (0, or 1 for check), or 2
// with a message. Nothing escapes: an exception refscope did not expect is still a message and status 2, never an
// abort.
template <typename Body>
int guarded(Body&& body) {
  try {
    return body();
  } catch (const TraceError& e) {
    return report(e);
  } catch (const UsageError& e) {
    print_error(e.what());
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
  } catch (const OutputError& e) {
    print_error(e.what());
  } catch (const FigureOverflow& e) {
    print_error(e.what());
  } catch (const std::system_error& e) {
    // Under a memory limit, starting the replay's reader thread fails with EAGAIN: that is running out of memory.
    bool memory = e.code() == std::errc::resource_unavailable_try_again || e.code() == std::errc::not_enough_memory;
    print_error(std::string(memory ? "out of memory: " : "system error: ") + e.what());
  } catch (const std::length_error& e) {
    print_error(std::string("too large for refscope: ") + e.what());
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
  } catch (...) {
    print_error("internal error");
  }
  return kExitUsage;
}

// Help and version go to stdout through iostreams: a write error there is an error too (a closed pipe is not).
int help_written(int status) {
  errno = 0;
  std::cout.flush();
  if (std::cout.good() || errno == EPIPE) return status;
  print_error(std::string("cannot write to standard output: ") + std::strerror(errno ? errno : EIO));
  return kExitUsage;
}

int parse_and_run(int argc, char** argv) {
  // A closed output pipe shows up as EPIPE from write(); see report/output.h.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"refscope: replays CPython heap traces and reports leaks, reference cycles and sharing.", "refscope"};
  app.set_version_flag("--version", std::string("refscope ") + REFSCOPE_VERSION);
  int quiet = 0, verbose = 0;
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr, no warnings or progress");
  app.add_flag("-v,--verbose", verbose, "More detail on stderr (-vv for debugging)");
  app.require_subcommand(1);
  app.footer("Run 'refscope COMMAND --help' for a command's options; 'man refscope' for every figure's meaning.\n"
             "Exit status: 0 done, 1 'check' found leaks over its limits, 2 bad usage or unreadable input.");

  CommandRun selected;
  add_summary_command(app, selected);
  add_leaks_command(app, selected);
  add_cycles_command(app, selected);
  add_sharing_command(app, selected);
  add_why_command(app, selected);
  add_diff_command(app, selected);
  add_check_command(app, selected);
  add_record_command(app, selected);
  add_attach_command(app, selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return help_written(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return help_written(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return help_written(app.exit(e));
  } catch (const CLI::ParseError& e) {
    print_error(e.what());
    std::fprintf(stderr, "Run 'refscope --help' or 'refscope COMMAND --help' for usage.\n");
    return kExitUsage;
  }

  log::setup(quiet ? -1 : verbose);
  set_progress_allowed(!quiet && ::isatty(STDERR_FILENO));
  if (!selected) return kExitUsage;
  int status = selected();
  standard_output().flush();
  return status;
}

}  // namespace

// Parsing the command line, setting up, running the command and flushing its output all run under guarded(): an
// exception from any of them (the command's own, or one refscope did not expect, such as std::length_error) ends
// refscope with a message and status 2.
int run(int argc, char** argv) {
  return guarded([&] { return parse_and_run(argc, argv); });
}

}  // namespace refscope::cli
