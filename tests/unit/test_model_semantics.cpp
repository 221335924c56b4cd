// The reference model's semantics apart from anomalies: generations and address reuse, external counts, owner edges
// with multiplicity, immortal objects, sampled traces, markers, collection brackets, live and peak totals.
#include <gtest/gtest.h>

#include <random>

#include "test_model_support.h"

namespace refscope::testing {
namespace {

constexpr uint64_t X = 0x7f0000001000, Y = 0x7f0000002000, O = 0x7f0000003000, P = 0x7f0000004000;

TEST(ModelAlloc, ANewObjectHasOneExternalReference) {
  ModelDriver t;
  uint64_t line = t.A(X, 56, 3, 2);
  const Object& o = t.obj(X);
  EXPECT_EQ(o.refcount, 1);
  EXPECT_EQ(o.external(), 1u);
  EXPECT_EQ(o.size, 56u);
  EXPECT_EQ(o.type, TypeIdx(3));
  EXPECT_EQ(o.site, StackIdx(2));
  EXPECT_EQ(o.line, line);
  EXPECT_FALSE(o.synthetic());
  EXPECT_EQ(t.model.counts().alloc, 1u);
}

TEST(ModelGenerations, EdgesToAFreedObjectDoNotComeBackWhenTheAddressIsReused) {
  // Given O holds a reference to X, and X is freed while O still holds it
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);
  t.F(X);
  // When a new object is allocated at X's address
  t.A(X);
  // Then O holds no reference to the new X, whose only reference is its creator's
  EXPECT_EQ(t.edge(O, X), 0u);
  EXPECT_EQ(t.edge_count(O), 0u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.obj(X).held, 0u);
  // And O's decref of X is an owner-mismatch, releasing the creator's reference
  t.D(X, O);
  EXPECT_EQ(t.anomalies(AnomalyKind::OwnerMismatch), 1u);
  EXPECT_EQ(t.refcount(X), 0);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelGenerations, AReusedSlotAtAnotherAddressIsNotReachedByOldEdges) {
  // Given O -> X, X freed, then Y allocated (the model reuses X's slot for it)
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);
  t.F(X);
  t.A(Y);
  // Then O's old edge does not point at Y, and freeing O leaves Y alone
  EXPECT_EQ(t.edge_count(O), 0u);
  t.D(O);
  t.F(O);
  EXPECT_EQ(t.refcount(Y), 1);
  EXPECT_EQ(t.anomalies(), 1u);  // the F of X while O held it
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelExternal, ExternalIsRefcountMinusWhatLiveObjectsHold) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  EXPECT_EQ(t.refcount(X), 2);
  EXPECT_EQ(t.external(X), 1u);
  t.I(X);
  EXPECT_EQ(t.external(X), 2u);
  t.D(X);
  t.D(X);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.external(X), 0u);
  // When the owner is freed, its reference goes with it
  t.D(O);
  t.F(O);
  EXPECT_EQ(t.refcount(X), 0);
  EXPECT_EQ(t.obj(X).held, 0u);
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelEdges, OwnerEdgesCountMultiplicity) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.I(X, O);
  t.I(X, O);
  EXPECT_EQ(t.edge(O, X), 3u);
  EXPECT_EQ(t.edge_count(O), 1u);
  EXPECT_EQ(t.obj(X).held, 3u);
  t.D(X, O);
  EXPECT_EQ(t.edge(O, X), 2u);
  t.D(X, O);
  t.D(X, O);
  EXPECT_EQ(t.edge(O, X), 0u);
  EXPECT_EQ(t.edge_count(O), 0u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.anomalies(), 0u);
  t.D(X, O);
  EXPECT_EQ(t.anomalies(AnomalyKind::OwnerMismatch), 1u);
  EXPECT_EQ(t.refcount(X), 0);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelEdges, FreeingAnOwnerWithManyEdgesReleasesThemAll) {
  // A big container (more than EdgeStore::kSmall targets, so its list is hashed)
  ModelDriver t;
  t.A(O);
  for (uint64_t i = 1; i <= 50; ++i) {
    t.A(X + i * 16);
    t.I(X + i * 16, O);
    if (i % 3 == 0) t.I(X + i * 16, O);
    t.D(X + i * 16);
  }
  EXPECT_EQ(t.edge_count(O), 50u);
  EXPECT_EQ(t.edge(O, X + 48 * 16), 2u);
  EXPECT_TRUE(invariants_hold(t.model));
  t.D(O);
  t.F(O);
  for (uint64_t i = 1; i <= 50; ++i) EXPECT_EQ(t.refcount(X + i * 16), 0);
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelEdges, ASelfReferenceIsAnEdge) {
  ModelDriver t;
  t.A(X);
  t.I(X, X);
  EXPECT_EQ(t.edge(X, X), 1u);
  EXPECT_EQ(t.refcount(X), 2);
  EXPECT_EQ(t.external(X), 1u);
  t.D(X);
  EXPECT_EQ(t.external(X), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelImmortal, IgnoresIncrefAndDecrefUntilANumberMakesItMortal) {
  ModelDriver t;
  t.A(X);
  t.R_immortal(X);
  EXPECT_TRUE(t.obj(X).immortal());
  for (int i = 0; i < 5; ++i) t.D(X);
  t.I(X);
  EXPECT_EQ(t.anomalies(), 0u) << "no underflow for an immortal object";
  EXPECT_EQ(t.refcount(X), 1);
  // A number makes it mortal again, without a mismatch against the ignored events
  t.R(X, 3);
  EXPECT_FALSE(t.obj(X).immortal());
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_EQ(t.refcount(X), 3);
  t.D(X);
  EXPECT_EQ(t.refcount(X), 2);
}

TEST(ModelImmortal, OwnerEdgesToAnImmortalAreIgnoredToo) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.R_immortal(X);
  t.I(X, O);
  EXPECT_EQ(t.edge(O, X), 0u);
  t.D(X, O);
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelImmortal, AnUnknownImmortalIsCreated) {
  ModelDriver t;
  t.R_immortal(X);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_TRUE(t.obj(X).immortal());
}

