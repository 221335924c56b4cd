#include "refscope/analysis/why_paths.h"

#include <algorithm>
#include <tuple>

namespace refscope {

WhyResult why_paths(const Graph& owners, uint32_t target, size_t max_paths,
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
  WhyResult r;
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

}  // namespace refscope
