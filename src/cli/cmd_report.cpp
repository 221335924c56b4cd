// refscope report: one self-contained HTML page of a window of the trace: the timeline, the leaks, the garbage
// cycles drawn, and the dominator tree to browse. One replay gives every part.
#include <sys/stat.h>
#include <unistd.h>

#include "refscope/analysis/collected_cycles.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/html_report.h"
#include "refscope/util/error.h"
#include "refscope/util/progress.h"

namespace refscope::cli {
namespace {

struct ReportOptions {
  CommonOptions common;
  std::string output;
  size_t limit = 1000;
  size_t cycles = 30;
};

int write_report(const ReportOptions& o, bool& created) {
  auto replay = open_replay(o.common);
  // Opened before the replay's work, so that a report that cannot be written fails at once.
  FileOutput out(o.output);
  created = true;
  Model& model = replay->model();
  Timeline timeline;
  replay->set_sampler(&timeline);
  Namer namer(replay->symbols());
  CollectedCycles collected(model, namer, o.cycles);
  model.set_observer(&collected);
  Window w = advance_window(*replay, o.common);
  collected.finish();
  model.set_observer(nullptr);
  replay->set_sampler(nullptr);

  HtmlReportResult r;
  r.cycle_pictures = o.cycles;
  r.timeline = timeline.finish(model);
  r.summary = summarize(model, replay->symbols(), replay->info());
  r.summary.at = w.to;
  r.leaks.window = w;
  r.leaks.trace = TraceFacts::of(replay->info(), model);
  r.leaks.by = parse_group_by({});
  r.leaks.limit = o.limit;
  r.leaks.leaks = analyse_leaks(model, replay->symbols(), {w.from.line, r.leaks.by, true, o.limit, nullptr});
  GroupBy by_stack;
  by_stack.stack = true;
  r.stacks = analyse_leaks(model, replay->symbols(), {w.from.line, by_stack, false, 0, nullptr});
  model.release_address_index();  // the replay is over; the graph work needs the room

  r.cycles.at = w.to;
  r.cycles.limit = o.cycles;
  r.cycles.collected = collected.take();
  find_garbage(model, namer, r.cycles);
  r.cycles.names = namer.take();
  r.retention = analyse_retention(model, replay->symbols(), {});

  progress::phase("writing the page");
  render(kHtmlReportRenderers, Format::Html, r, out);
  out.close();
  return 0;
}

// A report that failed half way leaves no half page behind (the file was ours to write: we had truncated it). Only
// a regular file is removed: `-o /dev/full` must not take the device away.
int run_report(const ReportOptions& o) {
  bool created = false;
  try {
    return write_report(o, created);
  } catch (...) {
    struct stat st {};
    if (created && ::stat(o.output.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(o.output.c_str());
    throw;
  }
}

}  // namespace

void add_report_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "One self-contained HTML page: the timeline, the leaks, the garbage cycles drawn, the dominator tree");
  add_trace_argument(cmd, o->common);
  cmd->add_option("-o,--output", o->output, "The HTML file to write (required)")->required()->type_name("FILE");
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  add_count_option(cmd, "--limit", o->limit,
                   "Leaked objects listed under their groups, largest first, with their paths (0 = all; default 1000)");
  add_count_option(cmd, "--cycles", o->cycles, "Garbage cycles drawn, live and collected each (default 30)");
  cmd->callback([&selected, o] { selected = [o] { return run_report(*o); }; });
}

}  // namespace refscope::cli
