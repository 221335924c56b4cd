// Hands out object addresses the way CPython's allocators do, so that traces reuse addresses realistically.
//
// Requests of up to 512 bytes go to a pymalloc model: 16-byte size classes, 16 KiB pools carved from 1 MiB arenas
// (mmap'd high in the address space, each new one below the last), and a LIFO free list per class, so a freed block
// is the next one handed out for its class. That reuse is what makes `A` at a just-freed address common in real
// traces. Larger requests go to a malloc model in a lower heap region, with LIFO free lists per 64-byte class.
//
//   0x7f3e9bf00000 ┐ arena 0: pool | pool | ... (each pool serves one size class)
//   0x7f3e9be00000 ┘ arena 1 ...
//   0x55d4a8e00000   malloc heap (blocks above 512 bytes)
//
// A block address is 16-byte aligned; the object lives at block + 16 for GC-tracked types (after PyGC_Head).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace refscope_bench {

class AddressSpace {
 public:
  static constexpr uint32_t kSmallLimit = 512;
  static constexpr uint32_t kLargeLimit = 4096;  // the generator asks for nothing bigger

  uint64_t alloc_block(uint32_t nbytes);
  void free_block(uint64_t block, uint32_t nbytes);

 private:
  static constexpr uint64_t kArenaBytes = uint64_t{1} << 20;
  static constexpr uint64_t kPoolBytes = uint64_t{16} << 10;
  static constexpr uint64_t kPoolOverhead = 48;  // pymalloc's pool header, rounded to the alignment
  static constexpr uint32_t kSmallClasses = kSmallLimit / 16;
  static constexpr uint32_t kLargeClasses = kLargeLimit / 64;

  struct Pool {
    uint64_t next = 0;
    uint64_t end = 0;
  };

  uint64_t carve_small(uint32_t cls);
  uint64_t new_pool();

  std::array<std::vector<uint64_t>, kSmallClasses> small_free_;
  std::array<Pool, kSmallClasses> pools_{};
  std::array<std::vector<uint64_t>, kLargeClasses> large_free_;
  uint64_t arena_next_ = 0;
  uint64_t arena_end_ = 0;
  uint64_t next_arena_base_ = 0x7f3e9c000000;
  uint64_t heap_top_ = 0x55d4a8e00000;
};

}  // namespace refscope_bench
