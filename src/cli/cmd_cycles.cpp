// refscope cycles: the objects that only keep each other alive at a point, and the cycles CPython's collector freed
// before it.
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/cycle_report.h"

namespace refscope::cli {
namespace {

struct CyclesOptions {
  CommonOptions common;
  size_t limit = 20;
  size_t max_collected = 100;
};

int run_cycles(const CyclesOptions& o) {
  auto replay = open_replay(o.common);
  Namer namer(replay->symbols());
  CollectedCycles collected(replay->model(), namer, o.max_collected);
  replay->model().set_observer(&collected);
  Window w = advance_window(*replay, o.common);
  collected.finish();
  replay->model().set_observer(nullptr);
  replay->model().release_address_index();  // the replay is over; the graph work needs the room

  CyclesResult r;
  r.at = w.to;
  r.limit = o.limit;
  r.collected = collected.take();
  find_garbage(replay->model(), namer, r);
  r.names = namer.take();
  emit(kCyclesRenderers, o.common, r);
  return 0;
}

}  // namespace

void add_cycles_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<CyclesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cycles", "Garbage cycles: live objects no root reaches, as closed paths; and the cycles the collector freed");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, kCyclesRenderers);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  add_count_option(cmd, "--limit", o->limit, "Cycles shown in text and dot, live and collected each (0 = all; default 20)");
  add_count_option(cmd, "--max-collected", o->max_collected,
                   "Collected cycles kept in detail; all are counted (default 100)");
  cmd->callback([&selected, o] { selected = [o] { return run_cycles(*o); }; });
}

}  // namespace refscope::cli
