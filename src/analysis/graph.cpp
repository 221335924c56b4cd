#include "refscope/analysis/graph.h"

#include <algorithm>
#include <stdexcept>

namespace refscope {

Graph Graph::from_model(const Model& model) {
  Graph g;
  // Per model slot: the node of its live object and that object's generation, all an edge needs to be told live or
  // stale (the target has moved on to a later generation) in one 8-byte read, where the model's own test reads the
  // target's 56-byte object and the node would be a second random read.
  struct SlotNode {
    uint32_t node = kNone;
    uint32_t gen = 0;
  };
  std::vector<SlotNode> by_slot(model.slot_count());
  model.for_each_live([&](ObjSlot s, const Object& o) {
    by_slot[s.value] = {static_cast<uint32_t>(g.slot_.size()), o.gen};
    g.slot_.push_back(s);
  });
  uint32_t n = g.size();
  g.offsets_.assign(n + 1, 0);
  g.root_.assign(n, 0);
  // Stored edges (stale ones included) bound the room needed; counting them reads only each owner's own object.
  uint64_t stored = 0;
  for (uint32_t v = 0; v < n; ++v) stored += model.stored_edge_bound(g.slot_[v]);
  if (stored > UINT32_MAX) throw std::length_error("reference graph: more than 2^32 edges");
  g.targets_.resize(stored);
  // Owners are visited in slot order, their edge lists and their targets' entries are not: both are fetched ahead,
  // the edge list kEdgesAhead owners before it is read, the targets' entries kTargetsAhead owners before.
  constexpr uint32_t kEdgesAhead = 16, kTargetsAhead = 8;
  uint32_t at = 0;
  for (uint32_t v = 0; v < n; ++v) {
    if (v + kEdgesAhead < n) model.prefetch_edges(g.slot_[v + kEdgesAhead]);
    if (v + kTargetsAhead < n)
      model.for_each_stored_edge(g.slot_[v + kTargetsAhead],
                                 [&](ObjSlot t, uint32_t, uint32_t) { __builtin_prefetch(&by_slot[t.value]); });
    const Object& o = model.object(g.slot_[v]);
    g.root_[v] = static_cast<uint8_t>((o.immortal() ? kImmortalRoot : 0) | (o.external() > 0 ? kExternalRoot : 0));
    uint32_t begin = at;
    model.for_each_stored_edge(g.slot_[v], [&](ObjSlot t, uint32_t gen, uint32_t) {
      const SlotNode& target = by_slot[t.value];
      if (target.gen == gen && target.node != kNone) g.targets_[at++] = target.node;
    });
    g.offsets_[v + 1] = at;
    // Deterministic order whatever the edge store's layout: by target node (slot order). Most lists are a few
    // entries long: insertion sort, without std::sort's set-up. (A graph without edges has no array to point into.)
    if (at - begin < 2) continue;
    uint32_t* first = g.targets_.data() + begin;
    uint32_t* last = g.targets_.data() + at;
    if (last - first <= 16) {
      for (uint32_t* i = first + 1; i < last; ++i) {
        uint32_t x = *i;
        uint32_t* j = i;
        for (; j > first && j[-1] > x; --j) *j = j[-1];
        *j = x;
      }
    } else {
      std::sort(first, last);
    }
  }
  g.targets_.resize(at);
  g.node_of_.resize(by_slot.size());
  for (size_t s = 0; s < by_slot.size(); ++s) g.node_of_[s] = by_slot[s].node;
  if (model.has_root_edges())
    model.for_each_root_edge([&](RootIdx, ObjSlot t, uint32_t) { g.root_[g.node_of_[t.value]] |= kNamedRoot; });
  return g;
}

Graph Graph::from_edges(uint32_t n, std::span<const std::pair<uint32_t, uint32_t>> edges,
                        std::vector<uint8_t> roots) {
  Graph g;
  g.slot_.resize(n);
  g.node_of_.resize(n);
  for (uint32_t v = 0; v < n; ++v) g.slot_[v] = ObjSlot(g.node_of_[v] = v);
  roots.resize(n, 0);
  g.root_ = std::move(roots);
  std::vector<std::pair<uint32_t, uint32_t>> sorted(edges.begin(), edges.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (sorted.size() > UINT32_MAX) throw std::length_error("reference graph: more than 2^32 edges");
  g.offsets_.assign(n + 1, 0);
  for (auto [from, to] : sorted) ++g.offsets_[from + 1];
  for (uint32_t v = 0; v < n; ++v) g.offsets_[v + 1] += g.offsets_[v];
  g.targets_.reserve(sorted.size());
  for (auto [from, to] : sorted) g.targets_.push_back(to);
  return g;
}

Graph Graph::reversed() const {
  Graph r;
  r.slot_ = slot_;
  r.node_of_ = node_of_;
  r.root_ = root_;
  uint32_t n = size();
  r.offsets_.assign(n + 1, 0);
  for (uint32_t t : targets_) ++r.offsets_[t + 1];
  for (uint32_t v = 0; v < n; ++v) r.offsets_[v + 1] += r.offsets_[v];
  r.targets_.resize(targets_.size());
  std::vector<uint32_t> fill(r.offsets_.begin(), r.offsets_.end() - 1);
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t t : out(v)) r.targets_[fill[t]++] = v;
  return r;
}

void reach_from(const Graph& g, std::span<const uint32_t> sources, std::vector<uint8_t>& reached,
                std::vector<uint32_t>* parent) {
  reached.resize(g.size(), 0);
  if (parent) parent->resize(g.size(), Graph::kNone);
  std::vector<uint32_t> queue;
  for (uint32_t s : sources) {
    if (reached[s]) continue;
    reached[s] = 1;
    if (parent) (*parent)[s] = Graph::kNone;
    queue.push_back(s);
  }
  // On a big heap each node's row, targets and flags are cache misses at random places. The queue says which
  // nodes come next, so each is fetched ahead in the order it will be needed: the row kRowAhead nodes before, the
  // targets half-way, the targets' flags a quarter of the way.
  constexpr size_t kRowAhead = 16;
  for (size_t head = 0; head < queue.size(); ++head) {
    if (head + kRowAhead < queue.size()) g.prefetch_row(queue[head + kRowAhead]);
    if (head + kRowAhead / 2 < queue.size()) g.prefetch_targets(queue[head + kRowAhead / 2]);
    if (head + kRowAhead / 4 < queue.size())
      for (uint32_t w : g.out(queue[head + kRowAhead / 4])) __builtin_prefetch(&reached[w]);
    uint32_t v = queue[head];
    for (uint32_t w : g.out(v)) {
      if (reached[w]) continue;
      reached[w] = 1;
      if (parent) (*parent)[w] = v;
      queue.push_back(w);
    }
  }
}

Components strongly_connected(const Graph& g, const std::vector<uint8_t>& include) {
  uint32_t n = g.size();
  Components c;
  c.component.assign(n, Graph::kNone);
  std::vector<uint32_t> index(n, Graph::kNone), low(n, 0);
  std::vector<uint8_t> on_stack(n, 0);
  std::vector<uint32_t> stack;
  struct Frame {
    uint32_t node;
    uint32_t next_edge;  // position within out(node)
  };
  std::vector<Frame> calls;
  uint32_t counter = 0;
  for (uint32_t root = 0; root < n; ++root) {
    if (!include[root] || index[root] != Graph::kNone) continue;
    calls.push_back({root, 0});
    index[root] = low[root] = counter++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!calls.empty()) {
      Frame& f = calls.back();
      auto edges = g.out(f.node);
      if (f.next_edge < edges.size()) {
        uint32_t w = edges[f.next_edge++];
        if (!include[w]) continue;
        if (index[w] == Graph::kNone) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = 1;
          calls.push_back({w, 0});
        } else if (on_stack[w]) {
          low[f.node] = std::min(low[f.node], index[w]);
        }
        continue;
      }
      uint32_t v = f.node;
      calls.pop_back();
      if (!calls.empty()) low[calls.back().node] = std::min(low[calls.back().node], low[v]);
      if (low[v] == index[v]) {
        uint32_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          c.component[w] = c.count;
        } while (w != v);
        ++c.count;
      }
    }
  }
  return c;
}

std::vector<uint8_t> on_cycle(const Graph& g, const Components& c) {
  std::vector<uint32_t> sizes(c.count, 0);
  for (uint32_t comp : c.component)
    if (comp != Graph::kNone) ++sizes[comp];
  std::vector<uint8_t> result(g.size(), 0);
  for (uint32_t v = 0; v < g.size(); ++v) {
    uint32_t comp = c.component[v];
    if (comp == Graph::kNone) continue;
    if (sizes[comp] >= 2) {
      result[v] = 1;
      continue;
    }
    for (uint32_t w : g.out(v))
      if (w == v) result[v] = 1;
  }
  return result;
}

}  // namespace refscope
