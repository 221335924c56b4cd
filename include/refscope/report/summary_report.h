#pragma once
// The `summary` report: what the trace holds and what the replay found, for people (text) and scripts (JSON).
#include "refscope/report/format.h"
#include "refscope/replay/replay.h"

namespace refscope {

struct SummaryReportOptions {
  std::string at;  // the marker the summary was taken at; empty for the end
  uint64_t at_line = 0;
  size_t type_limit = 20;  // rows of the type table in text (JSON lists all)
};

Json summary_json(const Replay& replay, const SummaryReportOptions& options);
std::string summary_text(const Replay& replay, const SummaryReportOptions& options);

// Pieces other reports reuse.
Json anomalies_json(const AnomalyLog& log);
Json trace_json(const TraceInfo& info);
std::string anomalies_text(const AnomalyLog& log);

}  // namespace refscope
