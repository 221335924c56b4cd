// refscope cycles: the objects that only keep each other alive at a point, and the cycles CPython's collector freed
// before it.
#include "refscope/analysis/collected_cycles.h"
#include "refscope/analysis/cycle_finder.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/cycle_report.h"
#include "refscope/report/output.h"

namespace refscope::cli {
namespace {

struct CyclesOptions {
  CommonOptions common;
  size_t limit = 20;
  size_t max_collected = 100;
};

int run_cycles(const CyclesOptions& o) {
  auto replay = open_replay(o.common);
  CollectedCycles collected(replay->model(), o.max_collected);
  replay->model().set_observer(&collected);
  Window w = advance_window(*replay, o.common);
  collected.finish();
  replay->model().set_observer(nullptr);
  replay->model().release_address_index();  // the replay is over; the graph work needs the room

  const Model& m = replay->model();
  auto object = [&](ObjSlot s) {
    const Object& x = m.object(s);
    return CycleObject{x.addr, x.line, x.size, x.type, x.site};
  };
  Graph g = Graph::from_model(m);
  std::vector<uint8_t> unreachable = unreachable_nodes(g);
  CycleReport r;
  r.at = o.common.at;
  r.at_line = w.to_line;
  r.limit = o.limit;
  r.collected = &collected;
  for (uint32_t v = 0; v < g.size(); ++v)
    if (unreachable[v]) {
      ++r.unreachable_objects;
      r.unreachable_bytes += m.object(g.slot(v)).size;
    }
  CycleSet set = find_cycles(g, unreachable, [&](uint32_t v) {
    const Object& x = m.object(g.slot(v));
    return NodeFacts{x.addr, x.line, x.size};
  });
  for (const CycleGroup& grp : set.cycles)
    r.cycles.push_back(describe_cycle(g, grp, [&](uint32_t v) { return object(g.slot(v)); }));
  for (uint32_t v : set.other) r.other.push_back(object(g.slot(v)));
  r.other_bytes = set.other_bytes;

  switch (o.common.parsed_format()) {
    case Format::Json: write_cycles_json(r, replay->symbols()); break;
    case Format::Dot: write_out(cycles_dot(r, replay->symbols())); break;
    default: write_out(cycles_text(r, replay->symbols())); break;
  }
  return 0;
}

}  // namespace

void add_cycles_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<CyclesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cycles", "Garbage cycles: live objects no root reaches, as closed paths; and the cycles the collector freed");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, {"text", "json", "dot"});
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--limit", o->limit, "Cycles shown in text and dot, live and collected each (0 = all; default 20)")
      ->type_name("N");
  cmd->add_option("--max-collected", o->max_collected,
                  "Collected cycles kept in detail; all are counted (default 100)")
      ->type_name("N");
  cmd->callback([&selected, o] { selected = [o] { return run_cycles(*o); }; });
}

}  // namespace refscope::cli
