#include "refscope/analysis/dominator_tree.h"

#include <algorithm>
#include <numeric>
#include <span>
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
  const uint32_t n = g.size();
  d.num.assign(n, kNone);
  d.vertex.reserve(static_cast<size_t>(n) + 1);
  d.parent.reserve(static_cast<size_t>(n) + 1);
  d.vertex.push_back(DominatorTree::kVirtualRoot);
  d.parent.push_back(0);
  // Whether a node is numbered yet, a bit each: every edge asks, and 10 million nodes take 1.25 MB, which stays
  // in cache where num[] (40 MB) would be a miss an edge.
  std::vector<uint64_t> seen((static_cast<size_t>(n) + 63) / 64, 0);
  auto is_seen = [&](uint32_t v) { return (seen[v >> 6] >> (v & 63)) & 1; };
  struct Frame {
    uint32_t node;
    uint32_t number;
    uint32_t next;  // position within out(node)
  };
  std::vector<Frame> stack;
  auto visit = [&](uint32_t v, uint32_t parent_num) {
    seen[v >> 6] |= uint64_t{1} << (v & 63);
    const uint32_t number = static_cast<uint32_t>(d.vertex.size());
    d.num[v] = number;
    d.vertex.push_back(v);
    d.parent.push_back(parent_num);
    stack.push_back({v, number, 0});
    // The search enters these nodes next (or comes back for them): their rows are fetched now, all at once, rather
    // than each as a miss of its own when it is entered.
    for (uint32_t w : g.out(v))
      if (!is_seen(w)) g.prefetch_row(w);
  };
  for (uint32_t c : children) {
    if (is_seen(c)) continue;
    visit(c, 0);
    while (!stack.empty()) {
      Frame& f = stack.back();
      auto out = g.out(f.node);
      if (f.next < out.size()) {
        uint32_t w = out[f.next++];
        if (!is_seen(w)) visit(w, f.number);
        continue;
      }
      stack.pop_back();
    }
  }
  return d;
}

// Predecessors of each number, as numbers, in compressed rows.
//
// Both passes read the edges in order, row after row (one flat array), and each edge then needs its target's
// number and that number's row, at random places: they are fetched ahead, the number kAhead edges before it is
// used, the row (through the number, by then in cache) half-way.
void predecessors(const Graph& g, const Numbering& d, const std::vector<uint32_t>& children,
                  std::vector<uint32_t>& offsets, std::vector<uint32_t>& preds) {
  size_t count = d.vertex.size();
  if (g.edge_count() + children.size() >= UINT32_MAX) throw std::length_error("reference graph too large");
  offsets.assign(count + 1, 0);
  for (uint32_t c : children) ++offsets[d.num[c] + 1];
  const std::span<const uint32_t> all = g.all_targets();
  const uint32_t* const targets = all.data();
  const size_t edges = all.size();
  constexpr size_t kAhead = 16;
  auto fetch_ahead = [&](size_t k) {
    if (k + kAhead < edges) __builtin_prefetch(&d.num[targets[k + kAhead]]);
    if (k + kAhead / 2 < edges)
      if (uint32_t x = d.num[targets[k + kAhead / 2]]; x != kNone) __builtin_prefetch(&offsets[x + 1]);
  };
  size_t k = 0;
  for (uint32_t u = 0; u < g.size(); ++u) {
    const size_t row = g.out(u).size();
    if (d.num[u] == kNone) {
      k += row;
      continue;
    }
    for (const size_t end = k + row; k < end; ++k) {
      fetch_ahead(k);
      if (uint32_t x = d.num[targets[k]]; x != kNone) ++offsets[x + 1];
    }
  }
  for (size_t i = 0; i < count; ++i) offsets[i + 1] += offsets[i];
  // Each row is filled from its end, counting its end offset down to its start: no second array of positions.
  // (A row's order does not matter to the semidominators, a minimum over it.)
  preds.resize(offsets[count]);
  for (uint32_t c : children) preds[--offsets[d.num[c] + 1]] = 0;
  k = 0;
  for (uint32_t u = 0; u < g.size(); ++u) {
    const size_t row = g.out(u).size();
    const uint32_t nu = d.num[u];
    if (nu == kNone) {
      k += row;
      continue;
    }
    for (const size_t end = k + row; k < end; ++k) {
      fetch_ahead(k);
      if (uint32_t x = d.num[targets[k]]; x != kNone) preds[--offsets[x + 1]] = nu;
    }
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

  // Numbers are taken in reverse order, and each reads the links of its predecessors, at random places: those of
  // the number kRowsAhead further on are fetched now.
  constexpr uint32_t kRowsAhead = 8;
  for (uint32_t i = count - 1; i >= 1; --i) {
    if (i > kRowsAhead)
      for (uint32_t k = offsets[i - kRowsAhead]; k < offsets[i - kRowsAhead + 1]; ++k)
        __builtin_prefetch(&link[preds[k]]);
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
