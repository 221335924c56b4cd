#pragma once
// The `summary` report: what the trace holds and what the replay found, for people (text) and scripts (JSON).
#include "refscope/analysis/summary.h"
#include "refscope/report/render.h"

namespace refscope {

void summary_text(const SummaryResult& r, Output& out);
void summary_json(const SummaryResult& r, Output& out);

inline constexpr Renderers<SummaryResult> kSummaryRenderers{.text = summary_text, .json = summary_json};

}  // namespace refscope
