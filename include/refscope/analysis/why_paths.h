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
#include <optional>
#include <string>
#include <vector>

#include "refscope/analysis/graph.h"
#include "refscope/analysis/result.h"

namespace refscope {

struct OwnerPaths {
  std::vector<std::vector<uint32_t>> paths;  // root first, target last; shortest first, then by root address, line
  uint64_t roots_found = 0;                  // roots that reach the target (up to the level searched)
};

// `owners` is the reversed graph (Graph::reversed()); `key(node)` gives the (address, line) to order roots by.
OwnerPaths why_paths(const Graph& owners, uint32_t target, size_t max_paths,
                     const std::function<std::pair<uint64_t, uint64_t>(uint32_t)>& key);

// One chain of owners: the root first, each object holding a reference to the next, the target last. A root is a
// root by its references (`root`: an external count above 0, or immortal).
struct OwnerPath {
  std::vector<ObjectRef> steps;
  RefState root;
};

// The result of `refscope why`.
struct WhyResult {
  Point at;
  ObjectRef target;
  RefState target_state;
  std::string chosen_by;  // how --type picked the target; empty when it was named
  size_t max_paths = 5;
  uint64_t roots_found = 0;
  std::vector<OwnerPath> paths;
  bool on_cycle = false;  // no root reaches it, and it is on a garbage cycle
  Names names;

  bool reachable() const { return !paths.empty(); }
};

// The paths to the live object in `target` (a slot of the model).
WhyResult why_alive(const Model& model, const SymbolTable& symbols, ObjSlot target, size_t max_paths);

// The live objects of the type named `type`, largest first (ties by address, then line): --type NAME --rank K.
std::vector<ObjSlot> live_objects_of_type(const Model& model, const SymbolTable& symbols, const std::string& type);
// The `rank`-th (from 1) largest of them, moved to the front of `of_type` (partially sorted).
ObjSlot largest(const Model& model, std::vector<ObjSlot>& of_type, size_t rank);

}  // namespace refscope
