// refscope check: the CI leak gate. Exit 0 within the limits, 1 over them, 2 for usage or input errors; a closed
// stdout changes nothing (the verdict is the exit status).
#include <fmt/format.h>

#include <optional>

#include "refscope/analysis/check_gate.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/baseline.h"
#include "refscope/report/check_report.h"
#include "refscope/report/output.h"
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
};

// --repeat: samples at the window start and at each LABEL marker; the markers end iterations.
std::vector<PointSample> sample_iterations(Replay& r, const CheckOptions& o, uint64_t from_line, GroupBy by,
                                           SuppressionList* sup, std::vector<uint64_t>& lines) {
  std::vector<PointSample> points;
  points.push_back(sample_leaks(r.model(), r.symbols(), from_line, by, nullptr));
  for (uint32_t i = 1;; ++i) {
    PointSpec p = parse_point(o.repeat + "#" + std::to_string(i));
    try {
      lines.push_back(r.advance_to(p));
    } catch (const UsageError&) {
      if (r.resolved_line(p)) throw;
      break;  // the trace ended: the previous marker was the last iteration
    }
    if (sup) sup->reset_counts();  // they count what is suppressed at the last point
    points.push_back(sample_leaks(r.model(), r.symbols(), from_line, by, sup));
  }
  if (lines.empty())
    throw UsageError("--repeat: no marker '" + o.repeat + "' in " + r.info().name +
                     (o.common.from.empty() ? "" : " after --from '" + o.common.from + "'"));
  if (lines.size() <= o.warmup)
    throw UsageError(fmt::format("--repeat: {} iterations end at marker '{}', and --warmup {} leaves none to measure",
                                 lines.size(), o.repeat, o.warmup));
  return points;
}

int run_check(const CheckOptions& o) {
  GroupBy by = parse_group_by(o.by);
  std::vector<std::string> by_names = group_by_names(by);
  GateLimits limits;
  // Under --repeat, growth of any kind in every iteration is a leak, as regrtest -R counts every reference.
  limits.fail_on = parse_kinds_list(o.fail_on.value_or(o.repeat.empty() ? "unowned,cyclic" : "all"));
  limits.max_objects = o.max_objects;
  limits.max_bytes = o.max_bytes;
  if (!o.repeat.empty() && !o.common.at.empty())
    throw UsageError("--repeat measures up to the last '" + o.repeat + "' marker: leave out --at");
  if (o.repeat.empty() && o.warmup > 0) throw UsageError("--warmup needs --repeat LABEL");
  if (!o.repeat.empty()) parse_point(o.repeat);  // an empty label is a usage error

  SuppressionList suppressions;
  for (const std::string& file : o.suppressions) suppressions.load(file);
  std::optional<Baseline> baseline;
  if (!o.baseline.empty()) {
    baseline = load_baseline(o.baseline);
    if (!baseline->by.empty() && baseline->by != by_names) {
      std::string want;
      for (const auto& d : baseline->by) want += (want.empty() ? "" : ",") + d;
      throw UsageError("the baseline " + o.baseline + " groups by " + want + ": run check with --by " + want);
    }
  }

  std::vector<PointSpec> extra;
  if (!o.repeat.empty()) extra.push_back(parse_point(o.repeat + "#1"));
  auto replay = open_replay(o.common, extra);
  GateInput input;
  CheckReportInput report;
  SuppressionList* sup = suppressions.empty() ? nullptr : &suppressions;
  uint64_t from_line = 0, to_line = 0;
  if (o.repeat.empty()) {
    Window w = advance_window(*replay, o.common);
    from_line = w.from_line;
    to_line = w.to_line;
    input.points.push_back(sample_leaks(replay->model(), replay->symbols(), from_line, by, sup));
  } else {
    if (auto from = from_point(o.common)) from_line = replay->advance_to(*from);
    input.points = sample_iterations(*replay, o, from_line, by, sup, report.iteration_lines);
    to_line = report.iteration_lines.back();
    input.repeat = true;
    input.warmup = o.warmup;
  }
  if (baseline) input.baseline = &baseline->groups;
  GateResult result = evaluate_gate(input, limits);

  report.window = {o.common.from, o.repeat.empty() ? o.common.at : fmt::format("{}#{}", o.repeat, report.iteration_lines.size()),
                   from_line, to_line};
  report.by = by_names;
  report.limits = limits;
  report.last = &input.points.back();
  report.result = &result;
  report.suppressions = sup;
  if (baseline) {
    report.baseline_file = o.baseline;
    report.baseline_groups = baseline->groups.size();
  }
  report.repeat_label = o.repeat;
  report.warmup = o.warmup;
  if (!o.write_baseline.empty()) {
    write_text_file(o.write_baseline,
                    baseline_json(result, by_names).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    report.written_baseline = o.write_baseline;
  }
  if (!o.junit.empty()) write_text_file(o.junit, check_junit(*replay, report));
  if (o.common.parsed_format() == Format::Json)
    write_json(check_json(*replay, report));
  else
    write_out(check_text(*replay, report));
  return result.pass ? 0 : 1;
}

}  // namespace

void add_check_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "CI leak gate: exit 1 when leaks of the failing kinds go over the limits, 0 otherwise");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, {"text", "json"});
  add_from_option(cmd, o->common);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--fail-on", o->fail_on,
                  "Leak kinds that fail the gate, a comma list of unowned, retained, indirect, cyclic or all "
                  "(default unowned,cyclic; with --repeat, all)")
      ->type_name("KINDS");
  cmd->add_option("--max-objects", o->max_objects,
                  "Fail when more objects than N count (without --max-objects and --max-bytes: any)")
      ->type_name("N");
  cmd->add_option("--max-bytes", o->max_bytes, "Fail when more bytes than N count")->type_name("N");
  cmd->add_option("--by", o->by, "Group by type, site and/or stack (repeat or comma list; default type,site)")
      ->allow_extra_args(false)
      ->type_name("WHAT");
  cmd->add_option("--suppressions", o->suppressions,
                  "LeakSanitizer-style file of leak:GLOB lines matched against the type and every frame's function "
                  "and file (repeatable)")
      ->allow_extra_args(false)
      ->type_name("FILE");
  cmd->add_option("--baseline", o->baseline, "Only groups new or grown beyond this baseline count")->type_name("FILE");
  cmd->add_option("--write-baseline", o->write_baseline, "Write the groups found as a baseline")->type_name("FILE");
  cmd->add_option("--repeat", o->repeat,
                  "Markers LABEL end iterations; only groups that grew in every iteration after the warm-up count")
      ->type_name("LABEL");
  cmd->add_option("--warmup", o->warmup, "Iterations not measured under --repeat (default 0)")->type_name("K");
  cmd->add_option("--junit", o->junit, "Also write JUnit XML: a testcase per leak group")->type_name("FILE");
  cmd->callback([&selected, o] { selected = [o] { return run_check(*o); }; });
}

}  // namespace refscope::cli
