#include "refscope/analysis/dominator_tree.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <chrono>

#include "refscope/util/log.h"

namespace refscope {
namespace {

constexpr uint32_t kNone = Graph::kNone;

// Depth-first numbering from the virtual root (number 0). vertex[i] is the node numbered i (vertex[0] stands for
// the virtual root), parent[i] the number of its parent in the DFS tree.
struct Numbering {
  std::vector<uint32_t> num;  // per node; kNone if not reached
  std::vector<uint32_t> vertex;
  std::vector<uint32_t> parent;
};

Numbering number_nodes(const Graph& g, const std::vector<uint32_t>& children) {
  Numbering d;
  d.num.assign(g.size(), kNone);
  d.vertex.reserve(static_cast<size_t>(g.size()) + 1);
  d.parent.reserve(static_cast<size_t>(g.size()) + 1);
  d.vertex.push_back(DominatorTree::kVirtualRoot);
  d.parent.push_back(0);
  struct Frame {
    uint32_t node;
    uint32_t next;  // position within out(node)
  };
  std::vector<Frame> stack;
  auto visit = [&](uint32_t v, uint32_t parent_num) {
    d.num[v] = static_cast<uint32_t>(d.vertex.size());
    d.vertex.push_back(v);
    d.parent.push_back(parent_num);
    stack.push_back({v, 0});
  };
  for (uint32_t c : children) {
    if (d.num[c] != kNone) continue;
    visit(c, 0);
    while (!stack.empty()) {
      Frame& f = stack.back();
      auto out = g.out(f.node);
      if (f.next < out.size()) {
        uint32_t w = out[f.next++];
        if (d.num[w] == kNone) visit(w, d.num[f.node]);
        continue;
      }
      stack.pop_back();
    }
  }
  return d;
}

// Predecessors of each number, as numbers, in compressed rows.
void predecessors(const Graph& g, const Numbering& d, const std::vector<uint32_t>& children,
                  std::vector<uint32_t>& offsets, std::vector<uint32_t>& preds) {
  size_t count = d.vertex.size();
  if (g.edge_count() + children.size() >= UINT32_MAX) throw std::length_error("reference graph too large");
  offsets.assign(count + 1, 0);
  for (uint32_t c : children) ++offsets[d.num[c] + 1];
  for (uint32_t u = 0; u < g.size(); ++u) {
    if (d.num[u] == kNone) continue;
    for (uint32_t w : g.out(u))
      if (d.num[w] != kNone) ++offsets[d.num[w] + 1];
  }
  for (size_t i = 0; i < count; ++i) offsets[i + 1] += offsets[i];
  // Each row is filled from its end, counting its end offset down to its start: no second array of positions.
  // (A row's order does not matter to the semidominators, a minimum over it.)
  preds.resize(offsets[count]);
  for (uint32_t c : children) preds[--offsets[d.num[c] + 1]] = 0;
  for (uint32_t u = 0; u < g.size(); ++u) {
    if (d.num[u] == kNone) continue;
    for (uint32_t w : g.out(u))
      if (d.num[w] != kNone) preds[--offsets[d.num[w] + 1]] = d.num[u];
  }
  // offsets[i + 1] is now row i's start: shift them down so that row i is [offsets[i], offsets[i + 1]).
  for (size_t i = 0; i < count; ++i) offsets[i] = offsets[i + 1];
  offsets[count] = static_cast<uint32_t>(preds.size());
}

}  // namespace

std::vector<uint32_t> virtual_root_children(const Graph& g) {
  uint32_t n = g.size();
  std::vector<uint32_t> roots;
  for (uint32_t v = 0; v < n; ++v)
    if (g.is_root(v)) roots.push_back(v);
  std::vector<uint8_t> reached;
  reach_from(g, roots, reached);
  bool all = std::all_of(reached.begin(), reached.end(), [](uint8_t r) { return r != 0; });
  if (all) return roots;
  std::vector<uint8_t> unreached(n);
  for (uint32_t v = 0; v < n; ++v) unreached[v] = !reached[v];
  reached = {};
  Components c = strongly_connected(g, unreached);
  // A component of the unreachable part with an owner outside itself is reached from another such component, in
  // the end from one with none: those sources are the entries.
  std::vector<uint8_t> entered(c.count, 0);
  for (uint32_t u = 0; u < n; ++u) {
    if (!unreached[u]) continue;
    for (uint32_t w : g.out(u))
      if (unreached[w] && c.component[w] != c.component[u]) entered[c.component[w]] = 1;
  }
  std::vector<uint32_t> children;
  children.reserve(roots.size());
  for (uint32_t v = 0; v < n; ++v)
    if (g.is_root(v) || (unreached[v] && !entered[c.component[v]])) children.push_back(v);
  return children;
}

DominatorTree dominator_tree(const Graph& g) {
  auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    auto now = std::chrono::steady_clock::now();
    log::debug("dominators: {} took {:.2f} s", what, std::chrono::duration<double>(now - t0).count());
    t0 = now;
  };
  std::vector<uint32_t> children = virtual_root_children(g);
  lap("virtual root");
  Numbering d = number_nodes(g, children);
  lap("depth-first numbering");
  std::vector<uint32_t> offsets, preds;
  predecessors(g, d, children, offsets, preds);
  lap("predecessors");
  children = {};
  d.num = {};

