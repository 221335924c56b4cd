#pragma once
// The `cycles` report: the garbage cycles live at a point and those CPython's collector freed before it. JSON is
// written as it is walked: a cycle of a million objects costs no more memory than its result.
#include "refscope/analysis/cycles.h"
#include "refscope/report/render.h"

namespace refscope {

void cycles_text(const CyclesResult& r, Output& out);
void cycles_json(const CyclesResult& r, Output& out);
void cycles_dot(const CyclesResult& r, Output& out);

inline constexpr Renderers<CyclesResult> kCyclesRenderers{.text = cycles_text, .json = cycles_json, .dot = cycles_dot};

}  // namespace refscope
