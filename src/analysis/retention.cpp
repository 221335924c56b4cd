#include "refscope/analysis/retention.h"

#include "refscope/util/progress.h"

#include <algorithm>
#include <tuple>

#include "refscope/analysis/dominator_tree.h"
#include "refscope/analysis/graph.h"
#include "refscope/util/checked.h"

namespace refscope {

RetentionResult analyse_retention(const Model& model, const SymbolTable& symbols, const RetentionOptions& options) {
  RetentionResult r;
  progress::phase("reference graph");
  Graph g = Graph::from_model(model);
  progress::phase("dominator tree");
  const uint32_t n = g.size();
  DominatorTree tree = dominator_tree(g);
  std::vector<uint64_t> retained =
      retained_sizes(tree, [&](uint32_t v) { return uint64_t{model.object(g.slot(v)).size}; });

  // The tree's children as one array: node v's children are kids[start[v] .. start[v + 1]); the virtual root's
  // are at index n.
  std::vector<uint32_t> start(n + 2, 0), kids(n);
  auto parent_of = [&](uint32_t v) { return tree.idom[v] == DominatorTree::kVirtualRoot ? n : tree.idom[v]; };
  for (uint32_t v = 0; v < n; ++v) ++start[parent_of(v) + 1];
  for (uint32_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
  {
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (uint32_t v = 0; v < n; ++v) kids[fill[parent_of(v)]++] = v;
  }
  auto larger = [&](uint32_t a, uint32_t b) {
    const Object &x = model.object(g.slot(a)), &y = model.object(g.slot(b));
    return std::tuple(retained[b], x.addr, x.line) < std::tuple(retained[a], y.addr, y.line);
  };

  Namer namer(symbols);
  for (uint32_t v = 0; v < n; ++v) {
    r.live_objects++;
    r.live_bytes = checked_add(r.live_bytes, uint64_t{model.object(g.slot(v)).size}, "the live bytes");
  }
  // Breadth first from the virtual root, each level's children largest first, within the budgets.
  struct Pending {
    uint32_t node;    // graph node, or n for the virtual root
    uint32_t index;   // in r.nodes, or UINT32_MAX
    uint32_t depth;
  };
  std::vector<Pending> queue{{n, UINT32_MAX, 0}};
  for (size_t q = 0; q < queue.size(); ++q) {
    Pending p = queue[q];
    std::span<uint32_t> children(kids.data() + start[p.node], kids.data() + start[p.node + 1]);
    bool top = p.node == n;
    size_t want = top ? options.top : options.children;
    if (!top && p.depth >= options.depth) want = 0;
    want = std::min({want, children.size(), options.nodes > r.nodes.size() ? options.nodes - r.nodes.size() : 0});
    std::partial_sort(children.begin(), children.begin() + static_cast<int64_t>(want), children.end(), larger);
    uint64_t hidden_bytes = 0;
    for (size_t k = want; k < children.size(); ++k) hidden_bytes += retained[children[k]];
    if (top) {
      r.top_total = children.size();
      r.top_hidden = children.size() - want;
      r.top_hidden_bytes = hidden_bytes;
    } else {
      RetainedNode& at = r.nodes[p.index];
      at.children = children.size();
      at.hidden = children.size() - want;
      at.hidden_bytes = hidden_bytes;
    }
    for (size_t k = 0; k < want; ++k) {
      uint32_t v = children[k];
      RetainedNode node;
      node.object = namer.ref(model.object(g.slot(v)));
      node.retained = retained[v];
      node.parent = p.index;
      node.depth = top ? 0 : p.depth + 1;
      r.nodes.push_back(node);
      queue.push_back({v, static_cast<uint32_t>(r.nodes.size() - 1), node.depth});
    }
  }
  r.names = namer.take();
  return r;
}

}  // namespace refscope
