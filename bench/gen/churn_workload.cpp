// The churn workload: fill a live set of L objects, then replace a random one until A allocations have been made.
// Each replacement releases the old object's last reference (D), frees it (F), then allocates the new one (A): three
// records. refscope-churn (churn.c) does the same with malloc/free from the same random streams, so that its heaptrack
// recording and this trace describe one workload.
#include <vector>

#include "address_space.h"
#include "object_catalog.h"
#include "workloads.h"

namespace refscope_bench {

void run_churn(const GenOptions& options, TraceWriter& out, GenStats& stats) {
  const uint64_t live = options.live;
  bench_rng slots_rng, sizes_rng, meta_rng;
  bench_rng_seed(&slots_rng, options.seed, BENCH_STREAM_SLOTS);
  bench_rng_seed(&sizes_rng, options.seed, BENCH_STREAM_SIZES);
  bench_rng_seed(&meta_rng, options.seed, BENCH_STREAM_META);

  struct Slot {
    uint64_t addr;
    uint32_t block_bytes;
    uint32_t gc_offset;
  };
  std::vector<Slot> slots(live);
  AddressSpace heap;

  auto make = [&](Slot& slot) {
    NewObject obj = ObjectCatalog::pick_churn(meta_rng, sizes_rng);
    uint64_t block = heap.alloc_block(obj.block_bytes());
    slot = Slot{block + obj.gc_offset(), obj.block_bytes(), static_cast<uint32_t>(obj.gc_offset())};
    out.alloc(slot.addr, obj.size, obj.type, obj.site);
  };

  uint64_t next_marker = options.marker_every;
  auto maybe_marker = [&] {
    if (next_marker != 0 && out.records() >= next_marker) {
      out.marker("iter-", ++stats.markers);
      next_marker += options.marker_every;
    }
  };

  const uint64_t fill = options.allocations < live ? options.allocations : live;
  for (uint64_t i = 0; i < fill; ++i) {
    make(slots[i]);
    maybe_marker();
  }
  for (uint64_t i = fill; i < options.allocations; ++i) {
    Slot& slot = slots[bench_rng_below(&slots_rng, live)];
    out.decref(slot.addr);
    out.free(slot.addr);
    heap.free_block(slot.addr - slot.gc_offset, slot.block_bytes);
    make(slot);
    maybe_marker();
  }
  stats.allocs = options.allocations;
  stats.frees = options.allocations - fill;
  stats.live = fill;
}

}  // namespace refscope_bench
