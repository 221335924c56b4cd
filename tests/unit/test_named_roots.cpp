// Named roots (trace format 2): N, P and U in the reader and the model, and what they change in the leak kinds,
// in why's paths and in the reports' root names.
#include <gtest/gtest.h>

#include "refscope/analysis/leak_classifier.h"
#include "refscope/analysis/named_roots.h"
#include "refscope/analysis/why_paths.h"
#include "refscope/report/objects.h"
#include "test_model_support.h"

namespace refscope::testing {
namespace {

#define H2 "refscope-trace 2\n@ refs sampled\n"

const Object& at(const Replayed& r, uint64_t addr) { return r.model->object(r.model->find(addr)); }

std::map<uint64_t, LeakKind> kinds(const Model& m, uint64_t from_line = 0) {
  Graph g = Graph::from_model(m);
  LeakSet s = classify_leaks(m, g, from_line);
  std::map<uint64_t, LeakKind> out;
  for (size_t i = 0; i < s.nodes.size(); ++i) out[m.object(g.slot(s.nodes[i])).addr] = s.kinds[i];
  return out;
}

TEST(NamedRoots, AReferenceHeldByARootIsNeitherExternalNorAnObjectsOne) {
  Replayed r = replay_text(H2 "N 1 sys.modules\nA 10 64 0\nP 10 1\nR 10 1\n");
  const Object& o = at(r, 0x10);
  EXPECT_EQ(o.refcount, 1);
  EXPECT_EQ(o.held, 1u);
  EXPECT_EQ(o.external(), 0u);
  EXPECT_EQ(r.model->anomalies().total(), 0u);
  EXPECT_TRUE(invariants_hold(*r.model));
  EXPECT_EQ(r.model->counts().root_def, 1u);
  EXPECT_EQ(r.model->counts().root_ref, 1u);
}

TEST(NamedRoots, ReleasingGivesTheReferenceBack) {
  Replayed r = replay_text(H2 "N 1 frame\nA 10 64 0\nP 10 1\nP 10 1\nR 10 2\nU 10 1\nR 10 1\n");
  const Object& o = at(r, 0x10);
  EXPECT_EQ(o.held, 1u);
  EXPECT_EQ(o.external(), 0u);
  EXPECT_EQ(r.model->anomalies().total(), 0u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(NamedRoots, ReleasingWhatTheRootDoesNotHoldIsAnOwnerMismatch) {
  Replayed r = replay_text(H2 "N 1 a\nN 2 b\nA 10 64 0\nP 10 1\nU 10 2\n");
  EXPECT_EQ(r.model->anomalies().count(AnomalyKind::OwnerMismatch), 1u);
  const Anomaly& a = r.model->anomalies().first().at(0);
  EXPECT_TRUE(a.root);
  EXPECT_EQ(a.owner, 2u);
  EXPECT_NE(describe(a).find("named root 2 holds no reference to 0x10"), std::string::npos) << describe(a);
  // The external reference of the alloc was released instead; root 1 keeps its reference.
  EXPECT_EQ(at(r, 0x10).external(), 0u);
  EXPECT_EQ(at(r, 0x10).held, 1u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(NamedRoots, UnknownObjectsAreAnomaliesAsForIAndD) {
  Replayed r = replay_text(H2 "N 1 a\nP 20 1\nU 30 1\n");
  EXPECT_EQ(r.model->anomalies().count(AnomalyKind::UnknownObject), 2u);
  // P made the object known, as I does, and holds it.
  EXPECT_EQ(at(r, 0x20).held, 1u);
  EXPECT_TRUE(at(r, 0x20).synthetic());
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(NamedRoots, AFreeDropsTheRootsReference) {
  Replayed r = replay_text(H2 "N 1 a\nA 10 64 0\nP 10 1\nF 10\nA 10 32 0\n");
  EXPECT_EQ(at(r, 0x10).held, 0u) << "the new object at the address is not held by the root";
  NamedRootHolders holders(*r.model);
  EXPECT_TRUE(holders.of(r.model->find(0x10)).empty());
  EXPECT_TRUE(named_root_totals(*r.model).empty());
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(NamedRoots, ImmortalObjectsIgnorePAndU) {
  Replayed r = replay_text(H2 "N 1 a\nA 10 64 0\nR 10 immortal\nP 10 1\nU 10 1\nU 10 1\n");
  EXPECT_EQ(r.model->anomalies().total(), 0u);
  EXPECT_FALSE(r.model->has_root_edges());
}

TEST(NamedRoots, ANewNRenamesTheRootAndKeepsItsReferences) {
  Replayed r = replay_text(H2 "N 7 frame f at a.py:1\nA 10 64 0\nP 10 7\nN 7 frame g at a.py:9\n");
  ASSERT_EQ(r.model->root_slots(), 2u);
  EXPECT_EQ(r.model->root(RootIdx(1)).name, "frame g at a.py:9");
  EXPECT_EQ(r.model->root(RootIdx(1)).line, 6u);
  EXPECT_EQ(r.reader->symbols().root_trace_id(RootIdx(1)), 7u);
  EXPECT_EQ(at(r, 0x10).held, 1u);
}

TEST(NamedRoots, AVersion1TraceReadsAsBefore) {
  Replayed r = replay_text("refscope-trace 1\nA 10 64 0\n");
  EXPECT_EQ(r.reader->info().version, 1);
  EXPECT_EQ(r.model->root_slots(), 0u);
}

// Leak kinds: a named root is older than every window.
TEST(NamedRootLeaks, AWindowObjectHeldByANamedRootIsRetained) {
  // 10: held by the module table only; 20: held by 10; 30: held by the root and by a forgotten incref;
  // 40: a plain external reference; 50, 60: a garbage cycle.
  Replayed r = replay_text(H2 "N 1 sys.modules\n"
                              "M start\n"
                              "A 10 64 0\nA 20 64 0\nA 30 64 0\nA 40 64 0\nA 50 64 0\nA 60 64 0\n"
                              "P 10 1\nI 20 10\nP 30 1\nI 50 60\nI 60 50\n"
                              "R 10 1\nR 20 1\nR 30 2\nR 40 1\nR 50 1\nR 60 1\n");
  EXPECT_EQ(r.model->anomalies().total(), 0u);
  auto k = kinds(*r.model, 3);
  EXPECT_EQ(k.at(0x10), LeakKind::Retained);
  EXPECT_EQ(k.at(0x20), LeakKind::Retained);
  EXPECT_EQ(k.at(0x30), LeakKind::Unowned) << "a reference nobody accounts for stays unowned";
  EXPECT_EQ(k.at(0x40), LeakKind::Unowned);
  EXPECT_EQ(k.at(0x50), LeakKind::Cyclic);
  EXPECT_EQ(k.at(0x60), LeakKind::Cyclic);
}

TEST(NamedRootLeaks, RetainedPathsStartAtTheObjectTheRootHolds) {
  Replayed r = replay_text(H2 "N 4 builtins\nA 10 64 0\nA 20 64 0\nM start\nA 30 64 0\n"
                              "P 10 4\nI 20 10\nI 30 20\nR 10 1\nR 20 1\nR 30 1\n");
  Graph g = Graph::from_model(*r.model);
  LeakSet s = classify_leaks(*r.model, g, 6);  // after the marker (line 6)
  ASSERT_EQ(s.nodes.size(), 1u);
  auto path = retained_path(s, s.nodes[0]);
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(r.model->object(g.slot(path[0])).addr, 0x10u);
  EXPECT_TRUE(g.held_by_named_root(path[0]));
  NamedRootHolders holders(*r.model);
  auto holds = holders.of(g.slot(path[0]));
  ASSERT_EQ(holds.size(), 1u);
  EXPECT_EQ(r.model->root(holds[0].root).name, "builtins");
}

TEST(NamedRootWhy, AnObjectHeldByARootEndsTheChainAndNamesTheRoot) {
  Replayed r = replay_text(H2 "N 1 frame main at app.py:3\nN 2 sys.modules\n"
                              "A 10 64 0\nA 20 64 0\nP 10 1\nP 10 1\nP 20 2\nI 20 10\nR 10 3\nR 20 3\n");
  const Model& m = *r.model;
  Graph g = Graph::from_model(m);
  uint32_t n10 = g.node(m.find(0x10)), n20 = g.node(m.find(0x20));
  OwnerPaths w = why_paths(g.reversed(), n20, 0, [&](uint32_t v) {
    const Object& o = m.object(g.slot(v));
    return std::pair<uint64_t, uint64_t>{o.addr, o.line};
  });
  ASSERT_EQ(w.paths.size(), 2u);
  EXPECT_EQ(w.paths[0], (std::vector<uint32_t>{n20}));
  EXPECT_EQ(w.paths[1], (std::vector<uint32_t>{n10, n20}));
  NamedRootHolders holders(m);
  Namer namer(r.reader->symbols());
  RefState s10 = namer.state(m, holders, m.find(0x10)), s20 = namer.state(m, holders, m.find(0x20));
  Names names = namer.take();
  EXPECT_EQ(root_description(s10, names), "held by frame main at app.py:3 (2 references), 1 external reference");
  EXPECT_EQ(root_description(s20, names), "held by sys.modules, 1 external reference");
  ASSERT_EQ(s10.named_roots.size(), 1u);
  EXPECT_EQ(s10.named_roots[0].id, 1u);
  auto totals = named_root_totals(m);
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(m.root(totals[0].root).name, "frame main at app.py:3");
  EXPECT_EQ(totals[0].references, 2u);
  EXPECT_EQ(totals[1].objects, 1u);
}

}  // namespace
}  // namespace refscope::testing
