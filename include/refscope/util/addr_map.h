#pragma once
// An open-addressing hash map from object address to a 32-bit value, the model's hottest structure: every
// A, I, D, F and R record looks one up. Linear probing over one flat array of 16-byte slots keeps a lookup to one
// or two cache lines (12-byte slots); deletion shifts the following run back instead of leaving tombstones, so a long trace of
// allocations and frees never degrades the table. Key 0 marks an empty slot: the format forbids address 0.
//
// Fibonacci hashing (multiply, keep the top bits) spreads CPython's 16-byte-aligned addresses evenly.
#include <cstdint>
#include <vector>

namespace refscope {

class AddrMap {
 public:
  static constexpr uint32_t kMissing = UINT32_MAX;

  AddrMap() { rehash(16); }

  uint32_t find(uint64_t key) const {
    for (size_t i = bucket(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.value;
      if (s.key == 0) return kMissing;
    }
  }

  void prefetch(uint64_t key) const { __builtin_prefetch(&slots_[bucket(key)]); }

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
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != 0) put(s.key, s.value);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 0;
  size_t size_ = 0;
};

}  // namespace refscope
