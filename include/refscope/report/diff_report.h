#pragma once
// The `diff` report: what each point holds, the growth between them, and tables by type and by site.
#include <string>

#include "refscope/analysis/diff_growth.h"
#include "refscope/report/format.h"

namespace refscope {

struct DiffPoint {
  std::string trace;  // as given
  std::string point;  // marker text, empty: beginning (A) or end (B)
  uint64_t line = 0;
  bool beginning = false;  // A without --from: the trace's beginning, nothing live
};

struct DiffReportInput {
  DiffPoint a, b;
  bool same_trace = true;
  const Growth* growth = nullptr;
  size_t limit = 20;  // rows per table in text (0 = all); JSON and TSV list all
};

Json diff_json(const DiffReportInput& in);
std::string diff_text(const DiffReportInput& in);
// One table: a `by` column (type or site), then the figures.
std::string diff_tsv(const DiffReportInput& in);

}  // namespace refscope
