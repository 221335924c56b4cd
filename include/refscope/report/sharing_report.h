#pragma once
// The `sharing` report: refcount and owner histograms, shared objects by type, the most shared (or most
// retaining) objects.
#include "refscope/analysis/sharing.h"
#include "refscope/report/render.h"

namespace refscope {

void sharing_text(const SharingResult& r, Output& out);
void sharing_json(const SharingResult& r, Output& out);
// The objects table only, one row an object, exact byte counts.
void sharing_tsv(const SharingResult& r, Output& out);

inline constexpr Renderers<SharingResult> kSharingRenderers{.text = sharing_text, .json = sharing_json, .tsv = sharing_tsv};

}  // namespace refscope
