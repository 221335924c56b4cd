// refscope leaks: the objects of a window still alive at its end, each with its leak kind, grouped and explained.
#include "refscope/analysis/leak_analysis.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/leak_report.h"
#include "refscope/report/output.h"

namespace refscope::cli {
namespace {

struct LeaksOptions {
  CommonOptions common;
  std::vector<std::string> by;
  size_t limit = 20;
};

int run_leaks(const LeaksOptions& o) {
  GroupBy by = parse_group_by(o.by);
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  LeakAnalysis a = analyse_leaks(replay->model(), replay->symbols(), w.from_line, by);
  LeakReportOptions report{{o.common.from, o.common.at, w.from_line, w.to_line}, by, o.limit};
  switch (o.common.parsed_format()) {
    case Format::Json: write_json(leaks_json(*replay, a, report)); break;
    case Format::Tsv: write_out(leaks_tsv(*replay, a, report)); break;
    default: write_out(leaks_text(*replay, a, report)); break;
  }
  return 0;
}

}  // namespace

void add_leaks_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<LeaksOptions>();
  CLI::App* cmd = app.add_subcommand(
      "leaks", "Objects allocated in a window and still alive at its end, each unowned, retained, indirect or cyclic");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, {"text", "json", "tsv"});
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--by", o->by, "Group by type, site and/or stack (repeat or comma list; default type,site)")
      ->allow_extra_args(false)
      ->type_name("WHAT");
  cmd->add_option("--limit", o->limit, "Objects listed, largest first (0 = all; default 20)")->type_name("N");
  cmd->callback([&selected, o] { selected = [o] { return run_leaks(*o); }; });
}

}  // namespace refscope::cli
