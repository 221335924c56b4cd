#include "refscope/analysis/diff_growth.h"

#include <algorithm>

namespace refscope {

LiveCounts live_counts(const Model& model, const SymbolTable& symbols, uint64_t added_after) {
  // Counted by dense index first and named once per index: a live set of millions costs no string work.
  std::vector<LiveCell> types(symbols.type_count()), sites(symbols.stack_count());
  LiveCounts c;
  c.line = model.last_line();
  auto count = [&](LiveCell& cell, const Object& o, bool added) {
    ++cell.objects;
    cell.bytes += o.size;
    if (added) {
      ++cell.added_objects;
      cell.added_bytes += o.size;
    }
  };
  model.for_each_live([&](ObjSlot, const Object& o) {
    bool added = added_after != UINT64_MAX && o.line > added_after;
    count(c.total, o, added);
    if (o.type.value < types.size()) count(types[o.type.value], o, added);
    if (o.site.value < sites.size()) count(sites[o.site.value], o, added);
  });
  auto merge = [](LiveCell& into, const LiveCell& from) {
    into.objects += from.objects;
    into.bytes += from.bytes;
    into.added_objects += from.added_objects;
    into.added_bytes += from.added_bytes;
  };
  for (uint32_t t = 0; t < types.size(); ++t)
    if (types[t].objects) merge(c.by_type[t == 0 ? std::string("?") : symbols.type_name(TypeIdx(t))], types[t]);
  for (uint32_t s = 0; s < sites.size(); ++s)
    if (sites[s].objects) merge(c.by_site[symbols.site_label(StackIdx(s))], sites[s]);
  return c;
}

const char* GrowthRow::status() const {
  if (objects_a == 0 && objects_b > 0) return "new";
  if (objects_b == 0 && objects_a > 0) return "gone";
  if (bytes_growth() > 0 || (bytes_growth() == 0 && objects_growth() > 0)) return "grew";
  if (bytes_growth() < 0 || objects_growth() < 0) return "shrank";
  return "same";
}

namespace {

GrowthRow row_of(const std::string& name, const LiveCell* a, const LiveCell* b, bool same_trace) {
  GrowthRow r;
  r.name = name;
  if (a) {
    r.objects_a = a->objects;
    r.bytes_a = a->bytes;
  }
  if (b) {
    r.objects_b = b->objects;
    r.bytes_b = b->bytes;
  }
  if (same_trace) {
    uint64_t added_o = b ? b->added_objects : 0, added_b = b ? b->added_bytes : 0;
    r.added_objects = added_o;
    r.added_bytes = added_b;
    // Live at B = survivors from A + added; survivors = live at A - removed. An object keeps its type and site.
    uint64_t survivors_o = r.objects_b - added_o, survivors_b = r.bytes_b - added_b;
    r.removed_objects = r.objects_a > survivors_o ? r.objects_a - survivors_o : 0;
    r.removed_bytes = r.bytes_a > survivors_b ? r.bytes_a - survivors_b : 0;
  }
  return r;
}

std::vector<GrowthRow> rows(const std::map<std::string, LiveCell>& a, const std::map<std::string, LiveCell>& b,
                            bool same_trace) {
  std::vector<GrowthRow> out;
  for (const auto& [name, cell] : a) {
    auto it = b.find(name);
    out.push_back(row_of(name, &cell, it == b.end() ? nullptr : &it->second, same_trace));
  }
  for (const auto& [name, cell] : b)
    if (!a.contains(name)) out.push_back(row_of(name, nullptr, &cell, same_trace));
  std::sort(out.begin(), out.end(), [](const GrowthRow& x, const GrowthRow& y) {
    if (x.bytes_growth() != y.bytes_growth()) return x.bytes_growth() > y.bytes_growth();
    if (x.objects_growth() != y.objects_growth()) return x.objects_growth() > y.objects_growth();
    return x.name < y.name;
  });
  return out;
}

}  // namespace

Growth compare_live(const LiveCounts& a, const LiveCounts& b, bool same_trace) {
  Growth g;
  g.total = row_of("total", &a.total, &b.total, same_trace);
  g.by_type = rows(a.by_type, b.by_type, same_trace);
  g.by_site = rows(a.by_site, b.by_site, same_trace);
  return g;
}

}  // namespace refscope
