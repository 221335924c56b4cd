#pragma once
// The `check` report: the gate's settings, each leak group with what counted against the limits, the
// suppressions and how often they matched, and a last line saying why the gate passed or failed.
#include <optional>
#include <string>

#include "refscope/analysis/check_gate.h"
#include "refscope/replay/replay.h"
#include "refscope/report/format.h"
#include "refscope/report/leak_report.h"

namespace refscope {

struct CheckReportInput {
  LeakWindowInfo window;
  std::vector<std::string> by;
  GateLimits limits;
  const PointSample* last = nullptr;  // the point P (or the last iteration)
  const GateResult* result = nullptr;
  const SuppressionList* suppressions = nullptr;
  std::string baseline_file;   // empty: none
  size_t baseline_groups = 0;
  std::string written_baseline;  // --write-baseline, empty: none
  std::string repeat_label;      // empty: no --repeat
  size_t warmup = 0;
  std::vector<uint64_t> iteration_lines;  // the line of each LABEL marker
};

Json check_json(const Replay& replay, const CheckReportInput& in);
std::string check_text(const Replay& replay, const CheckReportInput& in);
// JUnit XML: one testsuite, a testcase per leak group, a <failure> for each group over the limits, and a
// testcase per suppression (skipped) so that a CI page shows what was hidden.
std::string check_junit(const Replay& replay, const CheckReportInput& in);

}  // namespace refscope
