#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/output.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"

namespace refscope::cli {
namespace {

constexpr int kExitUsage = 2;

void print_error(const std::string& message) { std::fprintf(stderr, "refscope: error: %s\n", message.c_str()); }

int report(const TraceError& e) {
  print_error(e.what());
  if (!e.text().empty()) std::fprintf(stderr, "  | %s\n", e.text().c_str());
  return kExitUsage;
}

}  // namespace

int run(int argc, char** argv) {
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
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(e.what());
    std::fprintf(stderr, "Run 'refscope --help' or 'refscope COMMAND --help' for usage.\n");
    return kExitUsage;
  }

  log::setup(quiet ? -1 : verbose);
  set_progress_allowed(!quiet && ::isatty(STDERR_FILENO));
  int status = kExitUsage;
  try {
    status = selected ? selected() : kExitUsage;
  } catch (const TraceError& e) {
    return report(e);
  } catch (const UsageError& e) {
    print_error(e.what());
    return kExitUsage;
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitUsage;
  }
  flush_out();
  return status;
}

}  // namespace refscope::cli
