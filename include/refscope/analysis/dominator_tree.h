#pragma once
// The dominator tree of the live reference graph, for retained sizes ("what would be freed if this object went").
//
// Object a dominates object b when every chain of references from the roots to b passes through a. The tree hangs
// under a virtual root V whose children are
//   - every root (external count above 0, or immortal), and
//   - every object of each unreachable part that nothing else reaches: the strongly connected components among the
//     objects no root reaches that have no owner outside themselves (a garbage cycle, a refcount-0 object),
// so that every live object has an immediate dominator. A garbage cycle is therefore attributed to V, not to
// whichever member the search happened to enter first:
//
//   references                          dominator tree
//
//   V -> r1, r2, c1, c2                 V -> r1, r2, x, c1, c2
//   r1 -> x     r2 -> x                 x -> y
//   x -> y      c1 <-> c2
//
// r1 and r2 are roots, c1 <-> c2 a garbage cycle. x is held by both roots, so neither alone keeps it: its
// immediate dominator is V. y is held by x alone, so x retains it; c1 and c2 each retain only themselves.
//
// Algorithm: Semi-NCA (Georgiadis and Tarjan; the variant LLVM uses), iterative throughout. One depth-first search
// from V numbers the nodes in preorder; semidominators come from Lengauer and Tarjan's evaluation with path
// compression over the predecessors, taken in reverse preorder; each immediate dominator is then the nearest common
// ancestor of the node's DFS parent and its semidominator, found by walking up the tree built so far. It does in a
// few linear passes over flat arrays what Cooper-Harvey-Kennedy may need many passes for on a heap whose big
// strongly connected parts make the iteration converge slowly. Working space: about 24 bytes a node plus 4 per
// edge, all released before it returns.
#include <cstdint>
#include <functional>
#include <vector>

#include "refscope/analysis/graph.h"

namespace refscope {

struct DominatorTree {
  static constexpr uint32_t kVirtualRoot = Graph::kNone - 1;
  // Per node: the node of its immediate dominator, or kVirtualRoot.
  std::vector<uint32_t> idom;
  // Every node in depth-first preorder from the virtual root: each comes after its immediate dominator.
  std::vector<uint32_t> preorder;
};

// The virtual root's children, as described above, in node order.
std::vector<uint32_t> virtual_root_children(const Graph& g);

DominatorTree dominator_tree(const Graph& g);

// Per node: its own size plus the sizes of every node it dominates. Their sum over the virtual root's children is
// the total of all sizes.
std::vector<uint64_t> retained_sizes(const DominatorTree& tree, const std::function<uint64_t(uint32_t)>& size);

}  // namespace refscope
