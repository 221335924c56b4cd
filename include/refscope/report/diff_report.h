#pragma once
// The `diff` report: what each point holds, the growth between them, and tables by type and by site.
#include "refscope/analysis/diff_growth.h"
#include "refscope/report/render.h"

namespace refscope {

void diff_text(const DiffResult& r, Output& out);
void diff_json(const DiffResult& r, Output& out);
// One table: a `by` column (type or site), then the figures.
void diff_tsv(const DiffResult& r, Output& out);

inline constexpr Renderers<DiffResult> kDiffRenderers{.text = diff_text, .json = diff_json, .tsv = diff_tsv};

}  // namespace refscope
