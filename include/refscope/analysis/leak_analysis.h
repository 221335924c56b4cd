#pragma once
// One leak analysis at the replay's current point: the graph snapshot, every window object's kind, the groups,
// and the largest objects. `leaks` reports it; `check` filters it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "refscope/analysis/graph.h"
#include "refscope/analysis/leak_classifier.h"
#include "refscope/analysis/leak_groups.h"

namespace refscope {

struct LeakAnalysis {
  Graph graph;
  LeakSet set;
  std::vector<LeakGroup> groups;  // sorted (sort_leak_groups)
};

LeakAnalysis analyse_leaks(const Model& model, const SymbolTable& symbols, uint64_t from_line, GroupBy by);

// Positions in set.nodes of the `limit` largest window objects (0: all): by size descending, then address, then
// line.
std::vector<size_t> largest_leaks(const Model& model, const LeakAnalysis& a, size_t limit);

}  // namespace refscope
