#include "refscope/analysis/why_paths.h"

#include "refscope/util/progress.h"

#include <algorithm>
#include <tuple>

#include "refscope/analysis/cycle_finder.h"
#include "refscope/analysis/named_roots.h"

namespace refscope {

OwnerPaths why_paths(const Graph& owners, uint32_t target, size_t max_paths,
                     const std::function<std::pair<uint64_t, uint64_t>(uint32_t)>& key) {
  constexpr uint32_t kNone = Graph::kNone;
  const uint32_t n = owners.size();
  std::vector<uint32_t> next(n, kNone), dist(n, kNone);
  std::vector<uint32_t> queue{target};
  dist[target] = 0;
  std::vector<uint32_t> roots;
  uint32_t stop_after = kNone;  // the level of the max_paths-th root
  for (size_t head = 0; head < queue.size(); ++head) {
    uint32_t v = queue[head];
    if (dist[v] > stop_after) break;
    if (owners.is_root(v)) {
      roots.push_back(v);
      if (max_paths != 0 && roots.size() == max_paths) stop_after = dist[v];
      if (v != target) continue;  // a root ends its chain
    }
    for (uint32_t w : owners.out(v)) {
      if (dist[w] != kNone) continue;
      dist[w] = dist[v] + 1;
      next[w] = v;
      queue.push_back(w);
    }
  }
  OwnerPaths r;
  r.roots_found = roots.size();
  std::stable_sort(roots.begin(), roots.end(), [&](uint32_t a, uint32_t b) {
    return std::tuple(dist[a], key(a)) < std::tuple(dist[b], key(b));
  });
  if (max_paths != 0 && roots.size() > max_paths) roots.resize(max_paths);
  for (uint32_t root : roots) {
    std::vector<uint32_t> path;
    for (uint32_t v = root; v != kNone; v = next[v]) path.push_back(v);
    r.paths.push_back(std::move(path));
  }
  return r;
}

WhyResult why_alive(const Model& m, const SymbolTable& symbols, ObjSlot target_slot, size_t max_paths) {
  Namer namer(symbols);
  WhyResult r;
  r.max_paths = max_paths;
  NamedRootHolders holders(m);
  r.target = namer.ref(m, target_slot);
  r.target_state = namer.state(m, holders, target_slot);
  progress::phase("reference graph");
  Graph g = Graph::from_model(m);
  progress::phase("finding paths");
  uint32_t target = g.node(target_slot);
  OwnerPaths found;
  {
    Graph owners = g.reversed();
    found = why_paths(owners, target, max_paths, [&](uint32_t v) {
      const Object& x = m.object(g.slot(v));
      return std::pair{x.addr, x.line};
    });
  }
  r.roots_found = found.roots_found;
  for (const auto& path : found.paths) {
    OwnerPath& p = r.paths.emplace_back();
    std::vector<ObjSlot> slots;
    for (uint32_t v : path) slots.push_back(g.slot(v));
    p.steps = namer.path(m, slots);
    p.root = namer.state(m, holders, g.slot(path.front()));
  }
  if (found.paths.empty()) {
    std::vector<uint8_t> include = unreachable_nodes(g);
    r.on_cycle = on_cycle(g, strongly_connected(g, include))[target] != 0;
  }
  r.names = namer.take();
  return r;
}

std::vector<ObjSlot> live_objects_of_type(const Model& m, const SymbolTable& symbols, const std::string& type) {
  std::vector<ObjSlot> of_type;
  m.for_each_live([&](ObjSlot s, const Object& x) {
    if (symbols.type_name(x.type) == type) of_type.push_back(s);
  });
  return of_type;
}

ObjSlot largest(const Model& m, std::vector<ObjSlot>& of_type, size_t rank) {
  auto larger = [&](ObjSlot a, ObjSlot b) {
    const Object &x = m.object(a), &y = m.object(b);
    if (x.size != y.size) return x.size > y.size;
    return std::tie(x.addr, x.line) < std::tie(y.addr, y.line);
  };
  std::nth_element(of_type.begin(), of_type.begin() + static_cast<int64_t>(rank - 1), of_type.end(), larger);
  return of_type[rank - 1];
}

}  // namespace refscope
