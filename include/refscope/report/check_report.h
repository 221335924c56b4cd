#pragma once
// The `check` report: the gate's settings, each leak group with what counted against the limits, the
// suppressions and how often they matched, and a last line saying why the gate passed or failed. Besides text and
// JSON on stdout, two renderers of the same result write files: JUnit XML (--junit) and a baseline
// (--write-baseline, baseline.h).
#include "refscope/analysis/check_gate.h"
#include "refscope/report/render.h"

namespace refscope {

void check_text(const CheckResult& r, Output& out);
void check_json(const CheckResult& r, Output& out);
// JUnit XML: one testsuite, a testcase per leak group, a <failure> for each group over the limits, and a
// testcase per suppression (skipped) so that a CI page shows what was hidden.
void check_junit(const CheckResult& r, Output& out);

inline constexpr Renderers<CheckResult> kCheckRenderers{.text = check_text, .json = check_json};

}  // namespace refscope
