#pragma once
// A frozen copy of the live reference graph for the graph analyses (leak kinds, cycles, dominators, why).
//
// Nodes are the live objects, numbered 0..n-1 in slot order; edges are the distinct owner -> target pairs, in
// compressed sparse rows (one 4-byte offset per node, one 4-byte target per edge: the model's edge pool is
// addressed by 32-bit offsets, so its edges always fit), so 10 million objects with 30 million references take
// about 160 MB and every traversal walks flat arrays. The model is not touched again.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "refscope/model/model.h"

namespace refscope {

class Graph {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Snapshots the model's live objects and owner edges.
  static Graph from_model(const Model& model);
  // The same nodes with every edge reversed (owners of each object).
  Graph reversed() const;
  // A graph of `n` nodes built from owner -> target pairs (repeats count once), for analyses of graphs that are
  // not the model's (the objects a collection freed) and for tests. Node i stands for slot i; `roots` has n flags.
  static Graph from_edges(uint32_t n, std::span<const std::pair<uint32_t, uint32_t>> edges,
                          std::vector<uint8_t> roots);

  uint32_t size() const { return static_cast<uint32_t>(slot_.size()); }
  uint64_t edge_count() const { return targets_.size(); }
  std::span<const uint32_t> out(uint32_t node) const {
    return {targets_.data() + offsets_[node], targets_.data() + offsets_[node + 1]};
  }
  // Every node's targets, row after row (node 0's first): a pass over all edges in order reads this array straight
  // through.
  std::span<const uint32_t> all_targets() const { return targets_; }
  // Hints for a traversal that knows which nodes it visits next: their row (the offsets), then, once that has
  // arrived, their targets. Change nothing (always_inline, as Model::prefetch says why).
  [[gnu::always_inline]] void prefetch_row(uint32_t node) const { __builtin_prefetch(&offsets_[node]); }
  [[gnu::always_inline]] void prefetch_targets(uint32_t node) const {
    __builtin_prefetch(targets_.data() + offsets_[node]);
  }
  ObjSlot slot(uint32_t node) const { return slot_[node]; }
  // The node of a model slot, or kNone when that slot holds no live object.
  uint32_t node(ObjSlot s) const { return s.value < node_of_.size() ? node_of_[s.value] : kNone; }
  // Roots as TRACE-FORMAT.md defines them: external count above 0, immortal, or (format 2) held by a named root.
  bool is_root(uint32_t node) const { return root_[node] != 0; }
  // Held by a named root: reachable from a root older than every window (the interpreter itself).
  bool held_by_named_root(uint32_t node) const { return root_[node] & kNamedRoot; }
  static constexpr uint8_t kExternalRoot = 1, kImmortalRoot = 2, kNamedRoot = 4;

 private:
  std::vector<ObjSlot> slot_;
  std::vector<uint32_t> node_of_;
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> targets_;
  std::vector<uint8_t> root_;
};

// Breadth-first search from `sources`; marks every node reached in `reached` (sized to the graph, kept between
// calls so several searches can add up). When `parent` is given, records for each newly reached node the node it
// was reached from (kNone for a source): following parents gives a shortest path back to a source.
void reach_from(const Graph& g, std::span<const uint32_t> sources, std::vector<uint8_t>& reached,
                std::vector<uint32_t>* parent = nullptr);

// Strongly connected components (Tarjan's algorithm, made iterative with an explicit stack so a chain of ten
// million objects does not overflow the call stack). Only nodes with `include[node] != 0` take part, and only
// edges between them. Result: component id per node (kNone for excluded nodes), components numbered in reverse
// topological order (a component's successors have lower ids).
struct Components {
  std::vector<uint32_t> component;  // per node
  uint32_t count = 0;
};
Components strongly_connected(const Graph& g, const std::vector<uint8_t>& include);

// True when the node is on a cycle within `include`: its component has two or more nodes, or it holds a
// reference to itself.
std::vector<uint8_t> on_cycle(const Graph& g, const Components& c);

}  // namespace refscope
