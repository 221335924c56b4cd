#pragma once
// Why is an object alive: the shortest chains of owner references from roots to it.
//
// A breadth-first search walks the reversed graph (each object to its owners) from the target, so every root is
// found at its distance and the node it was found from is its next step towards the target. A root ends its
// chain: the search does not go on to the root's own owners, so each path holds exactly one root, its first
// object, and paths from different roots are told apart. The search runs until the level of the N-th root is
// complete, so that roots at equal distance are picked by address and line, not by the order of the edges.
#include <cstdint>
#include <functional>
#include <vector>

#include "refscope/analysis/graph.h"

namespace refscope {

struct WhyResult {
  std::vector<std::vector<uint32_t>> paths;  // root first, target last; shortest first, then by root address, line
  uint64_t roots_found = 0;                  // roots that reach the target (up to the level searched)
};

// `owners` is the reversed graph (Graph::reversed()); `key(node)` gives the (address, line) to order roots by.
WhyResult why_paths(const Graph& owners, uint32_t target, size_t max_paths,
                    const std::function<std::pair<uint64_t, uint64_t>(uint32_t)>& key);

}  // namespace refscope
