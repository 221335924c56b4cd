#pragma once
// A set of addresses for one checkpoint's bookkeeping (objects visited by the walk, objects freed since the last
// checkpoint). Open addressing, no erase: it is cleared as a whole.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace refscope::recorder {

class AddressSet {
 public:
  AddressSet() { slots_.assign(1024, 0); }

  // True if `addr` was not in the set.
  bool insert(uintptr_t addr) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    size_t mask = slots_.size() - 1;
    size_t i = hash(addr) & mask;
    for (;;) {
      uintptr_t& s = slots_[i];
      if (s == addr) return false;
      if (s == 0) {
        s = addr;
        ++count_;
        return true;
      }
      i = (i + 1) & mask;
    }
  }

  bool contains(uintptr_t addr) const {
    if (count_ == 0 || addr == 0) return false;  // 0 marks an empty slot: never a member
    size_t mask = slots_.size() - 1;
    size_t i = hash(addr) & mask;
    for (;;) {
      uintptr_t s = slots_[i];
      if (s == addr) return true;
      if (s == 0) return false;
      i = (i + 1) & mask;
    }
  }

  void clear() {
    if (slots_.size() > 1024 && count_ * 8 < slots_.size()) slots_.assign(1024, 0);
    else std::fill(slots_.begin(), slots_.end(), 0);
    count_ = 0;
  }
  size_t size() const { return count_; }

 private:
  // Locality on purpose, as in BlockTable: the objects of one 4 KiB page land in one run of 256 slots and pages
  // are spread by Fibonacci hashing, so that a walk over objects allocated together (a list's items, a module's
  // functions) probes a few cache lines of the table rather than missing the cache on every object.
  static size_t hash(uintptr_t a) {
    size_t run = static_cast<size_t>((a >> 12) * 0x9E3779B97F4A7C15ull >> 32);
    return (run << 8) | ((a >> 4) & 0xff);
  }
  void grow() {
    std::vector<uintptr_t> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, 0);
    count_ = 0;
    for (uintptr_t a : old) {
      if (a != 0) insert(a);
    }
  }
  std::vector<uintptr_t> slots_;
  size_t count_ = 0;
};

}  // namespace refscope::recorder
