#include "refscope/analysis/named_roots.h"

#include <algorithm>
#include <tuple>

namespace refscope {

NamedRootHolders::NamedRootHolders(const Model& model) {
  if (!model.has_root_edges()) return;
  std::vector<std::tuple<uint32_t, uint32_t, uint32_t>> all;  // slot, root, references
  model.for_each_root_edge([&](RootIdx r, ObjSlot t, uint32_t n) { all.emplace_back(t.value, r.value, n); });
  std::sort(all.begin(), all.end());
  holds_.reserve(all.size());
  for (size_t i = 0; i < all.size();) {
    uint32_t slot = std::get<0>(all[i]);
    auto begin = static_cast<uint32_t>(holds_.size());
    for (; i < all.size() && std::get<0>(all[i]) == slot; ++i)
      holds_.push_back({RootIdx(std::get<1>(all[i])), std::get<2>(all[i])});
    at_.emplace(slot, std::pair(begin, static_cast<uint32_t>(holds_.size())));
  }
}

std::span<const RootHold> NamedRootHolders::of(ObjSlot slot) const {
  auto it = at_.find(slot.value);
  if (it == at_.end()) return {};
  return {holds_.data() + it->second.first, holds_.data() + it->second.second};
}

std::vector<RootTotal> named_root_totals(const Model& model) {
  std::vector<RootTotal> totals(model.root_slots());
  model.for_each_root_edge([&](RootIdx r, ObjSlot, uint32_t n) {
    totals[r.value].root = r;
    ++totals[r.value].objects;
    totals[r.value].references += n;
  });
  std::erase_if(totals, [](const RootTotal& t) { return t.objects == 0; });
  std::sort(totals.begin(), totals.end(), [](const RootTotal& a, const RootTotal& b) {
    return a.references != b.references ? a.references > b.references : a.root.value < b.root.value;
  });
  return totals;
}

}  // namespace refscope
