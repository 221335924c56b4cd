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
    if (count_ == 0) return false;
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
  static size_t hash(uintptr_t a) { return static_cast<size_t>(((a >> 4) * 0x9E3779B97F4A7C15ull) >> 16); }
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
