// The graph workload: a large heap built once and never churned, for the graph analyses (cycles, dominators, why).
//
// First come the roots (a fraction of the objects, held from outside, like modules), then marker `roots`. Every
// later object is one of:
//   - a reachable one: its first owner is an earlier reachable object (so a root reaches it by induction), its other
//     references either point at it from random earlier reachable objects or from it to them (which makes large
//     strongly connected parts, as real heaps have), and its creator's reference is dropped (D ADDR);
//   - an unowned leak (half of --leak-fraction): kept by its creator's reference, owned by nobody;
//   - a member of a garbage ring of 2 to 8 objects (the other half): each holds the next, and references into the
//     reachable heap; nothing outside the ring holds it.
// Nothing reachable ever points at a leak, so the leak figures --stats prints are what a replay must find.
//
// Exact traces write each object as A, its I records, then D. Sampled traces write the same A and I records as one
// checkpoint, with R for every object at the end instead of the D records.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "address_space.h"
#include "object_catalog.h"
#include "workloads.h"

namespace refscope_bench {

void run_graph(const GenOptions& options, TraceWriter& out, GenStats& stats) {
  if (options.live < 2 || options.live > (uint64_t{1} << 32) - 1) throw std::invalid_argument("--live must be 2..2^32-1");
  const uint32_t live = static_cast<uint32_t>(options.live);
  const bool sampled = options.sampled;
  bench_rng slots_rng, sizes_rng, meta_rng;
  bench_rng_seed(&slots_rng, options.seed, BENCH_STREAM_SLOTS);
  bench_rng_seed(&sizes_rng, options.seed, BENCH_STREAM_SIZES);
  bench_rng_seed(&meta_rng, options.seed, BENCH_STREAM_META);

  AddressSpace heap;
  std::vector<uint64_t> addr(live);
  std::vector<uint32_t> reachable;  // indices of roots and reachable objects: the only targets anyone may pick
  reachable.reserve(live);
  std::vector<uint32_t> refcount;   // sampled: the R each object gets at the end
  if (sampled) refcount.assign(live, 0);

  uint64_t next_marker = options.marker_every;
  auto marker_due = [&] {
    if (next_marker != 0 && out.records() >= next_marker) {
      if (!sampled) out.marker("iter-", ++stats.markers);  // a sampled trace has one checkpoint: no marker inside
      next_marker += options.marker_every;
    }
  };
  auto new_object = [&](uint32_t i) {
    NewObject obj = ObjectCatalog::pick(meta_rng, sizes_rng);
    addr[i] = heap.alloc_block(obj.block_bytes()) + obj.gc_offset();
    out.alloc(addr[i], obj.size, obj.type, obj.site);
    ++stats.allocs;
    if (sampled) refcount[i] = 1;  // the creator's reference, until it is dropped
  };
  auto edge = [&](uint32_t target, uint32_t owner) {
    out.incref(addr[target], addr[owner]);
    ++stats.owner_refs;
    if (sampled) ++refcount[target];
  };
  auto drop_creator = [&](uint32_t i) {
    if (sampled)
      --refcount[i];
    else
      out.decref(addr[i]);
  };
  auto random_reachable = [&] { return reachable[bench_rng_below(&slots_rng, reachable.size())]; };
  double whole = std::floor(options.density);
  auto degree = [&] {
    uint32_t k = static_cast<uint32_t>(whole);
    if (bench_rng_unit(&meta_rng) < options.density - whole) ++k;
    return k;
  };

  uint32_t roots = static_cast<uint32_t>(std::llround(options.roots * live));
  if (roots < 1) roots = 1;
  if (roots > live) roots = live;
  for (uint32_t i = 0; i < roots; ++i) {
    new_object(i);
    reachable.push_back(i);
  }
  if (sampled)
    for (uint32_t i = 0; i < roots; ++i) out.refcount(addr[i], 1);
  out.marker("roots");
  ++stats.markers;

  const double half_leaks = options.leak_fraction / 2;
  uint32_t i = roots;
  while (i < live) {
    double u = bench_rng_unit(&meta_rng);
    if (u < half_leaks) {  // unowned leak
      new_object(i);
      for (uint32_t k = degree(); k > 0; --k) edge(random_reachable(), i);
      ++stats.leaks_unowned;
      ++i;
    } else if (u < options.leak_fraction) {  // garbage ring
      uint32_t size = 2 + static_cast<uint32_t>(bench_rng_below(&meta_rng, 7));
      if (size > live - i) size = live - i;
      if (size < 2) {  // no room for a ring at the very end: make it an unowned leak
        new_object(i);
        ++stats.leaks_unowned;
        ++i;
        continue;
      }
      for (uint32_t j = 0; j < size; ++j) new_object(i + j);
      for (uint32_t j = 0; j < size; ++j) {
        edge(i + (j + 1) % size, i + j);
        for (uint32_t k = degree(); k > 1; --k) edge(random_reachable(), i + j);
      }
      for (uint32_t j = 0; j < size; ++j) drop_creator(i + j);
      stats.leaks_cyclic += size;
      i += size;
    } else {  // reachable
      new_object(i);
      edge(i, random_reachable());
      for (uint32_t k = degree(); k > 1; --k) {
        if (bench_rng_below(&meta_rng, 2) == 0)
          edge(i, random_reachable());
        else
          edge(random_reachable(), i);
      }
      drop_creator(i);
      reachable.push_back(i);
      ++i;
    }
    marker_due();
  }
  if (sampled)
    for (uint32_t j = 0; j < live; ++j) out.refcount(addr[j], refcount[j]);
  out.marker("built");
  ++stats.markers;
  stats.live = live;
}

}  // namespace refscope_bench
