#include "refscope/analysis/sharing.h"

#include "refscope/util/progress.h"

#include <algorithm>
#include <chrono>
#include <bit>
#include <tuple>

#include "refscope/analysis/dominator_tree.h"
#include "refscope/analysis/graph.h"
#include "refscope/analysis/named_roots.h"
#include "refscope/util/checked.h"
#include "refscope/util/log.h"

namespace refscope {
namespace {

// Phase times at -v, for whoever profiles a large heap.
struct PhaseClock {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void lap(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    log::info("sharing: {} took {:.2f} s", phase, std::chrono::duration<double>(now - start).count());
    start = now;
  }
};

void add_to(std::vector<uint64_t>& counts, uint32_t bucket) {
  if (counts.size() <= bucket) counts.resize(bucket + 1, 0);
  ++counts[bucket];
}

std::vector<HistogramBucket> buckets(const std::vector<uint64_t>& counts, bool keep_zero) {
  std::vector<HistogramBucket> out;
  for (uint32_t b = 0; b < counts.size(); ++b) {
    if (b == 0 && !keep_zero && counts[0] == 0) continue;
    out.push_back({sharing_bucket_label(b), counts[b]});
  }
  return out;
}

}  // namespace

uint32_t sharing_bucket(uint64_t count) { return count == 0 ? 0 : 1 + static_cast<uint32_t>(std::bit_width(count - 1)); }

std::string sharing_bucket_label(uint32_t bucket) {
  if (bucket <= 2) return std::to_string(bucket);
  uint64_t hi = uint64_t{1} << (bucket - 1);
  return std::to_string(hi / 2 + 1) + "-" + std::to_string(hi);
}

SharingResult analyse_sharing(const Model& model, const SymbolTable& symbols, const SharingOptions& options) {
  SharingResult r;
  r.sort = options.sort;
  r.limit = options.limit;
  PhaseClock clock;
  progress::phase("reference graph");
  Graph g = Graph::from_model(model);
  clock.lap("graph snapshot");
  const uint32_t n = g.size();

  std::vector<uint32_t> owners(n, 0);  // distinct owners: the graph keeps one edge per owner -> target pair
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t w : g.out(v)) ++owners[w];

  std::vector<uint64_t> refcounts(1, 0), owner_counts(1, 0);
  struct TypeCount {
    uint64_t objects = 0, references = 0, bytes = 0;
  };
  std::vector<TypeCount> types;
  for (uint32_t v = 0; v < n; ++v) {
    const Object& o = model.object(g.slot(v));
    ++r.live_objects;
    r.live_bytes += o.size;
    add_to(owner_counts, sharing_bucket(owners[v]));
    if (o.immortal()) {
      ++r.immortal_objects;
      continue;
    }
    uint64_t rc = o.refcount > 0 ? static_cast<uint64_t>(o.refcount) : 0;
    add_to(refcounts, sharing_bucket(rc));
    if (rc < 2) continue;
    ++r.shared_objects;
    if (types.size() <= o.type.value) types.resize(o.type.value + 1);
    TypeCount& t = types[o.type.value];
    ++t.objects;
    t.references = checked_add(t.references, rc, "the refcounts of the shared objects of one type");
    t.bytes += o.size;
  }
  r.histogram = buckets(refcounts, false);
  if (refcounts.size() == 1 && refcounts[0] == 0) r.histogram.clear();
  if (r.immortal_objects) r.histogram.push_back({"immortal", r.immortal_objects});
  r.owners_histogram = buckets(owner_counts, true);
  std::vector<uint32_t> shared_types;
  for (uint32_t t = 0; t < types.size(); ++t)
    if (types[t].objects) shared_types.push_back(t);
  std::sort(shared_types.begin(), shared_types.end(), [&](uint32_t a, uint32_t b) {
    return std::tuple(types[b].objects, types[b].references, a) < std::tuple(types[a].objects, types[a].references, b);
  });
  for (uint32_t t : shared_types)
    r.by_type.push_back({symbols.type_name(TypeIdx(t)), types[t].objects, types[t].references, types[t].bytes});
  types = {};

  owners = {};  // the dominator tree needs the room; the listed objects' owners are counted again below
  clock.lap("histograms");
  std::vector<uint64_t> retained;
  {
    progress::phase("dominator tree");
    DominatorTree tree = dominator_tree(g);
    retained = retained_sizes(tree, [&](uint32_t v) { return uint64_t{model.object(g.slot(v)).size}; });
  }

  clock.lap("dominator tree");
  // Candidates, then the first `limit` of them in order.
  std::vector<uint32_t> list;
  for (uint32_t v = 0; v < n; ++v) {
    const Object& o = model.object(g.slot(v));
    if (options.sort == SharingSort::Retained || o.immortal() || o.refcount >= 2) list.push_back(v);
  }
  r.candidates = list.size();
  auto key = [&](uint32_t v) {
    const Object& o = model.object(g.slot(v));
    return std::tuple(o.addr, o.line);
  };
  auto order = [&](uint32_t a, uint32_t b) {
    if (options.sort == SharingSort::Retained) {
      if (retained[a] != retained[b]) return retained[a] > retained[b];
    } else {
      const Object &x = model.object(g.slot(a)), &y = model.object(g.slot(b));
      // Immortal objects' counts mean nothing: they come after every mortal one.
      if (x.immortal() != y.immortal()) return y.immortal();
      if (x.refcount != y.refcount) return x.refcount > y.refcount;
    }
    return key(a) < key(b);
  };
  size_t take = options.limit == 0 ? list.size() : std::min(options.limit, list.size());
  std::partial_sort(list.begin(), list.begin() + static_cast<int64_t>(take), list.end(), order);
  clock.lap("ranking");
  list.resize(take);
  std::vector<uint32_t> listed(list);
  std::sort(listed.begin(), listed.end());
  std::vector<uint32_t> listed_owners(listed.size(), 0);
  for (uint32_t v = 0; v < n; ++v)
    for (uint32_t w : g.out(v))
      if (auto it = std::lower_bound(listed.begin(), listed.end(), w); it != listed.end() && *it == w)
        ++listed_owners[static_cast<size_t>(it - listed.begin())];
  Namer namer(symbols);
  NamedRootHolders holders(model);
  r.named_roots = model.has_root_edges();
  for (size_t i = 0; i < take; ++i) {
    size_t at = static_cast<size_t>(std::lower_bound(listed.begin(), listed.end(), list[i]) - listed.begin());
    ObjSlot slot = g.slot(list[i]);
    r.objects.push_back({namer.ref(model.object(slot)), namer.state(model, holders, slot), listed_owners[at],
                         retained[list[i]]});
  }
  r.names = namer.take();
  return r;
}

}  // namespace refscope
