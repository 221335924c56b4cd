#include "refscope/model/edge_store.h"

#include <algorithm>
#include <bit>
#include <memory>

namespace refscope {
namespace {
constexpr uint32_t kFirstCapacity = 2;  // entries of an owner's first edge block: most owners hold more than one
}  // namespace

// A block of `capacity` entries. Only a hashed one is cleared: a small list reads no entry past those in use, each
// written before it is counted.
uint32_t EdgeStore::allocate(uint32_t capacity) {
  auto& blocks = free_blocks_[std::countr_zero(capacity)];
  if (!blocks.empty()) {
    uint32_t offset = blocks.back();
    blocks.pop_back();
    if (capacity > kSmall) std::fill_n(at(offset), capacity, Edge{});
    return offset;
  }
  uint32_t room = static_cast<uint32_t>(static_cast<uint64_t>(chunks_.size()) * kChunk - end_);
  if (capacity > room) {
    // What is left of the last chunk goes to the free lists, in power-of-two pieces; a new chunk (or, for a block
    // bigger than a chunk, an allocation of its own) starts at the next chunk boundary.
    while (room > 0) {
      uint32_t piece = std::bit_floor(room);
      free_blocks_[std::countr_zero(piece)].push_back(end_);
      end_ += piece;
      room -= piece;
    }
    uint32_t entries = std::max(capacity, kChunk);
    storage_.reserve(storage_.size() + 1);
    storage_.push_back(static_cast<Edge*>(huge_alloc(size_t{entries} * sizeof(Edge))));
    for (uint32_t k = 0; k < entries / kChunk; ++k) chunks_.push_back(storage_.back() + size_t{k} * kChunk);
  }
  uint32_t offset = end_;
  end_ += capacity;
  // Entries are written when handed out, so only the pages in use are touched.
  if (capacity > kSmall) std::uninitialized_fill_n(at(offset), capacity, Edge{});
  return offset;
}

// A small list that is full moves to a block twice its size as it is, stale edges and all: reading each target's
// object to drop them would cost a cache miss an edge, and a small list holds at most kSmall entries anyway. Stale
// edges go when a full list of kSmall is rebuilt.
Edge* EdgeStore::grow_small(Object& owner) {
  uint32_t capacity = owner.edge_capacity() == 0 ? kFirstCapacity : owner.edge_capacity() * 2;
  uint32_t offset = allocate(capacity);
  if (owner.edge_used > 0) std::copy_n(at(owner.edge_offset), owner.edge_used, at(offset));
  uint32_t used = owner.edge_used;
  release(owner);
  owner.edge_offset = offset;
  owner.edge_cap_log = static_cast<uint8_t>(std::countr_zero(capacity) + 1);
  owner.edge_used = used;
  return at(offset);
}

void EdgeStore::release(Object& owner) {
  if (owner.edge_cap_log != 0) free_blocks_[owner.edge_cap_log - 1].push_back(owner.edge_offset);
  owner.edge_cap_log = 0;
  owner.edge_offset = owner.edge_used = 0;
}

// Moves the live edges of `owner` into a fresh block big enough for `min_capacity` of them, dropping stale edges
// and tombstones; picks the array or the hashed layout by size.
void EdgeStore::rebuild(Object& owner, uint32_t min_capacity) {
  std::vector<Edge>& live = scratch_;
  live.clear();
  for_each(owner, [&](uint32_t target, uint32_t count) { live.push_back({target, (*objects_)[target].gen, count}); });
  uint32_t need = std::max<uint32_t>(static_cast<uint32_t>(live.size()) + 1, min_capacity);
  uint32_t capacity = need <= kSmall ? std::bit_ceil(need) : std::bit_ceil(need * 2);
  release(owner);
  owner.edge_offset = allocate(capacity);
  owner.edge_cap_log = static_cast<uint8_t>(std::countr_zero(capacity) + 1);
  owner.edge_used = 0;
  if (capacity <= kSmall) {
    Edge* base = at(owner.edge_offset);
    for (const Edge& e : live) base[owner.edge_used++] = e;
  } else {
    for (const Edge& e : live) insert_hashed(owner, e);
  }
}

Edge* EdgeStore::find_hashed(const Object& owner, uint32_t target, uint32_t gen) {
  Edge* base = at(owner.edge_offset);
  uint32_t mask = owner.edge_capacity() - 1;
  for (uint32_t i = home(target, owner.edge_capacity()), probes = 0; probes < owner.edge_capacity(); i = (i + 1) & mask, ++probes) {
    Edge& e = base[i];
    if (e.target == Edge::kEmpty) return nullptr;
    if (e.target == target && e.gen == gen && e.count != 0) return &e;
  }
  return nullptr;
}

void EdgeStore::insert_hashed(Object& owner, Edge edge) {
  Edge* base = at(owner.edge_offset);
  uint32_t mask = owner.edge_capacity() - 1;
  for (uint32_t i = home(edge.target, owner.edge_capacity());; i = (i + 1) & mask) {
    Edge& e = base[i];
    if (e.target == Edge::kEmpty) {
      e = edge;
      ++owner.edge_used;
      return;
    }
    if (e.count == 0 || stale(e)) {  // reuse a tombstone or a stale edge in place; `used` already counts it
      e = edge;
      return;
    }
  }
}

// add() for a list that is full or hashed.
uint32_t EdgeStore::add_slow(Object& owner, uint32_t target, uint32_t gen) {
  if (owner.edge_capacity() > kSmall) {
    if (Edge* e = find_hashed(owner, target, gen)) return ++e->count;
    if ((owner.edge_used + 1) * 4 > owner.edge_capacity() * 3) rebuild(owner, 0);
    if (owner.edge_capacity() > kSmall) {
      insert_hashed(owner, {target, gen, 1});
      return 1;
    }
  }
  Edge* base = owner.edge_capacity() ? at(owner.edge_offset) : nullptr;
  for (uint32_t i = 0; i < owner.edge_used; ++i)
    if (base[i].target == target && base[i].gen == gen) return ++base[i].count;
  if (owner.edge_used < owner.edge_capacity()) {
    base[owner.edge_used++] = {target, gen, 1};
    return 1;
  }
  if (owner.edge_capacity() < kSmall) {
    base = grow_small(owner);
    base[owner.edge_used++] = {target, gen, 1};
    return 1;
  }
  // A full list of kSmall: rebuilt without its stale edges, as a hashed table if it still needs more room.
  rebuild(owner, owner.edge_used + 1);
  if (owner.edge_capacity() > kSmall) {
    insert_hashed(owner, {target, gen, 1});
    return 1;
  }
  base = at(owner.edge_offset);
  base[owner.edge_used++] = {target, gen, 1};
  return 1;
}

bool EdgeStore::remove_hashed(Object& owner, uint32_t target, uint32_t gen) {
  Edge* e = find_hashed(owner, target, gen);
  if (!e) return false;
  --e->count;  // reaching 0 leaves a tombstone
  return true;
}

}  // namespace refscope
