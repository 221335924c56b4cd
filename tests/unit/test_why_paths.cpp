// Shortest owner chains from roots to a target, on small graphs.
#include <gtest/gtest.h>

#include "refscope/analysis/why_paths.h"

namespace refscope {
namespace {

using Edges = std::vector<std::pair<uint32_t, uint32_t>>;
auto key = [](uint32_t v) { return std::pair<uint64_t, uint64_t>{0x100 - v, v}; };  // higher node, lower address

TEST(WhyPaths, ShortestFromEachRootStoppingAtRoots) {
  // roots 0 and 1; 0 -> 2 -> 3 -> 5; 1 -> 4 -> 5; 1 -> 0 (a root behind a root is not followed)
  Edges e{{0, 2}, {2, 3}, {3, 5}, {1, 4}, {4, 5}, {1, 0}};
  Graph g = Graph::from_edges(6, e, {1, 1, 0, 0, 0, 0});
  Graph owners = g.reversed();
  OwnerPaths r = why_paths(owners, 5, 0, key);
  ASSERT_EQ(r.paths.size(), 2u);
  EXPECT_EQ(r.paths[0], (std::vector<uint32_t>{1, 4, 5}));
  EXPECT_EQ(r.paths[1], (std::vector<uint32_t>{0, 2, 3, 5}));
  r = why_paths(owners, 5, 1, key);
  ASSERT_EQ(r.paths.size(), 1u);
  EXPECT_EQ(r.paths[0].front(), 1u);
}

TEST(WhyPaths, TiesAtOneDistanceGoByAddress) {
  Edges e{{0, 3}, {1, 3}, {2, 3}};
  Graph g = Graph::from_edges(4, e, {1, 1, 1, 0});
  OwnerPaths r = why_paths(g.reversed(), 3, 2, key);
  ASSERT_EQ(r.paths.size(), 2u);
  EXPECT_EQ(r.paths[0].front(), 2u);  // lowest address
  EXPECT_EQ(r.paths[1].front(), 1u);
}

TEST(WhyPaths, ARootTargetAndAnUnreachableOne) {
  Edges e{{0, 1}, {2, 3}, {3, 2}};
  Graph g = Graph::from_edges(4, e, {1, 0, 0, 0});
  OwnerPaths r = why_paths(g.reversed(), 0, 5, key);
  ASSERT_EQ(r.paths.size(), 1u);
  EXPECT_EQ(r.paths[0], (std::vector<uint32_t>{0}));
  r = why_paths(g.reversed(), 3, 5, key);
  EXPECT_TRUE(r.paths.empty());
}

}  // namespace
}  // namespace refscope
