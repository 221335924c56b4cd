#pragma once
// Owner edges: for each live object, the objects it holds references to, each with a multiplicity.
//
// Every object's list lives in one pool of 12-byte entries, in blocks of power-of-two capacity recycled through a
// free list per size. The pool grows by fixed chunks of kChunk entries (6 MB, three huge pages) that never move: growing never
// copies it or holds two of it at once. A block bigger than a chunk gets an allocation of its own, mapped onto as
// many consecutive chunk numbers, so that every block is contiguous and an offset is still one number. A short list (up to kSmall entries, most objects) is a plain array searched linearly; a
// longer one (a big dict, a module's globals) becomes an open-addressing table keyed by target slot, so a
// recorder's snapshot diff of a container with a million members stays linear.
//
// Freeing an object does not visit the edges that point at it: each edge remembers its target's generation, and
// an edge whose target slot has moved on to a later generation is stale, skipped when read and reclaimed when its
// list next grows or is rebuilt. The model therefore never needs incoming lists.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "refscope/model/object.h"

namespace refscope {

struct Edge {
  uint32_t target = kEmpty;
  uint32_t gen = 0;
  uint32_t count = 0;  // 0 in a hashed list: a tombstone
  static constexpr uint32_t kEmpty = UINT32_MAX;

  // Target and generation as one number, compared in one step.
  static uint64_t key(uint32_t target, uint32_t gen) { return target | uint64_t{gen} << 32; }
  uint64_t key() const { return key(target, gen); }
};

class EdgeStore {
 public:
  static constexpr uint32_t kSmall = 8;
  static constexpr uint32_t kChunkBits = 19;
  static constexpr uint32_t kChunk = 1u << kChunkBits;

  // `objects` is the model's object table, read to tell stale edges.
  explicit EdgeStore(const ObjectTable& objects) : objects_(&objects) {}
  EdgeStore(const EdgeStore&) = delete;
  EdgeStore& operator=(const EdgeStore&) = delete;
  ~EdgeStore() {
    for (Edge* p : storage_) huge_free(p);
  }

  // Adds one reference owner -> target; returns the new multiplicity. Inline for a small list with room, the
  // common case; growing it, and a hashed list, out of line.
  uint32_t add(Object& owner, uint32_t target, uint32_t gen) {
    const uint32_t capacity = owner.edge_capacity();
    const uint32_t used = owner.edge_used;
    if (capacity > kSmall || used == capacity) return add_slow(owner, target, gen);
    Edge* base = at(owner.edge_offset);
    const uint64_t key = Edge::key(target, gen);
    for (uint32_t i = 0; i < used; ++i)
      if (base[i].key() == key) return ++base[i].count;
    base[used] = {target, gen, 1};
    owner.edge_used = used + 1;
    return 1;
  }
  // Removes one reference; returns false when the owner holds none to that target.
  bool remove_one(Object& owner, uint32_t target, uint32_t gen) {
    const uint32_t capacity = owner.edge_capacity();
    if (capacity > kSmall) return remove_hashed(owner, target, gen);
    const uint32_t used = owner.edge_used;
    if (used == 0) return false;
    Edge* base = at(owner.edge_offset);
    const uint64_t key = Edge::key(target, gen);
    for (uint32_t i = 0; i < used; ++i) {
      if (base[i].key() == key) {
        if (--base[i].count == 0) {
          base[i] = base[used - 1];
          owner.edge_used = used - 1;
        }
        return true;
      }
    }
    return false;
  }
  // Calls f(target_slot, count) for every live edge the owner holds.
  template <typename F>
  void for_each(const Object& owner, F&& f) const {
    for_each_stored(owner, [&](uint32_t target, uint32_t gen, uint32_t count) {
      if ((*objects_)[target].gen == gen) f(target, count);  // skip stale edges
    });
  }
  // Calls f(target_slot, target_gen, count) for every edge still stored, also those whose target has been freed
  // since (stale, until the list is next rebuilt): an observer of a collection uses them to see the references
  // between the objects it freed as they stood before.
  template <typename F>
  void for_each_stored(const Object& owner, F&& f) const {
    uint32_t capacity = owner.edge_capacity();
    if (capacity == 0) return;
    const Edge* e = at(owner.edge_offset);
    uint32_t n = capacity <= kSmall ? owner.edge_used : capacity;
    for (uint32_t i = 0; i < n; ++i)
      if (e[i].target != Edge::kEmpty && e[i].count != 0) f(e[i].target, e[i].gen, e[i].count);
  }
  // The owner's list, for a read of it or an add to it: a small list's entries in use and the one after (where an
  // add writes) may straddle two cache lines, and both are fetched; of a hashed one, its start only.
  [[gnu::always_inline]] void prefetch(const Object& owner) const {
    const uint32_t capacity = owner.edge_capacity();
    if (capacity == 0) return;
    const Edge* e = at(owner.edge_offset);
    __builtin_prefetch(e);
    if (capacity <= kSmall)
      __builtin_prefetch(reinterpret_cast<const char*>(e + std::min(owner.edge_used + 1, capacity)) - 1);
  }
  // Entries in use in the owner's list (live, stale, tombstones): at least its live edges.
  uint32_t stored_bound(const Object& owner) const { return owner.edge_capacity() ? owner.edge_used : 0; }
  // Gives the owner's edge storage back to the pool.
  void release(Object& owner);

  // Entries handed out as blocks so far (in use or on a free list), and the bytes the pool holds.
  size_t pool_entries() const { return end_; }
  size_t memory_bytes() const { return static_cast<size_t>(chunks_.size()) * kChunk * sizeof(Edge); }

 private:
  Edge* at(uint32_t offset) { return chunks_[offset >> kChunkBits] + (offset & (kChunk - 1)); }
  const Edge* at(uint32_t offset) const { return chunks_[offset >> kChunkBits] + (offset & (kChunk - 1)); }
  bool stale(const Edge& e) const { return (*objects_)[e.target].gen != e.gen; }
  uint32_t add_slow(Object& owner, uint32_t target, uint32_t gen);
  bool remove_hashed(Object& owner, uint32_t target, uint32_t gen);
  uint32_t allocate(uint32_t capacity);
  void rebuild(Object& owner, uint32_t min_capacity);
  Edge* grow_small(Object& owner);
  Edge* find_hashed(const Object& owner, uint32_t target, uint32_t gen);
  void insert_hashed(Object& owner, Edge e);
  static uint32_t home(uint32_t target, uint32_t capacity) {
    return static_cast<uint32_t>((target * 0x9E3779B1u) & (capacity - 1));
  }

  const ObjectTable* objects_;
  std::vector<Edge*> chunks_;                      // by offset >> kChunkBits
  std::vector<Edge*> storage_;                     // what chunks_ points into (huge_alloc)
  uint32_t end_ = 0;                               // offsets below it have been handed out
  std::vector<Edge> scratch_;                      // rebuild's copy of a list
  std::array<std::vector<uint32_t>, 33> free_blocks_;  // by log2 of capacity
};

}  // namespace refscope