TEST(ModelSampled, AFreeWithReferencesLeftReleasesWhatIsLeft) {
  // Given a sampled trace where O holds X and X also has an outside reference
  ModelDriver t(RefsMode::Sampled);
  EXPECT_EQ(t.model.refs_mode(), RefsMode::Sampled);
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.R(X, 2);
  t.M("checkpoint 1");
  // When O dies without a free being seen, and then X too
  t.F(O);
  EXPECT_EQ(t.refcount(X), 1);
  t.F(X);
  // Then nothing is an anomaly and nothing is live
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_EQ(t.model.live_objects(), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelSampled, ObservedCountsAreTakenSilently) {
  ModelDriver t(RefsMode::Sampled);
  t.A(X);
  t.R(X, 4);
  t.R(X, 1);
  t.R(X, 0);
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_EQ(t.refcount(X), 0);
}

TEST(ModelMarkers, KeepsLabelsWithTheirLines) {
  ModelDriver t;
  uint64_t a = t.M("start");
  t.A(X);
  uint64_t b = t.M("iteration 2");
  ASSERT_EQ(t.model.markers().size(), 2u);
  EXPECT_EQ(t.model.markers()[0].label, "start");
  EXPECT_EQ(t.model.markers()[0].line, a);
  EXPECT_EQ(t.model.markers()[1].label, "iteration 2");
  EXPECT_EQ(t.model.markers()[1].line, b);
  EXPECT_EQ(t.model.counts().marker, 2u);
}

TEST(ModelMarkers, CountsAllButKeepsTheFirstN) {
  ModelOptions options;
  options.keep_markers = 2;
  ModelDriver t(RefsMode::Exact, options);
  for (int i = 0; i < 5; ++i) t.M("m");
  EXPECT_EQ(t.model.markers().size(), 2u);
  EXPECT_EQ(t.model.counts().marker, 5u);
}

TEST(ModelCollector, FreesInsideABracketAreCountedAsTheCollectors) {
  ModelDriver t;
  t.A(X);
  t.A(Y);
  t.A(P);
  t.D(X);
  t.F(X);  // before the bracket
  t.G(2);
  EXPECT_TRUE(t.model.gc_open());
  t.D(Y);
  t.F(Y);
  t.D(P);
  t.F(P);
  t.g(2, 0);
  EXPECT_FALSE(t.model.gc_open());
  EXPECT_EQ(t.model.gc_frees(), 2u);
  EXPECT_EQ(t.model.counts().gc, 1u);
  EXPECT_EQ(t.model.counts().free, 3u);
}

TEST(ModelTotals, LiveAndPeakObjectsAndBytesWithTheirLines) {
  ModelDriver t;
  t.A(X, 100);
  uint64_t peak_objects = t.A(Y, 10);
  t.D(Y);
  t.F(Y);
  uint64_t peak_bytes = t.A(P, 500);
  t.D(X);
  t.F(X);
  EXPECT_EQ(t.model.live_objects(), 1u);
  EXPECT_EQ(t.model.live_bytes(), 500u);
  EXPECT_EQ(t.model.peak_objects(), 2u);
  EXPECT_EQ(t.model.peak_objects_line(), peak_objects);
  EXPECT_EQ(t.model.peak_bytes(), 600u);
  EXPECT_EQ(t.model.peak_bytes_line(), peak_bytes);
  EXPECT_EQ(t.model.peak_bytes_objects(), 2u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(ModelTotals, HugeRefcountsDoNotOverflow) {
  // R takes counts up to 2^63-1; an I on top must not wrap around (undefined behaviour) or go negative.
  ModelDriver t;
  t.A(X);
  t.R(X, INT64_MAX);
  t.I(X);
  t.I(X, X);
  EXPECT_GT(t.refcount(X), 0);
  EXPECT_TRUE(invariants_hold(t.model));
}

// Random well-formed and ill-formed sequences over a few addresses: whatever happens, the invariants hold.
TEST(ModelInvariants, HoldAfterRandomEvents) {
  for (RefsMode mode : {RefsMode::Exact, RefsMode::Sampled}) {
    std::mt19937_64 rng(mode == RefsMode::Exact ? 1 : 2);
    ModelDriver t(mode);
    auto addr = [&] { return 0x1000 + 16 * (rng() % 24); };
    for (int i = 0; i < 20000; ++i) {
      switch (rng() % 9) {
        case 0: t.A(addr(), rng() % 100, static_cast<uint32_t>(rng() % 4)); break;
        case 1: t.I(addr()); break;
        case 2: t.I(addr(), addr()); break;
        case 3: t.D(addr()); break;
        case 4: t.D(addr(), addr()); break;
        case 5: t.F(addr()); break;
        case 6:
          if (rng() % 10 == 0) t.R_immortal(addr());
          else t.R(addr(), rng() % 5);
          break;
        case 7: t.I(addr(), addr()); break;
        default: t.A(addr(), rng() % 100); break;
      }
      if (i % 97 == 0) ASSERT_TRUE(invariants_hold(t.model, 4)) << "after event " << i;
    }
    EXPECT_TRUE(invariants_hold(t.model, 4));
    EXPECT_GT(t.anomalies(), 0u);
  }
}

}  // namespace
}  // namespace refscope::testing
