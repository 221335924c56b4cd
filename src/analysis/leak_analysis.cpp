#include "refscope/analysis/leak_analysis.h"

#include "refscope/util/progress.h"

#include <algorithm>

namespace refscope {

LeakAnalysis analyse_leaks(const Model& model, const SymbolTable& symbols, const LeakOptions& options) {
  LeakAnalysis a;
  a.line = model.last_line();
  progress::phase("reference graph");
  Graph graph = Graph::from_model(model);
  progress::phase("classifying leaks");
  LeakSet set = classify_leaks(model, graph, options.from_line);
  SiteCanon canon(symbols);
  LeakGrouper grouper(options.by, canon);
  std::vector<size_t> kept;  // positions in set.nodes of the objects not suppressed
  kept.reserve(set.nodes.size());
  for (size_t i = 0; i < set.nodes.size(); ++i) {
    const Object& o = model.object(graph.slot(set.nodes[i]));
    if (options.suppressions && options.suppressions->suppress(o, symbols)) {
      ++a.suppressed_objects;
      a.suppressed_bytes += o.size;
      continue;
    }
    auto k = static_cast<size_t>(set.kinds[i]);
    ++a.objects[k];
    a.bytes[k] += o.size;
    grouper.add(o, set.kinds[i]);
    kept.push_back(i);
  }
  a.groups = grouper.take();
  static const SourcePaths no_paths;
  for (LeakGroup& g : a.groups) name_group(g, symbols, options.paths ? *options.paths : no_paths);
  sort_leak_groups(a.groups);
  if (!options.list_objects) return a;

  auto object_at = [&](size_t i) -> const Object& { return model.object(graph.slot(set.nodes[i])); };
  auto before = [&](size_t x, size_t y) {
    const Object &ox = object_at(x), &oy = object_at(y);
    if (ox.size != oy.size) return ox.size > oy.size;
    if (ox.addr != oy.addr) return ox.addr < oy.addr;
    return ox.line < oy.line;
  };
  size_t limit = options.limit;
  if (limit == 0 || limit >= kept.size()) {
    std::sort(kept.begin(), kept.end(), before);
  } else {
    std::partial_sort(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(limit), kept.end(), before);
    kept.resize(limit);
  }
  Namer namer(symbols);
  NamedRootHolders holders(model);
  a.listed.reserve(kept.size());
  for (size_t i : kept) {
    ObjSlot slot = graph.slot(set.nodes[i]);
    LeakObject& x = a.listed.emplace_back();
    x.object = namer.ref(model, slot);
    x.state = namer.state(model, holders, slot);
    x.kind = set.kinds[i];
    std::vector<uint32_t> path = retained_path(set, set.nodes[i]);
    std::vector<ObjSlot> slots;
    for (uint32_t v : path) slots.push_back(graph.slot(v));
    x.path = namer.path(model, slots);
    if (!path.empty()) x.path_root = namer.state(model, holders, graph.slot(path.front()));
  }
  a.names = namer.take();
  return a;
}

}  // namespace refscope
