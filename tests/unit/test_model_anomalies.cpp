// Every anomaly kind of TRACE-FORMAT.md: the record that causes it, the line and address it is kept with, and what
// the model does next. Also the precedence rule: one record gives at most one anomaly, the first kind that applies.
#include <gtest/gtest.h>

#include "test_model_support.h"

namespace refscope::testing {
namespace {

constexpr uint64_t X = 0x7f0000001000, Y = 0x7f0000002000, O = 0x7f0000003000, NOBODY = 0x7f000000dead;

// --- unknown-object ---------------------------------------------------------------------------------------------

TEST(AnomalyUnknownObject, IncrefCreatesTheObjectAndAppliesTheReference) {
  ModelDriver t;
  uint64_t line = t.I(X);
  EXPECT_EQ(t.anomalies(), 1u);
  ASSERT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  ASSERT_TRUE(t.live(X));
  const Object& o = t.obj(X);
  EXPECT_EQ(o.refcount, 1);
  EXPECT_EQ(o.size, 0u);
  EXPECT_EQ(o.type, TypeIdx(0));
  EXPECT_TRUE(o.synthetic());
  EXPECT_EQ(o.line, line);
  EXPECT_EQ(t.model.counts().alloc, 0u) << "a synthetic object is not counted as an alloc";
  EXPECT_EQ(t.model.live_objects(), 1u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(AnomalyUnknownObject, IncrefWithLiveOwnerCreatesTheObjectWithTheOwnerEdge) {
  ModelDriver t;
  t.A(O);
  t.I(X, O);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.edge(O, X), 1u);
  EXPECT_EQ(t.external(X), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(AnomalyUnknownObject, OutranksUnknownOwnerOnTheSameRecord) {
  ModelDriver t;
  t.I(X, NOBODY);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownOwner), 0u);
  EXPECT_EQ(t.refcount(X), 1) << "the reference is still applied, as an external one";
  EXPECT_EQ(t.external(X), 1u);
}

TEST(AnomalyUnknownObject, RefcountCreatesTheObjectWithTheObservedCount) {
  ModelDriver t;
  uint64_t line = t.R(X, 7);
  EXPECT_EQ(t.anomalies(), 1u) << "no refcount-mismatch on top of unknown-object";
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.refcount(X), 7);
  EXPECT_TRUE(t.obj(X).synthetic());
}

TEST(AnomalyUnknownObject, DecrefOfUnknownAddressDoesNothing) {
  ModelDriver t;
  t.A(Y);
  uint64_t line = t.D(X);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_FALSE(t.live(X));
  EXPECT_EQ(t.model.live_objects(), 1u);
  EXPECT_EQ(t.model.counts().decref, 1u);
}

TEST(AnomalyUnknownObject, FreeOfUnknownAddressDoesNothing) {
  ModelDriver t;
  t.A(Y, 40);
  uint64_t line = t.F(X);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 1u);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_FALSE(t.live(X));
  EXPECT_EQ(t.model.live_objects(), 1u);
  EXPECT_EQ(t.model.live_bytes(), 40u);
}

TEST(AnomalyUnknownObject, FreeingTwiceReportsTheSecondFree) {
  ModelDriver t;
  t.A(X);
  t.D(X);
  t.F(X);
  uint64_t line = t.F(X);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::UnknownObject);
  EXPECT_EQ(t.last_anomaly().line, line);
}

// --- unknown-owner ----------------------------------------------------------------------------------------------

TEST(AnomalyUnknownOwner, IncrefTakesTheReferenceAsExternal) {
  ModelDriver t;
  t.A(X);
  uint64_t line = t.I(X, NOBODY);
  ASSERT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::UnknownOwner);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.last_anomaly().owner, NOBODY);
  EXPECT_EQ(t.refcount(X), 2);
  EXPECT_EQ(t.external(X), 2u);
  EXPECT_EQ(t.obj(X).held, 0u);
}

TEST(AnomalyUnknownOwner, DecrefReleasesAnExternalReference) {
  ModelDriver t;
  t.A(X);
  t.I(X);
  t.D(X, NOBODY);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownOwner), 1u);
  EXPECT_EQ(t.refcount(X), 1);
}

TEST(AnomalyUnknownOwner, OutranksRefcountUnderflowWhenNoExternalIsLeft) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);  // external 0 now; O's reference remains
  t.D(X, NOBODY);
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownOwner), 1u);
  EXPECT_EQ(t.refcount(X), 1) << "O's reference is not touched";
  EXPECT_EQ(t.edge(O, X), 1u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(AnomalyUnknownOwner, AFreedOwnerIsUnknown) {
  ModelDriver t;
  t.A(O);
  t.D(O);
  t.F(O);
  t.A(X);
  t.I(X, O);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownOwner), 1u);
  EXPECT_EQ(t.external(X), 2u);
}

