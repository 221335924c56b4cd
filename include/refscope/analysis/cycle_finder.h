#pragma once
// Garbage cycles: the objects no root reaches, grouped by strongly connected component.
//
// TRACE-FORMAT.md ("Cycles and retained size"): the objects that no root reaches are what CPython's collector would
// free. A component of two or more of them, or one object holding a reference to itself, is a cycle. Each of the
// other unreachable objects is listed with the cycle that holds it:
//
//     a <-> b  -> x -> y        one cycle {a, b}; x and y are held by it
//     c -> c   -> x             c's self-reference is a cycle too; x goes to whichever cycle comes first
//     z (refcount 0) -> w       no cycle holds z or w: "other unreachable" (a trace that lacks their free)
//
// Steps: a breadth-first search from the roots marks the reachable; Tarjan's algorithm (iterative, graph.h) splits
// the rest into components; the cycles are ordered by their own bytes, and each in turn claims, by a search over
// the unreachable objects on no cycle, everything it reaches that no earlier cycle claimed. Every node and edge is
// visited a bounded number of times: linear in the graph.
//
// Each cycle also gets a closed path for people to read: for up to kPathLimit objects, a closed walk through all of
// them (from the first, repeatedly the shortest way to the nearest one not yet visited, then back); above that,
// the shortest closed path through its first object.
#include <cstdint>
#include <functional>
#include <vector>

#include "refscope/analysis/graph.h"
#include "refscope/analysis/result.h"
#include "refscope/util/ids.h"

namespace refscope {

struct CycleGroup {
  std::vector<uint32_t> members;  // nodes on the cycle, by address then line
  std::vector<uint32_t> path;     // a closed path of members: path.front() == path.back()
  std::vector<uint32_t> held;     // unreachable nodes on no cycle that this cycle holds, by address then line
  uint64_t bytes = 0;             // sizes of the members
  uint64_t held_bytes = 0;        // sizes of the held nodes
};

struct CycleSet {
  std::vector<CycleGroup> cycles;  // by bytes + held_bytes, largest first; ties by first member's address, line
  std::vector<uint32_t> other;     // unreachable, on no cycle, held by no cycle, by address then line
  uint64_t other_bytes = 0;
};

// What the finder needs to know about a node to sort and weigh it.
struct NodeFacts {
  uint64_t addr = 0;
  uint64_t line = 0;
  uint64_t size = 0;
};
using NodeFactsFn = std::function<NodeFacts(uint32_t node)>;

inline constexpr size_t kPathLimit = 256;

// Per node: 1 when no root reaches it.
std::vector<uint8_t> unreachable_nodes(const Graph& g);

// Cycles among the nodes with include[node] != 0 (edges to other nodes are ignored).
CycleSet find_cycles(const Graph& g, const std::vector<uint8_t>& include, const NodeFactsFn& facts);

// The edges between the nodes of one group (members and held), as (owner, target) pairs in node order.
std::vector<std::pair<uint32_t, uint32_t>> group_edges(const Graph& g, const CycleGroup& group);

// One cycle as a report shows it, independent of any graph or model (a collected cycle outlives its objects).
struct CycleDetail {
  std::vector<ObjectRef> objects;  // the members, by address then line
  std::vector<uint32_t> path;      // a closed path, as indices into objects
  std::vector<ObjectRef> held;     // the acyclic objects it holds, by address then line
  // Owner -> target pairs between members and held objects; an index i < objects.size() names objects[i], any
  // other held[i - objects.size()].
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  // Format 2: the label of each edge (parallel to edges) and of each step of the path (path_labels[k] is what
  // path[k] holds to path[k + 1], the last one closing the cycle), as Names indices; Names::kNone for none.
  std::vector<uint32_t> edge_labels;
  std::vector<uint32_t> path_labels;
  uint64_t bytes = 0;
  uint64_t held_bytes = 0;
  uint64_t gc_line = 0;     // collected cycles: the line of the G record that opened the collection
  uint64_t generation = 0;  // collected cycles: the generation collected

  // The object an edge end names.
  const ObjectRef& at(uint32_t i) const { return i < objects.size() ? objects[i] : held[i - objects.size()]; }
};

CycleDetail describe_cycle(const Graph& g, const CycleGroup& group,
                           const std::function<ObjectRef(uint32_t node)>& object,
                           const std::function<uint32_t(uint32_t from, uint32_t to)>& label = nullptr);

}  // namespace refscope
