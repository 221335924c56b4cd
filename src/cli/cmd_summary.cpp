// refscope summary: what a trace holds, what is live at its end (or at a marker), and what went wrong.
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/summary_report.h"

namespace refscope::cli {
namespace {

struct SummaryOptions {
  CommonOptions common;
  size_t type_rows = 20;
};

int run_summary(const SummaryOptions& o) {
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  SummaryResult r = summarize(replay->model(), replay->symbols(), replay->info());
  r.at = w.to;
  r.type_rows = o.type_rows;
  emit(kSummaryRenderers, o.common, r);
  return 0;
}

}  // namespace

void add_summary_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<SummaryOptions>();
  CLI::App* cmd = app.add_subcommand("summary", "Records, live and peak objects and bytes, types, markers, anomalies");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, kSummaryRenderers);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  add_count_option(cmd, "--types", o->type_rows, "Rows of the type table in text output (0 = all; default 20)");
  cmd->callback([&selected, o] { selected = [o] { return run_summary(*o); }; });
}

}  // namespace refscope::cli
