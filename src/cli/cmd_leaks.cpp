// refscope leaks: the objects of a window still alive at its end, each with its leak kind, grouped and explained.
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/format.h"
#include "refscope/report/leak_report.h"

namespace refscope::cli {
namespace {

struct LeaksOptions {
  CommonOptions common;
  std::vector<std::string> by;
  size_t limit = 20;
  size_t groups = 20;
  std::vector<std::string> suppressions;
  std::string root;
};

int run_leaks(const LeaksOptions& o) {
  GroupBy by = parse_group_by(o.by);
  SuppressionList suppressions;
  for (const std::string& file : o.suppressions) suppressions.load(file);
  auto replay = open_replay(o.common);
  LeaksResult r;
  r.window = advance_window(*replay, o.common);
  r.trace = TraceFacts::of(replay->info(), replay->model());
  r.by = by;
  r.limit = o.limit;
  r.group_limit = o.groups;
  SourcePaths paths = SourcePaths::of(replay->info(), o.root);
  set_site_root(paths.project_root());
  suppressions.set_paths(&paths);
  LeakOptions options{r.window.from.line, by, true, o.limit, o.suppressions.empty() ? nullptr : &suppressions, &paths};
  r.leaks = analyse_leaks(replay->model(), replay->symbols(), options);
  if (!o.suppressions.empty()) r.suppressions = suppressions.entries();
  emit(kLeakRenderers, o.common, r);
  return 0;
}

}  // namespace

void add_leaks_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<LeaksOptions>();
  CLI::App* cmd = app.add_subcommand(
      "leaks", "Objects allocated in a window and still alive at its end, each unowned, retained, indirect or cyclic");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, kLeakRenderers);
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--by", o->by, "Group by type, site and/or stack (repeat or comma list; default type,site)")
      ->allow_extra_args(false)
      ->type_name("WHAT");
  add_count_option(cmd, "--limit", o->limit, "Objects listed, largest first (0 = all; default 20)");
  add_count_option(cmd, "--groups", o->groups, "Groups listed in text, largest first (0 = all; default 20)");
  add_suppressions_option(cmd, o->suppressions);
  add_root_option(cmd, o->root);
  cmd->callback([&selected, o] { selected = [o] { return run_leaks(*o); }; });
}

}  // namespace refscope::cli
