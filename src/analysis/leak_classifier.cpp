#include "refscope/analysis/leak_classifier.h"

#include <algorithm>

namespace refscope {

std::string_view leak_kind_name(LeakKind kind) {
  switch (kind) {
    case LeakKind::Unowned: return "unowned";
    case LeakKind::Retained: return "retained";
    case LeakKind::Indirect: return "indirect";
    case LeakKind::Cyclic: return "cyclic";
  }
  return "?";
}

std::optional<LeakKind> parse_leak_kind(std::string_view name) {
  for (size_t k = 0; k < kLeakKinds; ++k)
    if (leak_kind_name(static_cast<LeakKind>(k)) == name) return static_cast<LeakKind>(k);
  return std::nullopt;
}

bool in_leak_window(const Object& o, uint64_t from_line) {
  return o.live() && !o.synthetic() && !o.immortal() && o.line > from_line;
}

namespace {

// A live object whose refcount is 0 was never freed (the trace lacks its free): it is no root, but what it holds
// is held only through it.
bool refcount_zero(const Object& o) { return !o.immortal() && o.refcount <= 0; }

constexpr uint8_t kUnclassified = 0xff;

}  // namespace

LeakSet classify_leaks(const Model& model, const Graph& g, uint64_t from_line) {
  const uint32_t n = g.size();
  LeakSet out;
  // Kind per node while classifying (kUnclassified outside the window or not yet decided); compacted at the end.
  std::vector<uint8_t> kind(n, kUnclassified);
  std::vector<uint8_t> window(n, 0);
  std::vector<uint32_t> older_roots, other_sources;
  for (uint32_t v = 0; v < n; ++v) {
    const Object& o = model.object(g.slot(v));
    bool in = in_leak_window(o, from_line);
    window[v] = in;
    if (in) out.nodes.push_back(v);
    // A window object that a named root holds is reachable from that root, which is older than every window.
    if (g.is_root(v) && (!in || g.held_by_named_root(v))) older_roots.push_back(v);
    else if (g.is_root(v) || refcount_zero(o)) other_sources.push_back(v);
    if (in && (o.external() > 0 || refcount_zero(o))) kind[v] = static_cast<uint8_t>(LeakKind::Unowned);
  }

  std::vector<uint8_t> reached;
  reach_from(g, older_roots, reached, &out.parent);
  for (uint32_t v : out.nodes)
    if (kind[v] == kUnclassified && reached[v]) kind[v] = static_cast<uint8_t>(LeakKind::Retained);

  reach_from(g, other_sources, reached);
  for (uint32_t v : out.nodes)
    if (kind[v] == kUnclassified && reached[v]) kind[v] = static_cast<uint8_t>(LeakKind::Indirect);

  // Garbage: what no search reached. Only it can hold a window object that is still unclassified.
  bool any_garbage = false;
  for (uint32_t v : out.nodes) any_garbage = any_garbage || kind[v] == kUnclassified;
  if (any_garbage) {
    for (auto& r : reached) r = !r;  // now: include in the component search
    Components c = strongly_connected(g, reached);
    std::vector<uint8_t> cyclic = on_cycle(g, c);
    for (uint32_t v : out.nodes)
      if (kind[v] == kUnclassified)
        kind[v] = static_cast<uint8_t>(cyclic[v] ? LeakKind::Cyclic : LeakKind::Indirect);
  }
  reached = {};

  out.kinds.reserve(out.nodes.size());
  for (uint32_t v : out.nodes) out.kinds.push_back(static_cast<LeakKind>(kind[v]));
  return out;
}

std::vector<uint32_t> retained_path(const LeakSet& leaks, uint32_t node) {
  std::vector<uint32_t> path;
  if (node >= leaks.parent.size()) return path;
  // Only retained objects have a path: reached from an older root, so the chain of parents ends at one.
  auto it = std::lower_bound(leaks.nodes.begin(), leaks.nodes.end(), node);
  if (it == leaks.nodes.end() || *it != node || leaks.kinds[it - leaks.nodes.begin()] != LeakKind::Retained)
    return path;
  for (uint32_t v = node; v != Graph::kNone && path.size() <= leaks.parent.size(); v = leaks.parent[v])
    path.push_back(v);
  std::reverse(path.begin(), path.end());
  return path;
}

}  // namespace refscope
