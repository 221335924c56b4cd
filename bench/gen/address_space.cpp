#include "address_space.h"

#include <stdexcept>

namespace refscope_bench {

uint64_t AddressSpace::alloc_block(uint32_t nbytes) {
  if (nbytes == 0) nbytes = 1;
  if (nbytes <= kSmallLimit) {
    uint32_t cls = (nbytes - 1) / 16;
    auto& free_list = small_free_[cls];
    if (!free_list.empty()) {
      uint64_t block = free_list.back();
      free_list.pop_back();
      return block;
    }
    return carve_small(cls);
  }
  if (nbytes > kLargeLimit) throw std::logic_error("AddressSpace: request above the large limit");
  uint32_t cls = (nbytes - 1) / 64;
  auto& free_list = large_free_[cls];
  if (!free_list.empty()) {
    uint64_t block = free_list.back();
    free_list.pop_back();
    return block;
  }
  // glibc-like: a 16-byte chunk header before each block.
  uint64_t block = heap_top_ + 16;
  heap_top_ = block + uint64_t{cls + 1} * 64;
  return block;
}

void AddressSpace::free_block(uint64_t block, uint32_t nbytes) {
  if (nbytes == 0) nbytes = 1;
  if (nbytes <= kSmallLimit)
    small_free_[(nbytes - 1) / 16].push_back(block);
  else
    large_free_[(nbytes - 1) / 64].push_back(block);
}

uint64_t AddressSpace::carve_small(uint32_t cls) {
  uint64_t block_bytes = uint64_t{cls + 1} * 16;
  Pool& pool = pools_[cls];
  if (pool.next == 0 || pool.next + block_bytes > pool.end) {
    uint64_t base = new_pool();
    pool.next = base + kPoolOverhead;
    pool.end = base + kPoolBytes;
  }
  uint64_t block = pool.next;
  pool.next += block_bytes;
  return block;
}

uint64_t AddressSpace::new_pool() {
  if (arena_next_ == arena_end_) {
    next_arena_base_ -= kArenaBytes;
    arena_next_ = next_arena_base_;
    arena_end_ = next_arena_base_ + kArenaBytes;
  }
  uint64_t pool = arena_next_;
  arena_next_ += kPoolBytes;
  return pool;
}

}  // namespace refscope_bench
