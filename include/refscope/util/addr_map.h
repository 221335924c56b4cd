#pragma once
// An open-addressing hash map from object address to a 32-bit value, the model's hottest structure: every
// A, I, D, F and R record looks one up. Linear probing over one flat array of 16-byte slots keeps a lookup to one
// or two cache lines (12-byte slots); deletion shifts the following run back instead of leaving tombstones, so a long trace of
// allocations and frees never degrades the table. Key 0 marks an empty slot: the format forbids address 0.
//
// Fibonacci hashing (multiply, keep the top bits) spreads CPython's 16-byte-aligned addresses evenly.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

namespace refscope {

// Memory for the model's big arrays (the address map, the object table's and the edge pool's chunks), in
// transparent huge pages where the system offers them on request (THP "madvise"): every record's lookups land at
// random in these arrays, and with 4 KB pages most of them also miss the TLB. An array of 2 MB or more is
// 2 MB-aligned and rounded up to 2 MB multiples (the callers size theirs as such multiples), then advised.
inline constexpr size_t kHugePage = size_t{2} << 20;
inline void* huge_alloc(size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::malloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
  }
  size_t rounded = (bytes + kHugePage - 1) & ~(kHugePage - 1);
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (!p) throw std::bad_alloc();
  ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: where it is refused, ordinary pages serve as well
  return p;
}
inline void huge_free(void* p) { std::free(p); }

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(huge_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t) { huge_free(p); }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

class AddrMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  AddrMap() { rehash(16); }

  uint32_t find(uint64_t key) const {
    if (key == 0) return kMissing;  // 0 marks empty slots; no object lives there
    for (size_t i = bucket(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.value;
      if (s.key == 0) return kMissing;
    }
  }

  // always_inline: GCC takes a function whose only effect is a prefetch for one without side effects and deletes
  // its calls (tests/binary checks the replay's prefetches are in the binary).
  [[gnu::always_inline]] void prefetch(uint64_t key) const { __builtin_prefetch(&slots_[bucket(key)]); }

  // Inserts or overwrites.
  void put(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(slots_.size() * 2);
    for (size_t i = bucket(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == key) {
        s.value = value;
        return;
      }
      if (s.key == 0) {
        s = {key, value};
        ++size_;
        return;
      }
    }
  }

  bool erase(uint64_t key) {
    size_t i = bucket(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    // Backward-shift deletion: move later members of the probe run into the hole when their home allows it.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].key != 0; j = (j + 1) & mask_) {
      size_t home = bucket(slots_[j].key);
      bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = {};
    --size_;
    return true;
  }

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  // 12 bytes, not 16: the key is read unaligned, which x86-64 and AArch64 do at full speed.
  struct __attribute__((packed, aligned(4))) Slot {
    uint64_t key = 0;
    uint32_t value = 0;
  };
  static_assert(sizeof(Slot) == 12);

  size_t bucket(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }

  void rehash(size_t capacity) {
    std::vector<Slot, HugePageAllocator<Slot>> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != 0) put(s.key, s.value);
  }

  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 0;
  size_t size_ = 0;
};

}  // namespace refscope
