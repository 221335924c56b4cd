// Sharing figures over a model built in code: histograms, owners, by-type totals and retained sizes.
#include <gtest/gtest.h>

#include "refscope/analysis/sharing.h"
#include "test_model_support.h"

namespace refscope {
namespace {

using testing::ModelDriver;

TEST(SharingBuckets, DoubleFromThree) {
  EXPECT_EQ(sharing_bucket(0), 0u);
  EXPECT_EQ(sharing_bucket(1), 1u);
  EXPECT_EQ(sharing_bucket(2), 2u);
  EXPECT_EQ(sharing_bucket(3), 3u);
  EXPECT_EQ(sharing_bucket(4), 3u);
  EXPECT_EQ(sharing_bucket(5), 4u);
  EXPECT_EQ(sharing_bucket(8), 4u);
  EXPECT_EQ(sharing_bucket(9), 5u);
  EXPECT_EQ(sharing_bucket_label(3), "3-4");
  EXPECT_EQ(sharing_bucket_label(5), "9-16");
  EXPECT_EQ(sharing_bucket_label(1), "1");
}

TEST(Sharing, FiguresOfASmallHeap) {
  // Given a root list holding x twice and y once, and an outside reference to x too
  ModelDriver d;
  d.A(0x10, 100, 1);  // root list
  d.A(0x20, 10, 2);   // x
  d.A(0x30, 20, 2);   // y
  d.I(0x20, 0x10);
  d.I(0x20, 0x10);
  d.I(0x30, 0x10);
  d.D(0x30);
  d.A(0x40, 5, 3);
  d.R_immortal(0x40);
  // When sharing is analysed
  SymbolTable symbols;
  uint64_t previous = 0;
  for (uint32_t t = 1; t <= 3; ++t) symbols.define_type(t, "t" + std::to_string(t), t, previous);
  SharingResult r = analyse_sharing(d.model, symbols, {});
  // Then x (refcount 3: two from the list, one outside) is the only shared object; it has one owner
  EXPECT_EQ(r.live_objects, 4u);
  EXPECT_EQ(r.live_bytes, 135u);
  EXPECT_EQ(r.shared_objects, 1u);
  EXPECT_EQ(r.immortal_objects, 1u);
  ASSERT_EQ(r.objects.size(), 2u);  // x, then the immortal
  const Object& x = d.obj(0x20);
  EXPECT_EQ(r.objects[0].object.addr, x.addr);
  EXPECT_EQ(r.objects[0].owners, 1u);
  EXPECT_EQ(x.external(), 1u);
  ASSERT_EQ(r.by_type.size(), 1u);
  EXPECT_EQ(r.by_type[0].references, 3u);
  ASSERT_EQ(r.histogram.back().label, "immortal");
  // By retained size: the list retains y but not x (x is a root of its own: held from outside)
  r = analyse_sharing(d.model, symbols, {0, SharingSort::Retained});
  ASSERT_EQ(r.objects.size(), 4u);
  EXPECT_EQ(r.objects[0].retained, 120u);
  uint64_t top = 0;
  for (const SharedObject& o : r.objects)
    if (o.object.addr == 0x10 || o.object.addr == 0x20 || o.object.addr == 0x40) top += o.retained;
  EXPECT_EQ(top, r.live_bytes);
}

}  // namespace
}  // namespace refscope
