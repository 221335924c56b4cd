#pragma once
// What each live object keeps alive on its own, as a tree to browse: the dominator tree (dominator_tree.h) cut to
// what a person reads. The objects that retain the most come first; under each, the objects it dominates (they
// would die with it), largest first, a bounded number at each level and in all. What the cut leaves out is counted
// at the node it was cut from, so every figure still adds up.
#include <cstdint>
#include <vector>

#include "refscope/analysis/result.h"
#include "refscope/model/model.h"

namespace refscope {

struct RetentionOptions {
  size_t top = 25;        // objects at the top level (immediately dominated by no object)
  size_t children = 10;   // children shown under each object
  size_t depth = 8;       // levels below the top
  size_t nodes = 1500;    // objects shown in all
};

struct RetainedNode {
  ObjectRef object;
  uint64_t retained = 0;         // its size and the sizes of every object it dominates
  uint32_t parent = UINT32_MAX;  // index into RetentionResult::nodes; UINT32_MAX at the top level
  uint32_t depth = 0;
  uint64_t children = 0;         // objects it immediately dominates, shown or not
  uint64_t hidden = 0, hidden_bytes = 0;  // of those, left out of the tree (and what they retain)
};

struct RetentionResult {
  uint64_t live_objects = 0, live_bytes = 0;
  uint64_t top_total = 0;                   // objects no other object dominates
  uint64_t top_hidden = 0, top_hidden_bytes = 0;
  std::vector<RetainedNode> nodes;          // breadth first: every node after its parent; siblings largest first
  Names names;
};

RetentionResult analyse_retention(const Model& model, const SymbolTable& symbols, const RetentionOptions& options);

}  // namespace refscope
