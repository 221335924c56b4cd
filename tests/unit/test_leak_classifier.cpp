// The leak classifier, given models built event by event: each kind on its own, the precedence between them, and
// a property test against brute-force reachability on many random small heaps.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>

#include "refscope/analysis/leak_analysis.h"
#include "refscope/analysis/leak_classifier.h"

namespace refscope {
namespace {

class Heap {
 public:
  Model model;
  uint64_t line = 0;

  uint64_t alloc(uint64_t addr, uint64_t size = 16) {
    Event e = ev(RecordKind::Alloc, addr);
    e.size = size;
    model.apply(e);
    return e.line;
  }
  void incref(uint64_t addr, uint64_t owner = 0) {
    Event e = ev(RecordKind::Incref, addr);
    e.owner = owner;
    model.apply(e);
  }
  void decref(uint64_t addr, uint64_t owner = 0) {
    Event e = ev(RecordKind::Decref, addr);
    e.owner = owner;
    model.apply(e);
  }
  void free(uint64_t addr) { model.apply(ev(RecordKind::Free, addr)); }
  void immortal(uint64_t addr) {
    Event e = ev(RecordKind::Refcount, addr);
    e.immortal = true;
    model.apply(e);
  }
  uint64_t marker() {
    Event e = ev(RecordKind::Marker, 0);
    e.text = "m";
    model.apply(e);
    return e.line;
  }
  // An owned reference from `owner` that replaces the creator's: the usual `x.attr = Obj()`.
  void own(uint64_t owner, uint64_t target) {
    incref(target, owner);
    decref(target);
  }

  std::map<uint64_t, LeakKind> kinds(uint64_t from_line = 0) const {
    Graph g = Graph::from_model(model);
    LeakSet s = classify_leaks(model, g, from_line);
    std::map<uint64_t, LeakKind> out;
    for (size_t i = 0; i < s.nodes.size(); ++i) out[model.object(g.slot(s.nodes[i])).addr] = s.kinds[i];
    return out;
  }

 private:
  Event ev(RecordKind kind, uint64_t addr) {
    Event e;
    e.kind = kind;
    e.line = ++line;
    e.addr = addr;
    return e;
  }
};

TEST(LeakClassifier, ObjectHeldFromOutsideIsUnowned) {
  Heap h;
  h.alloc(0x10);
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x10, LeakKind::Unowned}}));
}

TEST(LeakClassifier, ObjectInOlderCacheIsRetained) {
  Heap h;
  h.alloc(0x10);  // the cache, held by a module
  uint64_t start = h.marker();
  h.alloc(0x20);
  h.own(0x10, 0x20);
  EXPECT_EQ(h.kinds(start), (std::map<uint64_t, LeakKind>{{0x20, LeakKind::Retained}}));
  // Without a window start the cache itself is a leak, and what it holds is reached only through it.
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x10, LeakKind::Unowned}, {0x20, LeakKind::Indirect}}));
}

TEST(LeakClassifier, TwoNodesHoldingEachOtherAreCyclic) {
  Heap h;  // the example of TRACE-FORMAT.md
  h.alloc(0x1000, 56);
  h.alloc(0x2000, 56);
  h.incref(0x2000, 0x1000);
  h.incref(0x1000, 0x2000);
  h.decref(0x1000);
  h.decref(0x2000);
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x1000, LeakKind::Cyclic}, {0x2000, LeakKind::Cyclic}}));
}

TEST(LeakClassifier, WhatOnlyACycleHoldsIsIndirect) {
  Heap h;
  h.alloc(0x1);
  h.alloc(0x2);
  h.alloc(0x3);
  h.incref(0x2, 0x1);
  h.incref(0x1, 0x2);
  h.own(0x2, 0x3);
  h.decref(0x1);
  h.decref(0x2);
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{
                           {0x1, LeakKind::Cyclic}, {0x2, LeakKind::Cyclic}, {0x3, LeakKind::Indirect}}));
}

TEST(LeakClassifier, SelfReferenceIsACycle) {
  Heap h;
  h.alloc(0x1);
  h.incref(0x1, 0x1);
  h.decref(0x1);
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x1, LeakKind::Cyclic}}));
}

TEST(LeakClassifier, RefcountZeroUnfreedIsUnownedAndNoRoot) {
  Heap h;
  h.alloc(0x1);
  h.alloc(0x2);
  h.own(0x1, 0x2);
  h.decref(0x1);  // refcount 0, but the trace never frees it
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x1, LeakKind::Unowned}, {0x2, LeakKind::Indirect}}));
}

TEST(LeakClassifier, RetainedWinsOverCyclicAndPathIsShortest) {
  Heap h;
  h.alloc(0x10);  // older root
  h.alloc(0x11);  // older, owned by the root
  h.own(0x10, 0x11);
  uint64_t start = h.marker();
  h.alloc(0x1);
  h.alloc(0x2);
  h.incref(0x1, 0x2);
  h.incref(0x2, 0x1);
  h.decref(0x1);
  h.decref(0x2);
  h.incref(0x2, 0x11);  // 0x10 -> 0x11 -> 0x2 <-> 0x1
  Graph g = Graph::from_model(h.model);
  LeakSet s = classify_leaks(h.model, g, start);
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_EQ(s.kinds[0], LeakKind::Retained);
  EXPECT_EQ(s.kinds[1], LeakKind::Retained);
  std::vector<uint64_t> path;
  for (uint32_t v : retained_path(s, g.node(h.model.find(0x1)))) path.push_back(h.model.object(g.slot(v)).addr);
  EXPECT_EQ(path, (std::vector<uint64_t>{0x10, 0x11, 0x2, 0x1}));
}

