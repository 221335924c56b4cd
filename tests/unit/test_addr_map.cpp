// AddrMap against std::unordered_map under random inserts, overwrites, erases and lookups, with keys that collide
// in the table (16-byte aligned, clustered) so that backward-shift deletion is exercised across wrapped runs.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "refscope/util/addr_map.h"

namespace refscope {
namespace {

TEST(AddrMap, EmptyMapFindsNothing) {
  AddrMap m;
  EXPECT_EQ(m.find(0x10), AddrMap::kMissing);
  EXPECT_FALSE(m.erase(0x10));
  EXPECT_EQ(m.size(), 0u);
}

TEST(AddrMap, PutOverwritesAndEraseRemoves) {
  AddrMap m;
  m.put(0x10, 1);
  m.put(0x10, 2);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.find(0x10), 2u);
  EXPECT_TRUE(m.erase(0x10));
  EXPECT_EQ(m.find(0x10), AddrMap::kMissing);
  EXPECT_FALSE(m.erase(0x10));
}

TEST(AddrMap, ExtremeKeys) {
  AddrMap m;
  m.put(UINT64_MAX, 7);
  m.put(1, 8);
  EXPECT_EQ(m.find(UINT64_MAX), 7u);
  EXPECT_EQ(m.find(1), 8u);
}

void random_ops(uint64_t seed, uint64_t key_space, uint64_t stride, int ops) {
  std::mt19937_64 rng(seed);
  AddrMap m;
  std::unordered_map<uint64_t, uint32_t> ref;
  for (int i = 0; i < ops; ++i) {
    uint64_t key = 0x7f0000000000 + stride * (rng() % key_space);
    switch (rng() % 4) {
      case 0:
      case 1: {
        uint32_t v = static_cast<uint32_t>(rng() % 1000000);
        m.put(key, v);
        ref[key] = v;
        break;
      }
      case 2:
        ASSERT_EQ(m.erase(key), ref.erase(key) == 1) << "op " << i;
        break;
      default: {
        auto it = ref.find(key);
        ASSERT_EQ(m.find(key), it == ref.end() ? AddrMap::kMissing : it->second) << "op " << i;
      }
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (const auto& [k, v] : ref) ASSERT_EQ(m.find(k), v);
}

TEST(AddrMap, RandomOperationsAgreeWithUnorderedMap) {
  random_ops(1, 64, 16, 200000);       // a small table: long runs, wrap-around
  random_ops(2, 5000, 16, 200000);     // grows and shrinks through several rehashes
  random_ops(3, 100000, 4096, 200000); // page-aligned keys
  random_ops(4, 1ull << 40, 1, 100000); // sparse keys
}

}  // namespace
}  // namespace refscope
