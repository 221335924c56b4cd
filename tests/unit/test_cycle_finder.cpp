// Garbage cycles at a point, and the cycles a collection freed, over models built from events in code; and the
// cycle finder's grouping against brute force on random graphs.
#include <gtest/gtest.h>

#include <random>

#include "refscope/analysis/collected_cycles.h"
#include "refscope/analysis/cycle_finder.h"
#include "test_model_support.h"

namespace refscope {
namespace {

using testing::ModelDriver;
using Edges = std::vector<std::pair<uint32_t, uint32_t>>;

CycleSet cycles_of(const Model& m, Graph& g) {
  g = Graph::from_model(m);
  return find_cycles(g, unreachable_nodes(g), [&](uint32_t v) {
    const Object& o = m.object(g.slot(v));
    return NodeFacts{o.addr, o.line, o.size};
  });
}

uint64_t addr_of(const Model& m, const Graph& g, uint32_t v) { return m.object(g.slot(v)).addr; }

TEST(CycleFinder, TheFormatsExampleIsOneCycleOfTwo) {
  // Given the example of TRACE-FORMAT.md: two nodes holding each other, their creators' references dropped
  ModelDriver d;
  d.A(0x2000, 56);
  d.A(0x1000, 56);
  d.I(0x1000, 0x2000);
  d.I(0x2000, 0x1000);
  d.D(0x1000);
  d.D(0x2000);
  // When the cycles are found
  Graph g;
  CycleSet s = cycles_of(d.model, g);
  // Then there is one cycle of both, 112 bytes, its path closed and starting at the lower address
  ASSERT_EQ(s.cycles.size(), 1u);
  EXPECT_EQ(s.cycles[0].members.size(), 2u);
  EXPECT_EQ(s.cycles[0].bytes, 112u);
  ASSERT_EQ(s.cycles[0].path.size(), 3u);
  EXPECT_EQ(addr_of(d.model, g, s.cycles[0].path[0]), 0x1000u);
  EXPECT_EQ(addr_of(d.model, g, s.cycles[0].path[1]), 0x2000u);
  EXPECT_EQ(s.cycles[0].path[2], s.cycles[0].path[0]);
  EXPECT_TRUE(s.other.empty());
}

TEST(CycleFinder, HeldObjectsGoWithTheCycleAndOrphansApart) {
  ModelDriver d;
  d.A(0x10, 8);  // root holding 0x20, which holds nothing unreachable
  d.A(0x20, 8);
  d.I(0x20, 0x10);
  d.D(0x20);
  d.A(0x30, 8);  // self-cycle holding 0x40 -> 0x50
  d.I(0x30, 0x30);
  d.D(0x30);
  d.A(0x40, 100);
  d.I(0x40, 0x30);
  d.D(0x40);
  d.A(0x50, 100);
  d.I(0x50, 0x40);
  d.D(0x50);
  d.A(0x60, 1);  // refcount 0, never freed, holding 0x70
  d.A(0x70, 1);
  d.I(0x70, 0x60);
  d.D(0x70);
  d.D(0x60);
  Graph g;
  CycleSet s = cycles_of(d.model, g);
  ASSERT_EQ(s.cycles.size(), 1u);
  EXPECT_EQ(s.cycles[0].bytes, 8u);
  EXPECT_EQ(s.cycles[0].held_bytes, 200u);
  ASSERT_EQ(s.cycles[0].held.size(), 2u);
  EXPECT_EQ(addr_of(d.model, g, s.cycles[0].held[0]), 0x40u);
  ASSERT_EQ(s.other.size(), 2u);
  EXPECT_EQ(addr_of(d.model, g, s.other[0]), 0x60u);
  EXPECT_EQ(s.other_bytes, 2u);
}

TEST(CycleFinder, GroupsMatchBruteForceOnRandomGraphs) {
  std::mt19937 rng(4242);
  for (int round = 0; round < 300; ++round) {
    uint32_t n = 1 + rng() % 40;
    Edges edges;
    for (uint32_t i = 0, m = rng() % (2 * n); i < m; ++i) edges.emplace_back(rng() % n, rng() % n);
    std::vector<uint8_t> roots(n);
    for (auto& x : roots) x = rng() % 6 == 0;
    Graph g = Graph::from_edges(n, edges, roots);
    std::vector<uint8_t> un = unreachable_nodes(g);
    CycleSet s = find_cycles(g, un, [](uint32_t v) { return NodeFacts{0x1000 + 16 * uint64_t{v}, v + 1, v + 1u}; });
    // Every unreachable node is listed exactly once; reachable ones never.
    std::vector<int> seen(n, 0);
    for (const CycleGroup& c : s.cycles) {
      for (uint32_t v : c.members) ++seen[v];
      for (uint32_t v : c.held) ++seen[v];
      // The path is closed, follows edges and stays on the cycle; it visits every member when it can.
      ASSERT_GE(c.path.size(), 2u);
      EXPECT_EQ(c.path.front(), c.path.back());
      for (size_t k = 0; k + 1 < c.path.size(); ++k) {
        auto out = g.out(c.path[k]);
        EXPECT_TRUE(std::find(out.begin(), out.end(), c.path[k + 1]) != out.end()) << "round " << round;
      }
      std::vector<uint32_t> on_path(c.path.begin(), c.path.end());
      std::sort(on_path.begin(), on_path.end());
      on_path.erase(std::unique(on_path.begin(), on_path.end()), on_path.end());
      std::vector<uint32_t> members(c.members);
      std::sort(members.begin(), members.end());
      EXPECT_EQ(on_path, members) << "round " << round;
    }
    for (uint32_t v : s.other) ++seen[v];
    for (uint32_t v = 0; v < n; ++v) EXPECT_EQ(seen[v], un[v] ? 1 : 0) << "round " << round << " node " << v;
  }
}

TEST(CollectedCycles, ACollectionThatClearsAndFreesACycle) {
  // Given g1 <-> g2 holding a dict, all creators' references dropped, then collected as CPython does: tp_clear on
  // g1 drops its references, the dict and g2 go, and g2's free releases g1
  ModelDriver d;
  SymbolTable symbols;
  Namer namer(symbols);
  CollectedCycles cc(d.model, namer, 10);
  d.model.set_observer(&cc);
  d.A(0x110, 48);
  d.A(0x120, 48);
  d.I(0x120, 0x110);
  d.I(0x110, 0x120);
  d.A(0x130, 104);
  d.I(0x130, 0x110);
  d.D(0x130);
  d.D(0x110);
  d.D(0x120);
  d.A(0x999, 8);  // freed outside the bracket: not the collector's
  d.D(0x999);
  d.F(0x999);
  uint64_t g_line = d.G(2);
  d.D(0x120, 0x110);
  d.D(0x130, 0x110);
  d.F(0x130);
  d.F(0x120);
  d.F(0x110);
  d.g(3, 0);
  // Then one cycle of two was collected, holding the dict
  EXPECT_EQ(d.anomalies(), 0u);
  EXPECT_EQ(cc.collections(), 1u);
  ASSERT_EQ(cc.cycles(), 1u);
  EXPECT_EQ(cc.objects(), 3u);
  EXPECT_EQ(cc.bytes(), 200u);
  const CycleDetail& c = cc.kept().at(0);
  EXPECT_EQ(c.gc_line, g_line);
  EXPECT_EQ(c.generation, 2u);
  ASSERT_EQ(c.objects.size(), 2u);
  EXPECT_EQ(c.objects[0].addr, 0x110u);
  ASSERT_EQ(c.held.size(), 1u);
  EXPECT_EQ(c.held[0].addr, 0x130u);
  EXPECT_EQ(c.edges.size(), 3u);  // g1 -> g2, g2 -> g1, g1 -> dict
}

TEST(CollectedCycles, SampledTraceFreesWithoutDecrefsStillShowTheCycle) {
  // In a sampled trace the collector's frees come without D records: the references between the freed objects
  // are those of the last checkpoint, stale in the model by the time the second object is freed.
  ModelDriver d(RefsMode::Sampled);
  SymbolTable symbols;
  Namer namer(symbols);
  CollectedCycles cc(d.model, namer, 10);
  d.model.set_observer(&cc);
  d.A(0x10, 16);
  d.A(0x20, 16);
  d.A(0x30, 16);
  d.I(0x20, 0x10);
  d.I(0x30, 0x20);
  d.I(0x10, 0x30);
  d.R(0x10, 1);
  d.R(0x20, 1);
  d.R(0x30, 1);
  d.M("checkpoint");
  d.G(0);
  d.F(0x20);
  d.A(0x20, 16);  // the address (and perhaps the slot) reused inside the bracket
  d.F(0x10);
  d.F(0x30);
  d.g(3, 0);
  ASSERT_EQ(cc.cycles(), 1u);
  EXPECT_EQ(cc.kept().at(0).objects.size(), 3u);
  EXPECT_EQ(cc.kept().at(0).path.size(), 4u);
}

TEST(CollectedCycles, KeepsDetailsOfTheFirstNButCountsAll) {
  ModelDriver d;
  SymbolTable symbols;
  Namer namer(symbols);
  CollectedCycles cc(d.model, namer, 1);
  d.model.set_observer(&cc);
  for (uint64_t round = 0; round < 3; ++round) {
    uint64_t a = 0x1000 + round * 0x100, b = a + 0x10;
    d.A(a, 10);
    d.A(b, 10);
    d.I(b, a);
    d.I(a, b);
    d.D(a);
    d.D(b);
    d.G(0);
    d.D(b, a);
    d.F(b);
    d.F(a);
    d.g(2, 0);
  }
  EXPECT_EQ(cc.cycles(), 3u);
  EXPECT_EQ(cc.kept().size(), 1u);
  EXPECT_EQ(cc.bytes(), 60u);
}

}  // namespace
}  // namespace refscope
