// refscope summary: what a trace holds, what is live at its end (or at a marker), and what went wrong.
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/output.h"
#include "refscope/report/summary_report.h"

namespace refscope::cli {
namespace {

struct SummaryOptions {
  CommonOptions common;
  size_t type_limit = 20;
};

int run_summary(const SummaryOptions& o) {
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  SummaryReportOptions report{o.common.at, o.common.at.empty() ? 0 : w.to_line, o.type_limit};
  if (o.common.parsed_format() == Format::Json) {
    write_json(summary_json(*replay, report));
  } else {
    write_out(summary_text(*replay, report));
  }
  return 0;
}

}  // namespace

void add_summary_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<SummaryOptions>();
  CLI::App* cmd = app.add_subcommand("summary", "Records, live and peak objects and bytes, types, markers, anomalies");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, {"text", "json"});
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--types", o->type_limit, "Rows of the type table in text output (0 = all; default 20)")
      ->type_name("N");
  cmd->callback([&selected, o] { selected = [o] { return run_summary(*o); }; });
}

}  // namespace refscope::cli
