#pragma once
// The `leaks` report: the window, totals by kind, groups, and the largest objects with the path that retains them.
#include <string>

#include "refscope/analysis/leak_analysis.h"
#include "refscope/replay/replay.h"
#include "refscope/report/format.h"

namespace refscope {

struct LeakWindowInfo {
  std::string from, to;  // marker texts; empty: the trace's beginning / end
  uint64_t from_line = 0, to_line = 0;
};

struct LeakReportOptions {
  LeakWindowInfo window;
  GroupBy by;
  size_t limit = 20;  // objects listed (0 = all)
};

Json leak_window_json(const LeakWindowInfo& w);
std::string leak_window_text(const LeakWindowInfo& w);
// {"address", "line", "type"} of one object.
Json object_ref_json(const Object& o, const SymbolTable& symbols);
// A group's type/site/stack/kind keys (null for dimensions the grouping leaves out).
Json group_keys_json(const GroupNames& names);

Json leaks_json(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options);
std::string leaks_text(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options);
std::string leaks_tsv(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options);

}  // namespace refscope
