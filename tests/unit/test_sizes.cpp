// Sizes (trace format 2): `Z ADDR SIZE [?]` sets what an object costs with the memory it owns; every byte figure
// follows it, and nothing else changes.
#include <gtest/gtest.h>

#include "refscope/analysis/leak_classifier.h"
#include "test_model_support.h"

namespace refscope::testing {
namespace {

#define H2 "refscope-trace 2\n@ refs sampled\n"

const Object& at(const Replayed& r, uint64_t addr) { return r.model->object(r.model->find(addr)); }

TEST(Sizes, ZSetsTheSizeAndTheLiveBytesFollow) {
  Replayed r = replay_text(H2 "A 10 56 0\nA 20 16 0\nZ 10 65592\n");
  EXPECT_EQ(at(r, 0x10).size, 65592u);
  EXPECT_EQ(r.model->live_bytes(), 65592u + 16u);
  EXPECT_EQ(r.model->counts().resize, 1u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(Sizes, AnObjectThatShrinksLowersTheLiveBytesButNotThePeak) {
  Replayed r = replay_text(H2 "A 10 56 0\nZ 10 1000\nM grown\nZ 10 88\n");
  EXPECT_EQ(r.model->live_bytes(), 88u);
  EXPECT_EQ(r.model->peak_bytes(), 1000u);
  EXPECT_EQ(r.model->peak_bytes_line(), 4u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(Sizes, AFreeReleasesTheLastSize) {
  Replayed r = replay_text(H2 "A 10 56 0\nZ 10 1000\nF 10\n");
  EXPECT_EQ(r.model->live_bytes(), 0u);
  EXPECT_EQ(r.model->live_objects(), 0u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(Sizes, AQuestionMarkCountsTheObjectAsUnmeasuredUntilAZWithout) {
  Replayed r = replay_text(H2 "A 10 56 0\nA 20 56 0\nZ 10 136 ?\nZ 20 136 ?\nZ 20 200\n");
  EXPECT_TRUE(at(r, 0x10).unmeasured());
  EXPECT_FALSE(at(r, 0x20).unmeasured());
  EXPECT_EQ(r.model->unmeasured_objects(), 1u);
  EXPECT_TRUE(invariants_hold(*r.model));
  Replayed freed = replay_text(H2 "A 10 56 0\nZ 10 136 ?\nF 10\n");
  EXPECT_EQ(freed.model->unmeasured_objects(), 0u);
  EXPECT_TRUE(invariants_hold(*freed.model));
}

TEST(Sizes, ZOfAnUnknownAddressIsAnUnknownObjectAndChangesNothing) {
  Replayed r = replay_text(H2 "A 10 56 0\nZ 20 1000\n");
  EXPECT_EQ(r.model->anomalies().count(AnomalyKind::UnknownObject), 1u);
  EXPECT_FALSE(r.model->find(0x20).value != UINT32_MAX);
  EXPECT_EQ(r.model->live_bytes(), 56u);
  EXPECT_TRUE(invariants_hold(*r.model));
}

TEST(Sizes, ZChangesNoRefcountAndNoLeakKind) {
  const char* base = H2 "A 10 56 0\nM start\nA 20 56 0\nI 20 10\nD 20\nR 20 1\n";
  Replayed plain = replay_text(base);
  Replayed sized = replay_text(std::string(base) + "Z 20 70000\nZ 10 900\n");
  Graph g1 = Graph::from_model(*plain.model), g2 = Graph::from_model(*sized.model);
  LeakSet a = classify_leaks(*plain.model, g1, 4), b = classify_leaks(*sized.model, g2, 4);
  EXPECT_EQ(a.kinds, b.kinds);
  EXPECT_EQ(at(plain, 0x20).refcount, at(sized, 0x20).refcount);
  uint64_t retained_bytes = 0;
  for (size_t i = 0; i < b.nodes.size(); ++i)
    if (b.kinds[i] == LeakKind::Retained) retained_bytes += sized.model->object(g2.slot(b.nodes[i])).size;
  EXPECT_EQ(retained_bytes, 70000u);
}

}  // namespace
}  // namespace refscope::testing
