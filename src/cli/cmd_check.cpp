// refscope check: the CI leak gate. Exit 0 within the limits, 1 over them, 2 for usage or input errors; a closed
// stdout changes nothing (the verdict is the exit status).
#include <fmt/format.h>

#include <optional>

#include "refscope/analysis/check_gate.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/format.h"
#include "refscope/report/baseline.h"
#include "refscope/report/check_report.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct CheckOptions {
  CommonOptions common;
  std::vector<std::string> by;
  std::optional<std::string> fail_on;  // default: unowned,cyclic; under --repeat, every kind
  std::optional<uint64_t> max_objects, max_bytes;
  std::vector<std::string> suppressions;
  std::string baseline, write_baseline;
  std::string repeat;
  size_t warmup = 0;
  std::string junit;
  std::string root;
  size_t groups = 20;
};

// The directories of the trace as far as the replay has read it, and --root: what portable names and suppressions
// of files are relative to. The recorder names them in the header, before the first checkpoint.
void update_paths(SourcePaths& paths, const Replay& r, const CheckOptions& o, LeakOptions& leaks) {
  paths = SourcePaths::of(r.info(), o.root);
  set_site_root(paths.project_root());
  if (leaks.suppressions) leaks.suppressions->set_paths(&paths);
  leaks.paths = &paths;
}

// --repeat: the leaks at the window start and at each LABEL marker; the markers end iterations.
std::vector<LeakAnalysis> sample_iterations(Replay& r, const CheckOptions& o, LeakOptions leaks, SourcePaths& paths,
                                            std::vector<uint64_t>& lines) {
  std::vector<LeakAnalysis> points;
  update_paths(paths, r, o, leaks);
  points.push_back(analyse_leaks(r.model(), r.symbols(), leaks));
  for (uint32_t i = 1;; ++i) {
    PointSpec p = parse_point(o.repeat + "#" + std::to_string(i));
    try {
      lines.push_back(r.advance_to(p));
    } catch (const UsageError&) {
      if (r.resolved_line(p)) throw;
      break;  // the trace ended: the previous marker was the last iteration
    }
    if (leaks.suppressions) leaks.suppressions->reset_counts();  // they count what is suppressed at the last point
    update_paths(paths, r, o, leaks);
    points.push_back(analyse_leaks(r.model(), r.symbols(), leaks));
  }
  if (lines.empty())
    throw UsageError("--repeat: no marker '" + o.repeat + "' in " + r.info().name +
                     (o.common.from.empty() ? "" : " after --from '" + o.common.from + "'"));
  if (lines.size() <= o.warmup)
    throw UsageError(fmt::format("--repeat: {} iterations end at marker '{}', and --warmup {} leaves none to measure",
                                 lines.size(), o.repeat, o.warmup));
  return points;
}

// Writes a file with one of the check's renderers.
void write_file(const std::string& path, void (*renderer)(const CheckResult&, Output&), const CheckResult& r) {
  FileOutput file(path);
  renderer(r, file);
  file.close();
}

