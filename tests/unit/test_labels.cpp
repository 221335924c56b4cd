// Labels and names (trace format 2): `L` interns a text, I and P may say what a reference is, K names an object.
// They are display data: counts, edges and leak kinds are those of the same trace without them.
#include <gtest/gtest.h>

#include "refscope/analysis/leak_classifier.h"
#include "test_model_support.h"

namespace refscope::testing {
namespace {

#define H2 "refscope-trace 2\n@ refs sampled\n"

ObjSlot slot(const Replayed& r, uint64_t addr) { return r.model->find(addr); }
std::string edge(const Replayed& r, uint64_t owner, uint64_t target) {
  return r.reader->symbols().label(r.model->edge_label(slot(r, owner), slot(r, target)));
}

TEST(Labels, AReferenceKeepsTheLabelItWasGiven) {
  Replayed r = replay_text(H2 "L 1 .__dict__\nL 2 ['_errors']\nA 10 64 0\nA 20 64 0\nA 30 64 0\n"
                              "I 20 10 1\nI 30 20 2\nI 30 10\n");
  EXPECT_EQ(edge(r, 0x10, 0x20), ".__dict__");
  EXPECT_EQ(edge(r, 0x20, 0x30), "['_errors']");
  EXPECT_EQ(edge(r, 0x10, 0x30), "");
  EXPECT_EQ(r.model->counts().label, 2u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(Labels, ALabelDiesWithItsTargetAndWithItsOwner) {
  Replayed r = replay_text(H2 "L 1 [0]\nA 10 64 0\nA 20 64 0\nI 20 10 1\nF 20\nA 20 64 0\nI 20 10\n");
  EXPECT_EQ(edge(r, 0x10, 0x20), "");  // the new object at 0x20 is not the one labelled [0]
  Replayed gone = replay_text(H2 "L 1 [0]\nA 10 64 0\nA 20 64 0\nI 20 10 1\nF 10\nA 10 64 0\nI 20 10\n");
  EXPECT_EQ(edge(gone, 0x10, 0x20), "");
}

TEST(Labels, NamedRootsLabelTheirReferences) {
  Replayed r = replay_text(H2 "N 1 frame main at app.py:3\nL 1 .f_locals['buf']\nA 10 64 0\nP 10 1 1\n");
  EXPECT_EQ(r.reader->symbols().label(r.model->root_edge_label(RootIdx(1), slot(r, 0x10))), ".f_locals['buf']");
}

TEST(Labels, KNamesAnObjectUntilItIsFreed) {
  Replayed r = replay_text(H2 "L 1 app.server\nA 10 64 0\nK 10 1\nA 20 64 0\nK 30 1\n");
  EXPECT_EQ(r.reader->symbols().label(r.model->name(slot(r, 0x10))), "app.server");
  EXPECT_EQ(r.model->name(slot(r, 0x20)).value, 0u);
  EXPECT_EQ(r.model->anomalies().count(AnomalyKind::UnknownObject), 1u);  // K of an address nothing holds
  Replayed freed = replay_text(H2 "L 1 app.server\nA 10 64 0\nK 10 1\nF 10\nA 10 64 0\n");
  EXPECT_EQ(freed.model->name(slot(freed, 0x10)).value, 0u);
}

TEST(Labels, LabelsChangeNoCountAndNoLeakKind) {
  const char* plain = H2 "A 10 56 0\nM start\nA 20 56 0\nA 30 56 0\nI 20 10\nI 30 20\nD 20\nD 30\nR 20 1\nR 30 1\n";
  const char* labelled = H2 "L 1 .cache\nL 2 [0]\nL 3 app\nA 10 56 0\nM start\nA 20 56 0\nA 30 56 0\nK 10 3\n"
                            "I 20 10 1\nI 30 20 2\nD 20\nD 30\nR 20 1\nR 30 1\n";
  Replayed a = replay_text(plain), b = replay_text(labelled);
  Graph ga = Graph::from_model(*a.model), gb = Graph::from_model(*b.model);
  LeakSet la = classify_leaks(*a.model, ga, 4), lb = classify_leaks(*b.model, gb, 7);
  EXPECT_EQ(la.kinds, lb.kinds);
  EXPECT_EQ(la.nodes.size(), lb.nodes.size());
  EXPECT_EQ(a.model->live_bytes(), b.model->live_bytes());
  EXPECT_EQ(a.model->object(slot(a, 0x30)).refcount, b.model->object(slot(b, 0x30)).refcount);
  EXPECT_TRUE(invariants_hold(*b.model));
}

}  // namespace
}  // namespace refscope::testing
