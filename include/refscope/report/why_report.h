#pragma once
// The `why` report: the chains of owners from roots to one object.
#include "refscope/analysis/why_paths.h"
#include "refscope/report/render.h"

namespace refscope {

void why_text(const WhyResult& r, Output& out);
void why_json(const WhyResult& r, Output& out);
// The objects on the paths, each once, by address then line; roots filled grey, the target bold.
void why_dot(const WhyResult& r, Output& out);

inline constexpr Renderers<WhyResult> kWhyRenderers{.text = why_text, .json = why_json, .dot = why_dot};

}  // namespace refscope