TEST(LeakClassifier, ImmortalsAreOlderRootsAndNeverLeaks) {
  Heap h;
  uint64_t start = h.marker();
  h.alloc(0x10);
  h.immortal(0x10);
  h.alloc(0x20);
  h.own(0x10, 0x20);
  EXPECT_EQ(h.kinds(start), (std::map<uint64_t, LeakKind>{{0x20, LeakKind::Retained}}));
}

TEST(LeakClassifier, SyntheticObjectsAreOlderThanTheWindow) {
  Heap h;
  h.incref(0x99);  // unknown-object: made known by an anomaly, held from outside
  h.alloc(0x20);
  h.own(0x99, 0x20);
  EXPECT_EQ(h.kinds(), (std::map<uint64_t, LeakKind>{{0x20, LeakKind::Retained}}));
}

TEST(LeakClassifier, FreedObjectsAreNoLeaks) {
  Heap h;
  h.alloc(0x1);
  h.decref(0x1);
  h.free(0x1);
  EXPECT_TRUE(h.kinds().empty());
}

TEST(LeakClassifier, KindNamesRoundTrip) {
  for (size_t k = 0; k < kLeakKinds; ++k) {
    auto kind = static_cast<LeakKind>(k);
    EXPECT_EQ(parse_leak_kind(leak_kind_name(kind)), kind);
  }
  EXPECT_FALSE(parse_leak_kind("leaky"));
}

// --- Property: the classifier agrees with brute force ---------------------------------------------------------

// The definition of TRACE-FORMAT.md, evaluated naively: a depth-first search from every source on its own.
std::map<uint64_t, LeakKind> brute_force(const Model& m, uint64_t from_line) {
  std::vector<ObjSlot> live;
  m.for_each_live([&](ObjSlot s, const Object&) { live.push_back(s); });
  auto reaches = [&](ObjSlot from, ObjSlot to, bool nonempty) {
    std::set<uint32_t> seen;
    std::vector<ObjSlot> stack;
    if (nonempty)
      m.for_each_edge(from, [&](ObjSlot t, uint32_t) { stack.push_back(t); });
    else
      stack.push_back(from);
    while (!stack.empty()) {
      ObjSlot v = stack.back();
      stack.pop_back();
      if (v == to) return true;
      if (!seen.insert(v.value).second) continue;
      m.for_each_edge(v, [&](ObjSlot t, uint32_t) { stack.push_back(t); });
    }
    return false;
  };
  auto in_window = [&](const Object& o) { return !o.synthetic() && !o.immortal() && o.line > from_line; };
  auto is_root = [&](const Object& o) { return o.immortal() || o.external() > 0; };
  auto zero = [&](const Object& o) { return !o.immortal() && o.refcount <= 0; };
  std::map<uint64_t, LeakKind> out;
  for (ObjSlot v : live) {
    const Object& o = m.object(v);
    if (!in_window(o)) continue;
    LeakKind kind;
    auto any_source = [&](const std::function<bool(const Object&)>& pred) {
      for (ObjSlot s : live)
        if (pred(m.object(s)) && reaches(s, v, false)) return true;
      return false;
    };
    if (is_root(o) || zero(o))
      kind = LeakKind::Unowned;
    else if (any_source([&](const Object& s) { return is_root(s) && !in_window(s); }))
      kind = LeakKind::Retained;
    else if (any_source([&](const Object& s) { return is_root(s) || zero(s); }))
      kind = LeakKind::Indirect;
    else if (reaches(v, v, true))
      kind = LeakKind::Cyclic;
    else
      kind = LeakKind::Indirect;
    out[o.addr] = kind;
  }
  return out;
}

TEST(LeakClassifierProperty, AgreesWithBruteForceOnRandomHeaps) {
  std::mt19937_64 rng(20240611);
  std::map<LeakKind, int> seen;
  for (int round = 0; round < 3000; ++round) {
    Heap h;
    auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    if (chance(0.3)) {
      Event e;
      e.kind = RecordKind::Meta;
      e.line = ++h.line;
      e.text = "refs";
      e.text2 = "sampled";
      h.model.apply(e);
    }
    uint64_t n = 1 + pick(12);
    uint64_t from_line = 0;
    uint64_t start_at = pick(n + 1);
    for (uint64_t i = 0; i < n; ++i) {
      if (i == start_at) from_line = h.marker();
      h.alloc(0x100 + i, 8 + pick(64));
    }
    auto addr = [&] { return 0x100 + pick(n + (chance(0.05) ? 2 : 0)); };  // sometimes an unknown address
    uint64_t steps = pick(4 * n);
    for (uint64_t s = 0; s < steps; ++s) {
      switch (pick(8)) {
        case 0: case 1: case 2: h.incref(addr(), addr()); break;
        case 3: h.decref(addr(), addr()); break;
        case 4: case 5: h.decref(addr()); break;
        case 6: if (chance(0.3)) h.free(addr()); else h.incref(addr()); break;
        case 7: if (chance(0.2)) h.immortal(addr()); else h.alloc(addr()); break;
      }
    }
    uint64_t window = chance(0.5) ? from_line : 0;
    auto want = brute_force(h.model, window);
    auto got = h.kinds(window);
    ASSERT_EQ(got, want) << "round " << round;
    for (auto& [a, k] : got) ++seen[k];
  }
  // The generator exercises every kind, or the property says little.
  for (size_t k = 0; k < kLeakKinds; ++k) EXPECT_GT(seen[static_cast<LeakKind>(k)], 100) << k;
}

}  // namespace
}  // namespace refscope