// --- owner-mismatch ---------------------------------------------------------------------------------------------

TEST(AnomalyOwnerMismatch, ReleasesAnExternalReferenceInstead) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X);
  uint64_t line = t.D(X, O);
  ASSERT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::OwnerMismatch);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.last_anomaly().owner, O);
  EXPECT_EQ(t.refcount(X), 1);
}

TEST(AnomalyOwnerMismatch, DoesNothingWithoutAnExternalReference) {
  ModelDriver t;
  t.A(O);
  t.A(Y);
  t.A(X);
  t.I(X, Y);
  t.D(X);  // only Y's reference is left
  t.D(X, O);
  EXPECT_EQ(t.anomalies(), 1u) << "no refcount-underflow on top of owner-mismatch";
  EXPECT_EQ(t.anomalies(AnomalyKind::OwnerMismatch), 1u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.edge(Y, X), 1u);
  EXPECT_TRUE(invariants_hold(t.model));
}

// --- refcount-underflow -----------------------------------------------------------------------------------------

TEST(AnomalyRefcountUnderflow, DecrefWithoutExternalReferenceIsIgnored) {
  ModelDriver t;
  t.A(X);
  t.D(X);
  uint64_t line = t.D(X);
  ASSERT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::RefcountUnderflow);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.refcount(X), 0) << "never below 0";
}

TEST(AnomalyRefcountUnderflow, OwnedReferencesAreNotReleasedByAPlainDecref) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);
  t.D(X);
  EXPECT_EQ(t.anomalies(AnomalyKind::RefcountUnderflow), 1u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.edge(O, X), 1u);
  EXPECT_TRUE(invariants_hold(t.model));
}

// --- freed-while-referenced ---------------------------------------------------------------------------------------

TEST(AnomalyFreedWhileReferenced, FreesTheObjectAnyway) {
  ModelDriver t;
  t.A(X, 64);
  t.I(X);
  uint64_t line = t.F(X);
  ASSERT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::FreedWhileReferenced);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.last_anomaly().modelled, 2);
  EXPECT_FALSE(t.live(X));
  EXPECT_EQ(t.model.live_bytes(), 0u);
  EXPECT_EQ(t.model.counts().free, 1u);
}

TEST(AnomalyFreedWhileReferenced, ReleasesTheReferencesTheFreedObjectHeld) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);
  t.F(O);  // O's own refcount is 1
  EXPECT_EQ(t.anomalies(AnomalyKind::FreedWhileReferenced), 1u);
  EXPECT_EQ(t.refcount(X), 0);
  EXPECT_EQ(t.obj(X).held, 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(AnomalyFreedWhileReferenced, NotInASampledTrace) {
  ModelDriver t(RefsMode::Sampled);
  t.A(X);
  t.I(X);
  t.F(X);
  EXPECT_EQ(t.anomalies(), 0u) << "between checkpoints a free with refcount above 0 is normal";
  EXPECT_FALSE(t.live(X));
}

// --- address-reused ---------------------------------------------------------------------------------------------

TEST(AnomalyAddressReused, FreesTheOldObjectAndCreatesTheNewOne) {
  ModelDriver t;
  t.A(X, 100);
  uint64_t line = t.A(X, 30);
  ASSERT_EQ(t.anomalies(), 1u) << "no freed-while-referenced for the implicit free";
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::AddressReused);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.obj(X).line, line);
  EXPECT_EQ(t.obj(X).size, 30u);
  EXPECT_EQ(t.refcount(X), 1);
  EXPECT_EQ(t.model.counts().alloc, 2u);
  EXPECT_EQ(t.model.counts().free, 0u) << "the implicit free is not an F record";
  EXPECT_EQ(t.model.live_objects(), 1u);
  EXPECT_EQ(t.model.live_bytes(), 30u);
  EXPECT_EQ(t.model.peak_bytes(), 100u);
}

TEST(AnomalyAddressReused, TheOldObjectsEdgesAreReleasedAndDoNotComeBack) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.D(X);
  t.A(O);  // a new object at O's address
  EXPECT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.refcount(X), 0);
  EXPECT_EQ(t.edge_count(O), 0u);
  t.D(X, O);
  EXPECT_EQ(t.anomalies(AnomalyKind::OwnerMismatch), 1u);
  EXPECT_TRUE(invariants_hold(t.model));
}

