#pragma once
// Labels on references and names of objects (trace format 2: the LABEL field of I and P, and K). They are display
// data beside the model: they change no count and no edge, and a trace without them costs nothing here.
//
// A reference's label is kept per (owner, target) edge, whatever its multiplicity: the last label given for it.
// An owner is an object's slot, or a named root (kRootBit | its index). The target's generation is kept with it, so
// a label outlives neither its target (a later object in the same slot finds none) nor its owner (destroy drops
// the owner's labels). Labels of edges whose target died are swept away once the table has doubled since the last
// sweep, so it stays in proportion to the labelled references that are live.
#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "refscope/model/object.h"
#include "refscope/util/ids.h"

namespace refscope {

class LabelStore {
 public:
  static constexpr uint32_t kRootBit = 1u << 31;

  bool empty() const { return edges_.empty() && names_.empty(); }

  template <typename Live>
  void set_edge(uint32_t owner, uint32_t target, uint32_t target_gen, LabelIdx label, Live&& is_current) {
    if (label.value == 0) return;
    edges_[key(owner, target)] = {target_gen, label.value};
    if (edges_.size() >= sweep_at_) {
      for (auto it = edges_.begin(); it != edges_.end();) {
        if (!is_current(static_cast<uint32_t>(it->first >> 32), static_cast<uint32_t>(it->first), it->second.gen))
          it = edges_.erase(it);
        else
          ++it;
      }
      sweep_at_ = std::max<size_t>(kFirstSweep, edges_.size() * 2);
    }
  }
  LabelIdx edge(uint32_t owner, uint32_t target, uint32_t target_gen) const {
    if (edges_.empty()) return LabelIdx(0);
    auto it = edges_.find(key(owner, target));
    return it != edges_.end() && it->second.gen == target_gen ? LabelIdx(it->second.label) : LabelIdx(0);
  }
  void drop_edge(uint32_t owner, uint32_t target) {
    if (!edges_.empty()) edges_.erase(key(owner, target));
  }

  void set_name(uint32_t slot, LabelIdx label) {
    if (label.value == 0) names_.erase(slot);
    else names_[slot] = label.value;
  }
  LabelIdx name(uint32_t slot) const {
    if (names_.empty()) return LabelIdx(0);
    auto it = names_.find(slot);
    return it != names_.end() ? LabelIdx(it->second) : LabelIdx(0);
  }
  void drop_name(uint32_t slot) {
    if (!names_.empty()) names_.erase(slot);
  }

  size_t memory_bytes() const { return (edges_.size() + names_.size()) * 48; }  // node, bucket, overhead

 private:
  static constexpr size_t kFirstSweep = 1 << 16;
  struct EdgeLabel {
    uint32_t gen;
    uint32_t label;
  };
  static uint64_t key(uint32_t owner, uint32_t target) { return (uint64_t{owner} << 32) | target; }
  std::unordered_map<uint64_t, EdgeLabel> edges_;
  std::unordered_map<uint32_t, uint32_t> names_;
  size_t sweep_at_ = kFirstSweep;
};

}  // namespace refscope
