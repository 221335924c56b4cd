// The component finder against brute force on random graphs: two included nodes share a component exactly when
// each reaches the other through included nodes, and components come in reverse topological order.
#include <gtest/gtest.h>

#include <random>

#include "refscope/analysis/graph.h"

namespace refscope {
namespace {

using Edges = std::vector<std::pair<uint32_t, uint32_t>>;

Edges random_edges(std::mt19937& rng, uint32_t n, uint32_t m) {
  Edges e;
  std::uniform_int_distribution<uint32_t> node(0, n - 1);
  for (uint32_t i = 0; i < m; ++i) e.emplace_back(node(rng), node(rng));
  return e;
}

// reach[a][b]: a path of one or more edges from a to b through included nodes.
std::vector<std::vector<bool>> closure(uint32_t n, const Edges& edges, const std::vector<uint8_t>& include) {
  std::vector<std::vector<bool>> r(n, std::vector<bool>(n, false));
  for (auto [a, b] : edges)
    if (include[a] && include[b]) r[a][b] = true;
  for (uint32_t k = 0; k < n; ++k)
    for (uint32_t i = 0; i < n; ++i)
      if (r[i][k])
        for (uint32_t j = 0; j < n; ++j)
          if (r[k][j]) r[i][j] = true;
  return r;
}

TEST(GraphFromEdges, KeepsDistinctPairsInTargetOrder) {
  Edges e{{0, 2}, {0, 1}, {0, 2}, {2, 0}};
  Graph g = Graph::from_edges(3, e, {1, 0, 0});
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g.edge_count(), 3u);
  ASSERT_EQ(g.out(0).size(), 2u);
  EXPECT_EQ(g.out(0)[0], 1u);
  EXPECT_EQ(g.out(0)[1], 2u);
  EXPECT_TRUE(g.is_root(0));
  EXPECT_FALSE(g.is_root(1));
  EXPECT_EQ(g.node(g.slot(2)), 2u);
}

TEST(GraphProperties, ComponentsMatchBruteForceOnRandomGraphs) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 400; ++round) {
    uint32_t n = 1 + rng() % 14;
    Edges edges = random_edges(rng, n, rng() % (3 * n + 1));
    std::vector<uint8_t> include(n);
    for (auto& x : include) x = rng() % 5 != 0;
    Graph g = Graph::from_edges(n, edges, std::vector<uint8_t>(n, 0));
    Components c = strongly_connected(g, include);
    auto reach = closure(n, edges, include);
    std::vector<uint8_t> cyc = on_cycle(g, c);
    for (uint32_t a = 0; a < n; ++a) {
      if (!include[a]) {
        EXPECT_EQ(c.component[a], Graph::kNone);
        continue;
      }
      ASSERT_LT(c.component[a], c.count);
      EXPECT_EQ(cyc[a] != 0, reach[a][a]) << "round " << round << " node " << a;
      for (uint32_t b = 0; b < n; ++b) {
        if (!include[b] || a == b) continue;
        bool same = reach[a][b] && reach[b][a];
        EXPECT_EQ(c.component[a] == c.component[b], same) << "round " << round << " " << a << "," << b;
        if (reach[a][b] && !same) EXPECT_GT(c.component[a], c.component[b]) << "not reverse topological";
      }
    }
  }
}

TEST(GraphProperties, LongChainNeedsNoRecursion) {
  const uint32_t n = 1'000'000;
  Edges edges;
  for (uint32_t v = 0; v + 1 < n; ++v) edges.emplace_back(v, v + 1);
  edges.emplace_back(n - 1, 0);
  Graph g = Graph::from_edges(n, edges, std::vector<uint8_t>(n, 0));
  Components c = strongly_connected(g, std::vector<uint8_t>(n, 1));
  EXPECT_EQ(c.count, 1u);
}

}  // namespace
}  // namespace refscope
