// refscope diff: growth between two markers of one trace, or between two traces, by type and by site.
#include "refscope/analysis/diff_growth.h"
#include "refscope/analysis/source_paths.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/format.h"
#include "refscope/report/diff_report.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct DiffOptions {
  CommonOptions common;
  std::vector<std::string> traces;
  size_t limit = 20;
};

int run_diff(DiffOptions o) {
  if (o.traces.empty()) o.traces.push_back("-");
  DiffResult in;
  LiveCounts a, b;
  if (o.traces.size() == 1) {
    o.common.trace = o.traces[0];
    auto from = from_point(o.common);
    auto to = at_point(o.common);
    if (from && to && from->text == to->text)
      throw UsageError("--from and --to name the same marker '" + from->text + "': nothing to compare");
    auto replay = open_replay(o.common);
    in.a = {o.common.trace, o.common.from, 0, !from};
    if (from) in.a.line = replay->advance_to(*from);
    a = live_counts(replay->model(), replay->symbols(), UINT64_MAX);
    a.line = in.a.line;
    in.b = {o.common.trace, o.common.at, 0, false};
    in.b.line = to ? replay->advance_to(*to) : replay->advance_to_end();
    b = live_counts(replay->model(), replay->symbols(), in.a.line);
    show_sites_from(*replay);
    in.same_trace = true;
  } else {
    if (!o.common.from.empty() || !o.common.at.empty())
      throw UsageError("with two traces diff compares each at its end: --from and --to choose markers of one trace");
    if (o.traces[0] == "-" && o.traces[1] == "-") throw UsageError("only one of the two traces can be stdin (-)");
    std::string roots[2];  // sites are shown from the project root when both traces have the same one
    for (int i = 0; i < 2; ++i) {
      CommonOptions c = o.common;
      c.trace = o.traces[i];
      auto replay = open_replay(c);
      uint64_t line = replay->advance_to_end();
      (i == 0 ? a : b) = live_counts(replay->model(), replay->symbols(), UINT64_MAX);
      (i == 0 ? in.a : in.b) = {c.trace, "", line, false};
      roots[i] = SourcePaths::of(replay->info()).project_root();
    }
    set_site_root(roots[0] == roots[1] ? roots[0] : "");
    in.same_trace = false;
  }
  in.growth = compare_live(a, b, in.same_trace);
  in.limit = o.limit;
  emit(kDiffRenderers, o.common, in);
  return 0;
}

}  // namespace

void add_diff_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<DiffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Growth in live objects and bytes by type and site: between two markers, or between two traces");
  cmd->add_option("TRACE", o->traces,
                  "One trace (compare --from with --to) or two (compare their ends); - reads stdin (the default)")
      ->expected(0, 2);
  add_format_option(cmd, o->common, kDiffRenderers);
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  add_count_option(cmd, "--limit", o->limit, "Rows per table in text output (0 = all; default 20)");
  cmd->callback([&selected, o] { selected = [o] { return run_diff(*o); }; });
}

}  // namespace refscope::cli
