#include "refscope/analysis/cycles.h"

#include "refscope/util/progress.h"

namespace refscope {

void find_garbage(const Model& m, Namer& namer, CyclesResult& r) {
  progress::phase("reference graph");
  Graph g = Graph::from_model(m);
  progress::phase("finding cycles");
  std::vector<uint8_t> unreachable = unreachable_nodes(g);
  for (uint32_t v = 0; v < g.size(); ++v)
    if (unreachable[v]) {
      ++r.unreachable_objects;
      r.unreachable_bytes += m.object(g.slot(v)).size;
    }
  CycleSet set = find_cycles(g, unreachable, [&](uint32_t v) {
    const Object& x = m.object(g.slot(v));
    return NodeFacts{x.addr, x.line, x.size};
  });
  unreachable = {};
  auto ref = [&](uint32_t v) { return namer.ref(m, g.slot(v)); };
  auto label = [&](uint32_t from, uint32_t to) { return namer.label(m.edge_label(g.slot(from), g.slot(to))); };
  r.cycles.reserve(set.cycles.size());
  for (CycleGroup& grp : set.cycles) {
    r.cycles.push_back(describe_cycle(g, grp, ref, label));
    grp = {};  // a cycle of millions: its nodes are not needed twice
  }
  for (uint32_t v : set.other) r.other.push_back(ref(v));
  r.other_bytes = set.other_bytes;
}

}  // namespace refscope
