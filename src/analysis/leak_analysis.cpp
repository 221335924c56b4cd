#include "refscope/analysis/leak_analysis.h"

#include <algorithm>

namespace refscope {

LeakAnalysis analyse_leaks(const Model& model, const SymbolTable& symbols, uint64_t from_line, GroupBy by) {
  LeakAnalysis a;
  a.graph = Graph::from_model(model);
  a.set = classify_leaks(model, a.graph, from_line);
  SiteCanon canon(symbols);
  LeakGrouper grouper(by, canon);
  for (size_t i = 0; i < a.set.nodes.size(); ++i) grouper.add(model.object(a.graph.slot(a.set.nodes[i])), a.set.kinds[i]);
  a.groups = grouper.take();
  for (LeakGroup& g : a.groups) g.id = group_identity(group_names(g.key, symbols));
  sort_leak_groups(a.groups);
  return a;
}

std::vector<size_t> largest_leaks(const Model& model, const LeakAnalysis& a, size_t limit) {
  std::vector<size_t> order(a.set.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto before = [&](size_t x, size_t y) {
    const Object& ox = model.object(a.graph.slot(a.set.nodes[x]));
    const Object& oy = model.object(a.graph.slot(a.set.nodes[y]));
    if (ox.size != oy.size) return ox.size > oy.size;
    if (ox.addr != oy.addr) return ox.addr < oy.addr;
    return ox.line < oy.line;
  };
  if (limit == 0 || limit >= order.size()) {
    std::sort(order.begin(), order.end(), before);
  } else {
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(limit), order.end(), before);
    order.resize(limit);
  }
  return order;
}

}  // namespace refscope
