#include "refscope/model/edge_store.h"

#include <bit>

namespace refscope {

uint32_t EdgeStore::allocate(uint32_t capacity) {
  auto& blocks = free_blocks_[std::countr_zero(capacity)];
  if (!blocks.empty()) {
    uint32_t offset = blocks.back();
    blocks.pop_back();
    std::fill_n(pool_.begin() + offset, capacity, Edge{});
    return offset;
  }
  uint32_t offset = static_cast<uint32_t>(pool_.size());
  pool_.resize(pool_.size() + capacity);
  return offset;
}

void EdgeStore::release(EdgeList& list) {
  if (list.capacity != 0) free_blocks_[std::countr_zero(list.capacity)].push_back(list.offset);
  list = {};
}

// Moves the live edges of `list` into a fresh block big enough for `min_capacity` of them, dropping stale edges
// and tombstones; picks the array or the hashed layout by size.
void EdgeStore::rebuild(EdgeList& list, uint32_t min_capacity) {
  std::vector<Edge> live;
  live.reserve(list.used);
  for_each(list, [&](uint32_t target, uint32_t count) { live.push_back({target, (*objects_)[target].gen, count}); });
  uint32_t need = std::max<uint32_t>(static_cast<uint32_t>(live.size()) + 1, min_capacity);
  uint32_t capacity = need <= kSmall ? std::bit_ceil(need) : std::bit_ceil(need * 2);
  release(list);
  list.offset = allocate(capacity);
  list.capacity = capacity;
  list.used = 0;
  if (capacity <= kSmall) {
    for (const Edge& e : live) pool_[list.offset + list.used++] = e;
  } else {
    for (const Edge& e : live) insert_hashed(list, e);
  }
}

Edge* EdgeStore::find_hashed(const EdgeList& list, uint32_t target, uint32_t gen) {
  Edge* base = pool_.data() + list.offset;
  uint32_t mask = list.capacity - 1;
  for (uint32_t i = home(target, list.capacity), probes = 0; probes < list.capacity; i = (i + 1) & mask, ++probes) {
    Edge& e = base[i];
    if (e.target == Edge::kEmpty) return nullptr;
    if (e.target == target && e.gen == gen && e.count != 0) return &e;
  }
  return nullptr;
}

void EdgeStore::insert_hashed(EdgeList& list, Edge edge) {
  Edge* base = pool_.data() + list.offset;
  uint32_t mask = list.capacity - 1;
  for (uint32_t i = home(edge.target, list.capacity);; i = (i + 1) & mask) {
    Edge& e = base[i];
    if (e.target == Edge::kEmpty) {
      e = edge;
      ++list.used;
      return;
    }
    if (e.count == 0 || stale(e)) {  // reuse a tombstone or a stale edge in place; `used` already counts it
      e = edge;
      return;
    }
  }
}

uint32_t EdgeStore::add(EdgeList& list, uint32_t target, uint32_t gen) {
  if (list.capacity > kSmall) {
    if (Edge* e = find_hashed(list, target, gen)) return ++e->count;
    if ((list.used + 1) * 4 > list.capacity * 3) rebuild(list, 0);
    if (list.capacity > kSmall) {
      insert_hashed(list, {target, gen, 1});
      return 1;
    }
  }
  Edge* base = pool_.data() + list.offset;
  for (uint32_t i = 0; i < list.used; ++i)
    if (base[i].target == target && base[i].gen == gen) return ++base[i].count;
  if (list.used == list.capacity) {
    rebuild(list, list.used + 1);
    if (list.capacity > kSmall) {
      insert_hashed(list, {target, gen, 1});
      return 1;
    }
    base = pool_.data() + list.offset;
  }
  base[list.used++] = {target, gen, 1};
  return 1;
}

bool EdgeStore::remove_one(EdgeList& list, uint32_t target, uint32_t gen) {
  if (list.capacity == 0) return false;
  if (list.capacity > kSmall) {
    Edge* e = find_hashed(list, target, gen);
    if (!e) return false;
    --e->count;  // reaching 0 leaves a tombstone
    return true;
  }
  Edge* base = pool_.data() + list.offset;
  for (uint32_t i = 0; i < list.used; ++i) {
    if (base[i].target == target && base[i].gen == gen) {
      if (--base[i].count == 0) base[i] = base[--list.used];
      return true;
    }
  }
  return false;
}

}  // namespace refscope
