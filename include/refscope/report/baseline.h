#pragma once
// Baseline files of `refscope check`: the leak groups a run found, as JSON, so that a later run fails only on
// groups that are new or grew. Groups are named by strings (type, site, stack, kind), never by a trace's ids, and
// each frame portably (source_paths.h: frame_key): its file relative to the project root, the stdlib or a site
// directory, and its function rather than its line, so that a baseline written in one checkout matches the same
// code in another, and after edits that move lines.
//
//   {"schema": "refscope.baseline/2", "by": ["type", "site"],
//    "groups": [{"type": "app.Node", "site": "app/tree.py in build_tree", "stack": null, "kind": "cyclic",
//                "objects": 2, "bytes": 112}, ...]}
//
// refscope.baseline/1 files (frames as "FILE:LINE in FUNCTION") are still read: their frames are made portable
// with the directories of the trace being checked.
#include <map>
#include <string>
#include <vector>

#include "refscope/analysis/check_gate.h"
#include "refscope/report/output.h"

namespace refscope {

struct Baseline {
  int schema = 2;
  std::vector<std::string> by;
  std::vector<std::pair<GroupNames, BaselineEntry>> groups;  // as the file names them

  // The groups by portable identity (group_identity of portable names), those of the same name added up.
  std::map<std::string, BaselineEntry> keyed(const SourcePaths& paths) const;
};

// Throws TraceError(path, 0, ...) for a file that cannot be read or is not a baseline.
Baseline load_baseline(const std::string& path);
// The groups of a check, each with what it measured: a renderer of the check's result.
void baseline_json(const CheckResult& r, Output& out);

}  // namespace refscope
