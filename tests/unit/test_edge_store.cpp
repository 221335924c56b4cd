// EdgeStore against a std::unordered_map of multiplicities under random adds, removes and target frees, through
// both layouts (a small array, a hashed table past EdgeStore::kSmall) and back, with stale edges to freed targets.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <unordered_map>
#include <vector>

#include "refscope/model/edge_store.h"

namespace refscope {
namespace {

// Owners and targets are slots of one object table, as in the model.
struct Harness {
  ObjectTable objects;
  EdgeStore store{objects};
  std::vector<std::unordered_map<uint32_t, uint32_t>> ref;  // per owner: target slot -> multiplicity

  explicit Harness(uint32_t slots) : ref(slots) {
    for (uint32_t i = 0; i < slots; ++i) objects.push_back();
  }
  Object& owner(uint32_t slot) { return objects[slot]; }

  // The target's slot gets a new occupant: every edge to the old one is stale from now on.
  void free_target(uint32_t t) {
    ++objects[t].gen;
    for (auto& r : ref) r.erase(t);
  }
  std::map<uint32_t, uint32_t> actual(uint32_t owner) const {
    std::map<uint32_t, uint32_t> out;
    store.for_each(objects[owner], [&](uint32_t t, uint32_t n) { out[t] += n; });
    return out;
  }
  std::map<uint32_t, uint32_t> expected(uint32_t owner) const {
    return {ref[owner].begin(), ref[owner].end()};
  }
};

TEST(EdgeStore, AddCountsMultiplicityAndRemoveTakesOneAtATime) {
  Harness h(4);
  EXPECT_EQ(h.store.add(h.owner(0), 1, 0), 1u);
  EXPECT_EQ(h.store.add(h.owner(0), 1, 0), 2u);
  EXPECT_TRUE(h.store.remove_one(h.owner(0), 1, 0));
  EXPECT_EQ(h.actual(0), (std::map<uint32_t, uint32_t>{{1, 1}}));
  EXPECT_TRUE(h.store.remove_one(h.owner(0), 1, 0));
  EXPECT_FALSE(h.store.remove_one(h.owner(0), 1, 0));
  EXPECT_TRUE(h.actual(0).empty());
}

TEST(EdgeStore, AnEdgeToAnOlderGenerationIsNotRemovedByTheNewOne) {
  Harness h(4);
  h.store.add(h.owner(0), 2, 0);
  ++h.objects[2].gen;
  EXPECT_FALSE(h.store.remove_one(h.owner(0), 2, 1));
  EXPECT_TRUE(h.actual(0).empty()) << "a stale edge is not listed";
}

TEST(EdgeStore, ReleaseGivesTheListBack) {
  Harness h(40);
  for (uint32_t t = 0; t < 30; ++t) h.store.add(h.owner(0), t, 0);
  size_t pool = h.store.pool_entries();
  h.store.release(h.owner(0));
  EXPECT_TRUE(h.actual(0).empty());
  for (uint32_t t = 0; t < 30; ++t) h.store.add(h.owner(1), t, 0);
  EXPECT_LE(h.store.pool_entries(), pool * 2) << "released blocks are reused";
}

void random_ops(uint64_t seed, uint32_t owners, uint32_t targets, int ops) {
  std::mt19937_64 rng(seed);
  Harness h(std::max(owners, targets));
  for (int i = 0; i < ops; ++i) {
    uint32_t o = static_cast<uint32_t>(rng() % owners);
    uint32_t t = static_cast<uint32_t>(rng() % targets);
    uint32_t gen = h.objects[t].gen;
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {
        uint32_t n = h.store.add(h.owner(o), t, gen);
        ASSERT_EQ(n, ++h.ref[o][t]) << "op " << i;
        break;
      }
      case 4:
      case 5:
      case 6: {
        auto it = h.ref[o].find(t);
        bool had = it != h.ref[o].end();
        ASSERT_EQ(h.store.remove_one(h.owner(o), t, gen), had) << "op " << i;
        if (had && --it->second == 0) h.ref[o].erase(it);
        break;
      }
      case 7:
        if (rng() % 8 == 0) h.free_target(t);
        break;
      case 8:
        if (rng() % 50 == 0) {
          h.store.release(h.owner(o));
          h.ref[o].clear();
        }
        break;
      default:
        ASSERT_EQ(h.actual(o), h.expected(o)) << "op " << i;
    }
  }
  for (uint32_t o = 0; o < owners; ++o) ASSERT_EQ(h.actual(o), h.expected(o)) << "owner " << o;
}

TEST(EdgeStore, RandomOperationsAgreeWithAMapOfMultiplicities) {
  random_ops(1, 4, 6, 100000);     // small lists only
  random_ops(2, 3, 40, 200000);    // lists move between the array and the hashed layout
  random_ops(3, 2, 2000, 300000);  // big hashed lists with many tombstones and stale edges
  random_ops(4, 50, 50, 200000);   // many owners sharing the pool
}

}  // namespace
}  // namespace refscope