int run_check(const CheckOptions& o) {
  GroupBy by = parse_group_by(o.by);
  CheckResult r;
  r.by = group_by_names(by);
  // Under --repeat, growth of any kind in every iteration is a leak, as regrtest -R counts every reference.
  r.limits.fail_on = parse_kinds_list(o.fail_on.value_or(o.repeat.empty() ? "unowned,cyclic" : "all"));
  r.group_limit = o.groups;
  r.limits.max_objects = o.max_objects;
  r.limits.max_bytes = o.max_bytes;
  if (!o.repeat.empty() && !o.common.at.empty())
    throw UsageError("--repeat measures up to the last '" + o.repeat + "' marker: leave out --at");
  if (o.repeat.empty() && o.warmup > 0) throw UsageError("--warmup needs --repeat LABEL");
  if (!o.repeat.empty()) parse_point(o.repeat);  // an empty label is a usage error

  SuppressionList suppressions;
  for (const std::string& file : o.suppressions) suppressions.load(file);
  std::optional<Baseline> baseline;
  if (!o.baseline.empty()) {
    baseline = load_baseline(o.baseline);
    if (!baseline->by.empty() && baseline->by != r.by) {
      std::string want;
      for (const auto& d : baseline->by) want += (want.empty() ? "" : ",") + d;
      throw UsageError("the baseline " + o.baseline + " groups by " + want + ": run check with --by " + want);
    }
  }

  std::vector<PointSpec> extra;
  if (!o.repeat.empty()) extra.push_back(parse_point(o.repeat + "#1"));
  auto replay = open_replay(o.common, extra);
  LeakOptions leaks;
  leaks.by = by;
  leaks.list_objects = false;
  leaks.suppressions = suppressions.empty() ? nullptr : &suppressions;
  std::vector<LeakAnalysis> points;
  SourcePaths paths;
  if (o.repeat.empty()) {
    r.window = advance_window(*replay, o.common);
    leaks.from_line = r.window.from.line;
    update_paths(paths, *replay, o, leaks);
    points.push_back(analyse_leaks(replay->model(), replay->symbols(), leaks));
  } else {
    r.window.from.label = o.common.from;
    if (auto from = from_point(o.common)) r.window.from.line = replay->advance_to(*from);
    leaks.from_line = r.window.from.line;
    points = sample_iterations(*replay, o, leaks, paths, r.iteration_lines);
    r.window.to = {fmt::format("{}#{}", o.repeat, r.iteration_lines.size()), r.iteration_lines.back()};
    r.repeat_label = o.repeat;
    r.warmup = o.warmup;
  }
  std::map<std::string, BaselineEntry> baseline_keys;
  if (baseline) baseline_keys = baseline->keyed(paths);
  GateInput input{&points, o.warmup, !o.repeat.empty(), baseline ? &baseline_keys : nullptr};
  r.gate = evaluate_gate(input, r.limits);

  const LeakAnalysis& last = points.back();
  r.trace = TraceFacts::of(replay->info(), replay->model());
  r.line = last.line;
  r.leaked_objects = last.objects;
  r.leaked_bytes = last.bytes;
  r.suppressed_objects = last.suppressed_objects;
  r.suppressed_bytes = last.suppressed_bytes;
  r.suppressions = suppressions.entries();
  if (baseline) {
    r.baseline_file = o.baseline;
    r.baseline_groups = baseline_keys.size();
  }
  if (!o.write_baseline.empty()) {
    write_file(o.write_baseline, baseline_json, r);
    r.written_baseline = o.write_baseline;
  }
  if (!o.junit.empty()) write_file(o.junit, check_junit, r);
  emit(kCheckRenderers, o.common, r);
  return r.gate.pass ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "CI leak gate: exit 1 when leaks of the failing kinds go over the limits, 0 otherwise");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, kCheckRenderers);
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--fail-on", o->fail_on,
                  "Leak kinds that fail the gate, a comma list of unowned, retained, indirect, cyclic or all "
                  "(default unowned,cyclic; with --repeat, all)")
      ->type_name("KINDS");
  add_count_option(cmd, "--max-objects", o->max_objects,
                   "Fail when more objects than N count (without --max-objects and --max-bytes: any)");
  add_count_option(cmd, "--max-bytes", o->max_bytes, "Fail when more bytes than N count");
  cmd->add_option("--by", o->by, "Group by type, site and/or stack (repeat or comma list; default type,site)")
      ->allow_extra_args(false)
      ->type_name("WHAT");
  add_count_option(cmd, "--groups", o->groups,
                   "Groups listed in text that the gate does not count, largest first; counted ones are always "
                   "listed (0 = all; default 20)");
  add_suppressions_option(cmd, o->suppressions);
  add_root_option(cmd, o->root);
  cmd->add_option("--baseline", o->baseline, "Only groups new or grown beyond this baseline count")->type_name("FILE");
  cmd->add_option("--write-baseline", o->write_baseline, "Write the groups found as a baseline")->type_name("FILE");
  cmd->add_option("--repeat", o->repeat,
                  "Markers LABEL end iterations; only groups that grew in every iteration after the warm-up count")
      ->type_name("LABEL");
  add_count_option(cmd, "--warmup", o->warmup, "Iterations not measured under --repeat (default 0)")->type_name("K");
  cmd->add_option("--junit", o->junit, "Also write JUnit XML: a failing testcase per failing leak group, one passing for the rest")->type_name("FILE");
  cmd->callback([&selected, o] { selected = [o] { return run_check(*o); }; });
}

}  // namespace refscope::cli