  const uint32_t count = static_cast<uint32_t>(d.vertex.size());
  std::vector<uint32_t>& parent = d.parent;  // becomes the immediate dominator, in place
  // What the evaluation reads of a number, together: one cache line where three arrays would be three.
  struct Link {
    uint32_t semi, label, ancestor;
  };
  std::vector<Link> link(count);
  for (uint32_t i = 0; i < count; ++i) link[i] = {i, i, parent[i]};
  std::vector<uint32_t> path;

  // The node of least semidominator on v's compressed path to the part of the tree not yet processed.
  auto eval = [&](uint32_t v, uint32_t last_linked) -> uint32_t {
    if (link[v].ancestor < last_linked) return link[v].label;
    do {
      path.push_back(v);
      v = link[v].ancestor;
    } while (link[v].ancestor >= last_linked);
    uint32_t p = v, p_label = link[p].label;
    do {
      v = path.back();
      path.pop_back();
      Link& lv = link[v];
      lv.ancestor = link[p].ancestor;
      if (link[p_label].semi < link[lv.label].semi)
        lv.label = p_label;
      else
        p_label = lv.label;
      p = v;
    } while (!path.empty());
    return link[v].label;
  };

  for (uint32_t i = count - 1; i >= 1; --i) {
    uint32_t s = parent[i];
    for (uint32_t k = offsets[i]; k < offsets[i + 1]; ++k) s = std::min(s, link[eval(preds[k], i + 1)].semi);
    link[i].semi = s;
  }
  lap("semidominators");
  offsets = {};
  preds = {};
  for (uint32_t i = 1; i < count; ++i) {
    uint32_t dom = parent[i];
    while (dom > link[i].semi) dom = parent[dom];
    parent[i] = dom;
  }
  link = {};

  lap("immediate dominators");
  DominatorTree tree;
  tree.idom.assign(g.size(), DominatorTree::kVirtualRoot);
  for (uint32_t i = 1; i < count; ++i)
    tree.idom[d.vertex[i]] = parent[i] == 0 ? DominatorTree::kVirtualRoot : d.vertex[parent[i]];
  d.vertex.erase(d.vertex.begin());
  tree.preorder = std::move(d.vertex);
  return tree;
}

std::vector<uint64_t> retained_sizes(const DominatorTree& tree, const std::function<uint64_t(uint32_t)>& size) {
  std::vector<uint64_t> retained(tree.idom.size());
  for (uint32_t v = 0; v < retained.size(); ++v) retained[v] = size(v);
  for (auto it = tree.preorder.rbegin(); it != tree.preorder.rend(); ++it)
    if (tree.idom[*it] != DominatorTree::kVirtualRoot) retained[tree.idom[*it]] += retained[*it];
  return retained;
}

}  // namespace refscope
