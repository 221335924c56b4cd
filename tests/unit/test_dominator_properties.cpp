// The dominator tree against its definition on small random graphs: a dominates b exactly when removing a makes b
// unreachable from the virtual root; and retained sizes add up to the total.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "refscope/analysis/dominator_tree.h"

namespace refscope {
namespace {

using Edges = std::vector<std::pair<uint32_t, uint32_t>>;

struct RandomGraph {
  uint32_t n;
  Edges edges;
  std::vector<uint8_t> roots;
};

RandomGraph random_graph(std::mt19937& rng, uint32_t max_n) {
  RandomGraph r;
  r.n = 1 + rng() % max_n;
  std::uniform_int_distribution<uint32_t> node(0, r.n - 1);
  uint32_t m = rng() % (3 * r.n + 1);
  for (uint32_t i = 0; i < m; ++i) r.edges.emplace_back(node(rng), node(rng));
  r.roots.resize(r.n);
  for (auto& x : r.roots) x = rng() % 4 == 0;
  return r;
}

// Nodes reachable from `starts` without entering `removed`.
std::vector<bool> reach_without(const Graph& g, const std::vector<uint32_t>& starts, uint32_t removed) {
  std::vector<bool> seen(g.size(), false);
  std::vector<uint32_t> stack;
  for (uint32_t s : starts)
    if (s != removed && !seen[s]) {
      seen[s] = true;
      stack.push_back(s);
    }
  while (!stack.empty()) {
    uint32_t v = stack.back();
    stack.pop_back();
    for (uint32_t w : g.out(v))
      if (w != removed && !seen[w]) {
        seen[w] = true;
        stack.push_back(w);
      }
  }
  return seen;
}

bool tree_ancestor(const DominatorTree& t, uint32_t a, uint32_t b) {
  for (uint32_t v = t.idom[b]; v != DominatorTree::kVirtualRoot; v = t.idom[v])
    if (v == a) return true;
  return false;
}

TEST(DominatorTree, VirtualRootHoldsRootsAndUnreachableEntries) {
  // 0 root -> 1; 2 <-> 3 garbage cycle -> 4; 5 alone (refcount 0); 5 -> 6.
  Edges e{{0, 1}, {2, 3}, {3, 2}, {3, 4}, {5, 6}};
  Graph g = Graph::from_edges(7, e, {1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(virtual_root_children(g), (std::vector<uint32_t>{0, 2, 3, 5}));
  DominatorTree t = dominator_tree(g);
  EXPECT_EQ(t.idom[1], 0u);
  EXPECT_EQ(t.idom[2], DominatorTree::kVirtualRoot);  // the cycle is nobody's alone
  EXPECT_EQ(t.idom[3], DominatorTree::kVirtualRoot);
  EXPECT_EQ(t.idom[4], 3u);
  EXPECT_EQ(t.idom[6], 5u);
}

TEST(DominatorTree, DiamondJoinsAtItsTop) {
  // 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 3 -> 4
  Graph g = Graph::from_edges(5, Edges{{0, 1}, {0, 2}, {1, 3}, {2, 3}, {3, 4}}, {1, 0, 0, 0, 0});
  DominatorTree t = dominator_tree(g);
  EXPECT_EQ(t.idom[0], DominatorTree::kVirtualRoot);
  EXPECT_EQ(t.idom[1], 0u);
  EXPECT_EQ(t.idom[2], 0u);
  EXPECT_EQ(t.idom[3], 0u);
  EXPECT_EQ(t.idom[4], 3u);
  auto retained = retained_sizes(t, [](uint32_t v) { return uint64_t{10} * (v + 1); });
  EXPECT_EQ(retained[0], 150u);
  EXPECT_EQ(retained[3], 90u);
  EXPECT_EQ(retained[1], 20u);
}

TEST(DominatorTree, MatchesTheDefinitionOnRandomGraphs) {
  std::mt19937 rng(777);
  for (int round = 0; round < 1500; ++round) {
    RandomGraph r = random_graph(rng, 10);
    Graph g = Graph::from_edges(r.n, r.edges, r.roots);
    std::vector<uint32_t> children = virtual_root_children(g);
    DominatorTree t = dominator_tree(g);
    ASSERT_EQ(t.preorder.size(), r.n) << "round " << round;
    auto all = reach_without(g, children, Graph::kNone);
    for (uint32_t v = 0; v < r.n; ++v) ASSERT_TRUE(all[v]) << "round " << round << ": virtual root misses " << v;
    for (uint32_t a = 0; a < r.n; ++a) {
      auto without_a = reach_without(g, children, a);
      for (uint32_t b = 0; b < r.n; ++b) {
        if (a == b) continue;
        EXPECT_EQ(tree_ancestor(t, a, b), !without_a[b]) << "round " << round << ": " << a << " dom " << b;
      }
    }
    // Each child of the virtual root is a root, or in an unreachable component nothing outside it reaches.
    auto from_roots = [&] {
      std::vector<uint32_t> roots;
      for (uint32_t v = 0; v < r.n; ++v)
        if (r.roots[v]) roots.push_back(v);
      return reach_without(g, roots, Graph::kNone);
    }();
    for (uint32_t v = 0; v < r.n; ++v) {
      bool child = std::find(children.begin(), children.end(), v) != children.end();
      bool entry = !from_roots[v];
      if (entry)
        for (uint32_t u = 0; u < r.n && entry; ++u) {
          if (u == v) continue;
          auto from_u = reach_without(g, {u}, Graph::kNone);
          auto from_v = reach_without(g, {v}, Graph::kNone);
          if (from_u[v] && !from_v[u]) entry = false;  // something outside v's component reaches it
        }
      EXPECT_EQ(child, r.roots[v] != 0 || entry) << "round " << round << " node " << v;
    }
  }
}

TEST(DominatorTree, RetainedSizesAddUp) {
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    RandomGraph r = random_graph(rng, 300);
    Graph g = Graph::from_edges(r.n, r.edges, r.roots);
    DominatorTree t = dominator_tree(g);
    auto size = [](uint32_t v) { return uint64_t{v % 7 + 1}; };
    auto retained = retained_sizes(t, size);
    uint64_t total = 0, top = 0;
    std::vector<uint64_t> children_sum(r.n, 0);
    for (uint32_t v = 0; v < r.n; ++v) {
      total += size(v);
      if (t.idom[v] == DominatorTree::kVirtualRoot)
        top += retained[v];
      else
        children_sum[t.idom[v]] += retained[v];
    }
    EXPECT_EQ(top, total) << "round " << round;
    for (uint32_t v = 0; v < r.n; ++v) EXPECT_EQ(retained[v], size(v) + children_sum[v]);
  }
}

TEST(DominatorTree, LongChainNeedsNoRecursion) {
  const uint32_t n = 1'000'000;
  Edges edges;
  for (uint32_t v = 0; v + 1 < n; ++v) edges.emplace_back(v, v + 1);
  std::vector<uint8_t> roots(n, 0);
  roots[0] = 1;
  Graph g = Graph::from_edges(n, edges, roots);
  DominatorTree t = dominator_tree(g);
  EXPECT_EQ(t.idom[n - 1], n - 2);
  auto retained = retained_sizes(t, [](uint32_t) { return uint64_t{1}; });
  EXPECT_EQ(retained[0], n);
}

}  // namespace
}  // namespace refscope
