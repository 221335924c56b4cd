#pragma once
// Every object-domain memory block the recorder knows, by block address: an open-addressing table with linear
// probing and backward-shift deletion (no tombstones, so a program that allocates and frees forever keeps short
// probe chains). One insert per allocation and one lookup-and-erase per free: this is the recorder's hot path,
// so no std::unordered_map (a node allocation per insert would cost more than the allocation it records).
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace refscope::recorder {

enum class BlockState : uint8_t {
  Pending,  // allocated; no `A` written yet (its type is not known until the object is seen or freed)
  Live,     // `A` written: the trace knows the object at addr + offset
  Dead,     // `F` written while the block stays allocated (a freelist keeps it, or the tracer saw it destroyed)
};

enum BlockFlags : uint8_t {
  kGuessed = 1,   // introduced at a checkpoint without our seeing its allocation: address and size are derived
  kSeen = 2,      // reached by the current checkpoint's walk
  kTouched = 4,   // references to it added or removed at the current checkpoint
  kNew = 8,       // introduced at the current checkpoint
  kNamed = 16,    // its `K` is in the trace (kept from one checkpoint to the next, cleared by a new `A`)
  kSized = 32,    // a `Z` gave it another size than its `A`'s: Recorder::sizes_ has it (kept, cleared likewise)
};

// 32 bytes, so that two blocks share a cache line and none straddles two: the table is probed once per
// allocation and once per free, and its misses were the largest part of the hooks' time.
struct Block {
  uintptr_t addr;          // block start, 0 = empty slot
  uint64_t size : 40;      // bytes requested from the allocator (up to 1 TiB)
  uint64_t offset : 8;     // where the object starts in the block: 0, 16 or 32 (valid once Live)
  uint64_t flags : 8;
  BlockState state : 8;
  uint32_t site;           // stack node of the allocation, 0 = unknown
  uint32_t type;           // type id, valid once Live
  int64_t last_refcount;   // refcount last written as `R`; kNoRefcount before, kImmortal for `immortal`

  uintptr_t object() const { return addr + offset; }
};
static_assert(sizeof(Block) == 32, "two blocks a cache line");

inline constexpr int64_t kNoRefcount = INT64_MIN;
inline constexpr int64_t kImmortal = -1;

class BlockTable {
 public:
  BlockTable() { reset(1 << 16); }
  ~BlockTable() { std::free(slots_); }
  BlockTable(const BlockTable&) = delete;
  BlockTable& operator=(const BlockTable&) = delete;

  Block* find(uintptr_t addr) {
    size_t i = slot_of(addr);
    for (;;) {
      Block& b = slots_[i];
      if (b.addr == addr) return &b;
      if (b.addr == 0) return nullptr;
      i = (i + 1) & mask_;
    }
  }

  // The block at addr, created Pending if absent. `created` says which.
  Block* insert(uintptr_t addr, bool& created) {
    if ((count_ + 1) * 2 > mask_ + 1) grow();
    size_t i = slot_of(addr);
    for (;;) {
      Block& b = slots_[i];
      if (b.addr == addr) {
        created = false;
        return &b;
      }
      if (b.addr == 0) {
        b = Block{};
        b.addr = addr;
        b.state = BlockState::Pending;
        b.last_refcount = kNoRefcount;
        ++count_;
        created = true;
        return &b;
      }
      i = (i + 1) & mask_;
    }
  }

  // Removes the block that `b` points to (a pointer from find/insert, not used after this call).
  void erase(Block* b) {
    size_t hole = static_cast<size_t>(b - slots_);
    size_t i = hole;
    for (;;) {
      i = (i + 1) & mask_;
      Block& next = slots_[i];
      if (next.addr == 0) break;
      size_t home = slot_of(next.addr);
      // Move `next` into the hole unless its home lies cyclically in (hole, i].
      bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!stays) {
        slots_[hole] = next;
        hole = i;
      }
    }
    slots_[hole].addr = 0;
    --count_;
  }

  size_t size() const { return count_; }
  size_t capacity() const { return mask_ + 1; }
  Block* slot(size_t i) { return &slots_[i]; }

  void clear() { reset(1 << 16); }

 private:
  size_t slot_of(uintptr_t addr) const {
    // Locality on purpose: the blocks of one 4 KiB page (256 16-byte units) land in one run of 256 slots, and
    // pages are spread over the table by Fibonacci hashing. pymalloc hands out neighbouring blocks of one pool
    // one after another, so consecutive allocations and frees touch the same few cache lines of the table
    // instead of missing the cache on every probe (measured: the probe's miss was a third of the hook's time).
    size_t run = static_cast<size_t>(((addr >> 12) * 0x9E3779B97F4A7C15ull) >> shift_);
    return ((run << 8) | ((addr >> 4) & 0xff)) & mask_;
  }

  void reset(size_t capacity) {
    std::free(slots_);
    slots_ = static_cast<Block*>(std::aligned_alloc(64, capacity * sizeof(Block)));
    if (slots_ == nullptr) std::abort();
    std::memset(static_cast<void*>(slots_), 0, capacity * sizeof(Block));
    mask_ = capacity - 1;
    shift_ = 64 - (static_cast<unsigned>(__builtin_ctzll(capacity)) - 8);  // bits for the run number
    count_ = 0;
  }

  void grow() {
    Block* old = slots_;
    size_t old_capacity = mask_ + 1;
    slots_ = nullptr;
    reset(old_capacity * 2);
    for (size_t i = 0; i < old_capacity; ++i) {
      if (old[i].addr == 0) continue;
      size_t j = slot_of(old[i].addr);
      while (slots_[j].addr != 0) j = (j + 1) & mask_;
      slots_[j] = old[i];
      ++count_;
    }
    std::free(old);
  }

  Block* slots_ = nullptr;
  size_t mask_ = 0;
  unsigned shift_ = 0;
  size_t count_ = 0;
};

}  // namespace refscope::recorder
