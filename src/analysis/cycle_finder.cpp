#include "refscope/analysis/cycle_finder.h"

#include <algorithm>
#include <tuple>

namespace refscope {
namespace {

constexpr uint32_t kNone = Graph::kNone;

// A shortest path inside one group, from `from` to the first node that `wanted` accepts (never `from` itself
// unless it is reached again by an edge), as local indices; empty when there is none.
template <typename Wanted>
std::vector<uint32_t> shortest_to(const Graph& g, const std::vector<uint32_t>& local, const CycleGroup& grp,
                                  uint32_t from, Wanted wanted) {
  size_t k = grp.members.size();
  std::vector<uint32_t> parent(k, kNone);
  std::vector<uint32_t> queue{from};
  std::vector<uint8_t> seen(k, 0);
  for (size_t head = 0; head < queue.size(); ++head) {
    uint32_t v = queue[head];
    for (uint32_t w_node : g.out(grp.members[v])) {
      uint32_t w = local[w_node];
      if (w == kNone || w >= k || grp.members[w] != w_node) continue;  // not a member of this group
      if (wanted(w)) {
        std::vector<uint32_t> path{w};
        for (uint32_t x = v; x != from; x = parent[x]) path.push_back(x);
        std::reverse(path.begin(), path.end());
        return path;  // from's successor ... w
      }
      if (seen[w] || w == from) continue;
      seen[w] = 1;
      parent[w] = v;
      queue.push_back(w);
    }
  }
  return {};
}

std::vector<uint32_t> closed_path(const Graph& g, std::vector<uint32_t>& local, const CycleGroup& grp) {
  size_t k = grp.members.size();
  for (uint32_t i = 0; i < k; ++i) local[grp.members[i]] = i;
  std::vector<uint32_t> walk{0};
  if (k <= kPathLimit) {
    std::vector<uint8_t> visited(k, 0);
    visited[0] = 1;
    size_t remaining = k - 1;
    uint32_t cur = 0;
    while (remaining > 0) {
      auto step = shortest_to(g, local, grp, cur, [&](uint32_t w) { return !visited[w]; });
      if (step.empty()) break;  // cannot happen inside a strongly connected component
      for (uint32_t w : step) {
        if (!visited[w]) --remaining;
        visited[w] = 1;
        walk.push_back(w);
      }
      cur = walk.back();
    }
    if (k == 1) {
      walk.push_back(0);
    } else {
      auto back = shortest_to(g, local, grp, cur, [](uint32_t w) { return w == 0; });
      walk.insert(walk.end(), back.begin(), back.end());
    }
  } else {
    auto back = shortest_to(g, local, grp, 0, [](uint32_t w) { return w == 0; });
    walk.insert(walk.end(), back.begin(), back.end());
  }
  for (uint32_t i = 0; i < k; ++i) local[grp.members[i]] = kNone;
  std::vector<uint32_t> path;
  path.reserve(walk.size());
  for (uint32_t w : walk) path.push_back(grp.members[w]);
  return path;
}

}  // namespace

std::vector<uint8_t> unreachable_nodes(const Graph& g) {
  std::vector<uint32_t> roots;
  for (uint32_t v = 0; v < g.size(); ++v)
    if (g.is_root(v)) roots.push_back(v);
  std::vector<uint8_t> reached;
  reach_from(g, roots, reached);
  for (uint8_t& r : reached) r = !r;
  return reached;
}

namespace {

// find_cycles on a graph whose nodes are all included.
CycleSet find_cycles_all(const Graph& g, const NodeFactsFn& facts_of) {
  const std::vector<uint8_t> include(g.size(), 1);
  uint32_t n = g.size();
  Components comps = strongly_connected(g, include);
  std::vector<uint8_t> cyclic = on_cycle(g, comps);

  // Facts of the included nodes only, by a local index: the unreachable part is usually small.
  std::vector<uint32_t> local(n, kNone);
  std::vector<NodeFacts> facts;
  for (uint32_t v = 0; v < n; ++v)
    if (include[v]) {
      local[v] = static_cast<uint32_t>(facts.size());
      facts.push_back(facts_of(v));
    }
  auto before = [&](uint32_t a, uint32_t b) {
    const NodeFacts &x = facts[local[a]], &y = facts[local[b]];
    return std::tie(x.addr, x.line) < std::tie(y.addr, y.line);
  };

  CycleSet set;
  std::vector<uint32_t> group_of_comp(comps.count, kNone);
  for (uint32_t v = 0; v < n; ++v) {
    if (!include[v] || !cyclic[v]) continue;
    uint32_t& gi = group_of_comp[comps.component[v]];
    if (gi == kNone) {
      gi = static_cast<uint32_t>(set.cycles.size());
      set.cycles.emplace_back();
    }
    set.cycles[gi].members.push_back(v);
    set.cycles[gi].bytes += facts[local[v]].size;
  }
  group_of_comp = {};
  for (CycleGroup& grp : set.cycles) std::sort(grp.members.begin(), grp.members.end(), before);
  auto heavier = [&](const CycleGroup& a, const CycleGroup& b, uint64_t wa, uint64_t wb) {
    if (wa != wb) return wa > wb;
    return before(a.members.front(), b.members.front());
  };
  std::sort(set.cycles.begin(), set.cycles.end(),
            [&](const CycleGroup& a, const CycleGroup& b) { return heavier(a, b, a.bytes, b.bytes); });

  // Each cycle in turn claims what it reaches among the acyclic unreachable objects.
  std::vector<uint8_t> claimed(n, 0);
  std::vector<uint32_t> queue;
  for (CycleGroup& grp : set.cycles) {
    queue.assign(grp.members.begin(), grp.members.end());
    for (size_t head = 0; head < queue.size(); ++head) {
      for (uint32_t w : g.out(queue[head])) {
        if (!include[w] || cyclic[w] || claimed[w]) continue;
        claimed[w] = 1;
        queue.push_back(w);
        grp.held.push_back(w);
        grp.held_bytes += facts[local[w]].size;
      }
    }
    std::sort(grp.held.begin(), grp.held.end(), before);
  }
  for (uint32_t v = 0; v < n; ++v)
    if (include[v] && !cyclic[v] && !claimed[v]) {
      set.other.push_back(v);
      set.other_bytes += facts[local[v]].size;
    }
  std::sort(set.other.begin(), set.other.end(), before);
  std::stable_sort(set.cycles.begin(), set.cycles.end(), [&](const CycleGroup& a, const CycleGroup& b) {
    return heavier(a, b, a.bytes + a.held_bytes, b.bytes + b.held_bytes);
  });

  std::fill(local.begin(), local.end(), kNone);
  for (CycleGroup& grp : set.cycles) grp.path = closed_path(g, local, grp);
  return set;
}

}  // namespace

CycleSet find_cycles(const Graph& g, const std::vector<uint8_t>& include, const NodeFactsFn& facts_of) {
  // The unreachable part is usually a sliver of the heap: copy it out, so the component search and the grouping
  // take memory for it alone, not for every live object.
  std::vector<uint32_t> local(g.size(), kNone), nodes;
  for (uint32_t v = 0; v < g.size(); ++v)
    if (include[v]) {
      local[v] = static_cast<uint32_t>(nodes.size());
      nodes.push_back(v);
    }
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (uint32_t v : nodes)
    for (uint32_t w : g.out(v))
      if (local[w] != kNone) edges.emplace_back(local[v], local[w]);
  local = {};
  uint32_t k = static_cast<uint32_t>(nodes.size());
  Graph sub = Graph::from_edges(k, edges, std::vector<uint8_t>(k, 0));
  edges = {};
  CycleSet set = find_cycles_all(sub, [&](uint32_t v) { return facts_of(nodes[v]); });
  auto map = [&](std::vector<uint32_t>& list) {
    for (uint32_t& v : list) v = nodes[v];
  };
  for (CycleGroup& grp : set.cycles) {
    map(grp.members);
    map(grp.path);
    map(grp.held);
  }
  map(set.other);
  return set;
}

std::vector<std::pair<uint32_t, uint32_t>> group_edges(const Graph& g, const CycleGroup& group) {
  std::vector<uint32_t> nodes(group.members);
  nodes.insert(nodes.end(), group.held.begin(), group.held.end());
  std::vector<uint32_t> sorted(nodes);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (uint32_t v : nodes)
    for (uint32_t w : g.out(v))
      if (std::binary_search(sorted.begin(), sorted.end(), w)) edges.emplace_back(v, w);
  return edges;
}

CycleDetail describe_cycle(const Graph& g, const CycleGroup& group,
                           const std::function<ObjectRef(uint32_t node)>& object,
                           const std::function<uint32_t(uint32_t from, uint32_t to)>& label) {
  CycleDetail d;
  std::vector<std::pair<uint32_t, uint32_t>> index;  // node -> position in objects, then held
  for (uint32_t v : group.members) {
    index.emplace_back(v, static_cast<uint32_t>(d.objects.size()));
    d.objects.push_back(object(v));
  }
  for (uint32_t v : group.held) {
    index.emplace_back(v, static_cast<uint32_t>(d.objects.size() + d.held.size()));
    d.held.push_back(object(v));
  }
  std::sort(index.begin(), index.end());
  auto at = [&](uint32_t v) { return std::lower_bound(index.begin(), index.end(), std::pair{v, 0u})->second; };
  for (uint32_t v : group.path) d.path.push_back(at(v));
  std::vector<std::pair<uint32_t, uint32_t>> node_edges = group_edges(g, group);
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint32_t>> labelled;  // (edge as indices, label)
  for (auto [from, to] : node_edges)
    labelled.push_back({{at(from), at(to)}, label ? label(from, to) : Names::kNone});
  std::sort(labelled.begin(), labelled.end());
  for (const auto& [e, l] : labelled) {
    d.edges.push_back(e);
    d.edge_labels.push_back(l);
  }
  if (label) {
    for (size_t k = 0; k < group.path.size(); ++k)
      d.path_labels.push_back(label(group.path[k], group.path[(k + 1) % group.path.size()]));
  }
  d.bytes = group.bytes;
  d.held_bytes = group.held_bytes;
  return d;
}

}  // namespace refscope
