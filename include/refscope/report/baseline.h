#pragma once
// Baseline files of `refscope check`: the leak groups a run found, as JSON, so that a later run fails only on
// groups that are new or grew. Groups are named by strings (type, site, stack, kind), never by a trace's ids.
//
//   {"schema": "refscope.baseline/1", "by": ["type", "site"],
//    "groups": [{"type": "app.Node", "site": "app.py:12 in main", "stack": null, "kind": "cyclic",
//                "objects": 2, "bytes": 112}, ...]}
#include <map>
#include <string>
#include <vector>

#include "refscope/analysis/check_gate.h"
#include "refscope/report/output.h"

namespace refscope {

struct Baseline {
  std::vector<std::string> by;
  std::map<std::string, BaselineEntry> groups;  // by group_identity
};

// Throws TraceError(path, 0, ...) for a file that cannot be read or is not a baseline.
Baseline load_baseline(const std::string& path);
// The groups of a check, each with what it measured: a renderer of the check's result.
void baseline_json(const CheckResult& r, Output& out);

}  // namespace refscope
