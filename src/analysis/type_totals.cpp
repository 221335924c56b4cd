#include "refscope/analysis/type_totals.h"

#include <algorithm>

namespace refscope {

std::vector<TypeTotal> live_by_type(const Model& model, size_t type_count) {
  std::vector<TypeTotal> totals(type_count);
  for (size_t i = 0; i < type_count; ++i) totals[i].type = TypeIdx(static_cast<uint32_t>(i));
  model.for_each_live([&](ObjSlot, const Object& o) {
    TypeTotal& t = totals[o.type.value];
    ++t.objects;
    t.bytes += o.size;
  });
  std::erase_if(totals, [](const TypeTotal& t) { return t.objects == 0; });
  std::sort(totals.begin(), totals.end(), [](const TypeTotal& a, const TypeTotal& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    if (a.objects != b.objects) return a.objects > b.objects;
    return a.type < b.type;
  });
  return totals;
}

}  // namespace refscope