// --- external-negative ------------------------------------------------------------------------------------------

TEST(AnomalyExternalNegative, SetsTheRefcountToWhatLiveObjectsHold) {
  ModelDriver t;
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.I(X, O);
  uint64_t line = t.R(X, 1);
  ASSERT_EQ(t.anomalies(), 1u) << "not also a refcount-mismatch";
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::ExternalNegative);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.last_anomaly().observed, 1);
  EXPECT_EQ(t.last_anomaly().modelled, 2);
  EXPECT_EQ(t.refcount(X), 2);
  EXPECT_EQ(t.external(X), 0u);
  EXPECT_TRUE(invariants_hold(t.model));
}

TEST(AnomalyExternalNegative, AlsoInASampledTrace) {
  ModelDriver t(RefsMode::Sampled);
  t.A(O);
  t.A(X);
  t.I(X, O);
  t.R(X, 0);
  EXPECT_EQ(t.anomalies(AnomalyKind::ExternalNegative), 1u);
  EXPECT_EQ(t.refcount(X), 1);
}

// --- refcount-mismatch ------------------------------------------------------------------------------------------

TEST(AnomalyRefcountMismatch, TakesTheObservedRefcount) {
  ModelDriver t;
  t.A(X);
  uint64_t line = t.R(X, 5);
  ASSERT_EQ(t.anomalies(), 1u);
  EXPECT_EQ(t.last_anomaly().kind, AnomalyKind::RefcountMismatch);
  EXPECT_EQ(t.last_anomaly().line, line);
  EXPECT_EQ(t.last_anomaly().addr, X);
  EXPECT_EQ(t.last_anomaly().observed, 5);
  EXPECT_EQ(t.last_anomaly().modelled, 1);
  EXPECT_EQ(t.refcount(X), 5);
  EXPECT_EQ(t.external(X), 5u);
}

TEST(AnomalyRefcountMismatch, AnAgreeingObservationIsSilent) {
  ModelDriver t;
  t.A(X);
  t.I(X);
  t.R(X, 2);
  EXPECT_EQ(t.anomalies(), 0u);
}

TEST(AnomalyRefcountMismatch, NotInASampledTrace) {
  ModelDriver t(RefsMode::Sampled);
  t.A(X);
  t.R(X, 9);
  EXPECT_EQ(t.anomalies(), 0u);
  EXPECT_EQ(t.refcount(X), 9);
}

// --- bookkeeping ------------------------------------------------------------------------------------------------

TEST(AnomalyLog, CountsEverythingAndKeepsTheFirstN) {
  ModelOptions options;
  options.keep_anomalies = 3;
  ModelDriver t(RefsMode::Exact, options);
  for (int i = 0; i < 10; ++i) t.D(X + 16 * static_cast<uint64_t>(i));
  EXPECT_EQ(t.anomalies(), 10u);
  EXPECT_EQ(t.anomalies(AnomalyKind::UnknownObject), 10u);
  ASSERT_EQ(t.model.anomalies().first().size(), 3u);
  EXPECT_EQ(t.model.anomalies().first()[0].line, 2u);
  EXPECT_EQ(t.model.anomalies().first()[2].line, 4u);
}

TEST(AnomalyLog, NamesAndDescriptions) {
  EXPECT_EQ(anomaly_name(AnomalyKind::UnknownObject), "unknown-object");
  EXPECT_EQ(anomaly_name(AnomalyKind::UnknownOwner), "unknown-owner");
  EXPECT_EQ(anomaly_name(AnomalyKind::OwnerMismatch), "owner-mismatch");
  EXPECT_EQ(anomaly_name(AnomalyKind::RefcountUnderflow), "refcount-underflow");
  EXPECT_EQ(anomaly_name(AnomalyKind::FreedWhileReferenced), "freed-while-referenced");
  EXPECT_EQ(anomaly_name(AnomalyKind::AddressReused), "address-reused");
  EXPECT_EQ(anomaly_name(AnomalyKind::ExternalNegative), "external-negative");
  EXPECT_EQ(anomaly_name(AnomalyKind::RefcountMismatch), "refcount-mismatch");
  for (size_t k = 0; k < kAnomalyKinds; ++k) {
    Anomaly a{static_cast<AnomalyKind>(k), 3, 0xabc, 0xdef, 1, 2};
    EXPECT_NE(describe(a).find("0xabc"), std::string::npos) << describe(a);
  }
}

}  // namespace
}  // namespace refscope::testing
