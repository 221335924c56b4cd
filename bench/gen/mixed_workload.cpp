// The mixed workload: a live set of L objects that reference each other, churned one replacement at a time.
//
// Each live object sits in a slot and holds about `density` owner references to other slots. Replacing the object of
// slot s goes the way CPython would do it:
//
//   D X OWNER ...   every object that references X lets go of it (they will point at X's successor)
//   D X             the program drops its own reference: X's refcount is now 0
//   D T X ...       X's deallocator releases what X held
//   F X             X's memory goes back to the allocator (and is handed out again soon: AddressSpace is LIFO)
//   A Y ...         the successor, often at X's address
//   I T Y ...       Y takes its own references
//   I Y OWNER ...   the former owners of X now reference Y
//
// so that a replay finds every free at refcount 0. Around the replacements go temporary external references (I/D
// pairs, as for a function argument), refcount observations (R), markers, injected leaks, garbage cycles collected
// inside G..g brackets, and on request injected anomalies whose kinds and counts --stats reports.
//
// Owner references live in fixed cells, `cells_per_slot` per slot; the cells that point at a slot are chained into
// an intrusive doubly linked list, so that finding X's owners costs nothing more than visiting them.
//
// With --refs sampled the same simulation runs, but only the difference between consecutive checkpoints is written:
// frees of reported objects that died, new objects, their references, and R for every object whose references changed.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "address_space.h"
#include "object_catalog.h"
#include "workloads.h"

namespace refscope_bench {
namespace {

enum class Variant { Normal, RefcountUnderflow, FreedWhileReferenced, AddressReused };

enum AnomalyKind : unsigned {
  kUnknownObject = 0,
  kUnknownOwner = 1,
  kOwnerMismatch = 2,
  kRefcountUnderflow = 3,
  kFreedWhileReferenced = 4,
  kAddressReused = 5,
  kExternalNegative = 6,
  kRefcountMismatch = 7,
};

constexpr uint64_t kImmortalCount = ~uint64_t{0};  // in a pending R: the object is immortal

class MixedWorkload {
 public:
  MixedWorkload(const GenOptions& options, TraceWriter& out, GenStats& stats);
  void run();

 private:
  struct Slot {
    uint64_t addr;
    uint32_t size;
    uint32_t block_bytes;
    uint8_t type;
    uint8_t site;
    uint8_t gc_offset;
    uint8_t out_n;  // cells in use: the first out_n of the slot's cells
  };
  struct PendingAlloc {
    uint64_t addr;
    NewObject obj;
  };
  struct Edge {
    uint64_t target;
    uint64_t owner;
  };
  struct Count {
    uint64_t addr;
    uint64_t count;
  };
  struct GarbagePair {
    uint64_t a, b;
    uint32_t a_bytes, b_bytes;
    uint8_t a_offset, b_offset;
  };

  // --- records: written at once in an exact trace, counted only (the simulation's clock) in a sampled one
  void emit_alloc(uint64_t addr, const NewObject& obj) {
    ++sim_records_;
    if (!sampled_) {
      out_.alloc(addr, obj.size, obj.type, obj.site);
      ++stats_.allocs;
    }
  }
  void emit_incref(uint64_t addr) {
    ++sim_records_;
    if (!sampled_) out_.incref(addr);
  }
  void emit_incref(uint64_t addr, uint64_t owner) {
    ++sim_records_;
    if (!sampled_) out_.incref(addr, owner);
  }
  void emit_decref(uint64_t addr) {
    ++sim_records_;
    if (!sampled_) out_.decref(addr);
  }
  void emit_decref(uint64_t addr, uint64_t owner) {
    ++sim_records_;
    if (!sampled_) out_.decref(addr, owner);
  }
  void emit_free(uint64_t addr) {
    ++sim_records_;
    if (!sampled_) {
      out_.free(addr);
      ++stats_.frees;
    }
  }

  // --- objects outside the slots (cache, immortals, leaks): exact traces write them now, sampled ones at the next
  // checkpoint
  uint64_t extra_alloc(const NewObject& obj);
  void extra_edge(uint64_t target, uint64_t owner);
  // The creator's reference is dropped (exact) / the object's refcount is `count` from now on (sampled).
  void extra_release(uint64_t addr, uint64_t count);
  void extra_keep(uint64_t addr, uint64_t count);

  // --- the slot graph
  uint32_t owner_of(int32_t cell) const { return static_cast<uint32_t>(cell) / cells_per_slot_; }
  int32_t cell(uint32_t slot, uint32_t k) const { return static_cast<int32_t>(slot * cells_per_slot_ + k); }
  void link(int32_t c, uint32_t t);
  void unlink(int32_t c);
  uint32_t pick_out_degree();
  void place(uint32_t s, const NewObject& obj, uint64_t block, uint32_t target_limit);
  void replace(uint32_t s, Variant variant);
  void mark_dirty(uint32_t s);

  // --- one step and what goes around it
  void step();
  void temp_refs();
  void observe();
  void make_leak();
  void make_garbage_pair();
  void gc_bracket();
  Variant inject_anomaly();
  uint64_t unused_addr() { return 0x10000 + 16 * unused_counter_++; }
  void checkpoint(std::string_view label);
  void mark_r(uint32_t s);
  void teardown();
  void finish_stats();

  const GenOptions& options_;
  TraceWriter& out_;
  GenStats& stats_;
  const bool sampled_;
  const uint32_t live_;
  uint32_t cells_per_slot_;

  bench_rng slots_rng_{}, sizes_rng_{}, meta_rng_{};
  AddressSpace heap_;
  std::vector<Slot> slots_;
  std::vector<int32_t> target_, in_next_, in_prev_;  // per cell
  std::vector<int32_t> in_head_;                     // per slot: first cell that points at it
  std::vector<uint32_t> in_count_;                   // per slot
  uint64_t slot_edges_ = 0;

  uint64_t cache_addr_ = 0;
  std::vector<uint64_t> immortals_;
  uint64_t extra_live_ = 0;
  uint64_t extra_edges_ = 0;
  unsigned leak_kind_ = 0;
  std::vector<GarbagePair> garbage_;

  uint64_t sim_records_ = 0;
  uint64_t next_marker_ = 0;
  uint64_t next_gc_ = 0;
  uint64_t gc_count_ = 0;
  uint64_t next_anomaly_ = 0;
  uint64_t anomaly_spacing_ = 0;
  uint64_t anomalies_done_ = 0;
  uint64_t unused_counter_ = 0;

  // sampled: what the last checkpoint reported
  std::vector<uint64_t> rep_addr_;    // per slot; 0: never reported
  std::vector<int32_t> rep_target_;   // per cell
  std::vector<uint32_t> dirty_stamp_, r_stamp_;
  uint32_t dirty_epoch_ = 1, r_epoch_ = 1;
  std::vector<uint32_t> dirty_, r_list_;
  std::vector<PendingAlloc> pending_allocs_;
  std::vector<Edge> pending_edges_;
  std::vector<Count> pending_counts_;
};

MixedWorkload::MixedWorkload(const GenOptions& options, TraceWriter& out, GenStats& stats)
    : options_(options),
      out_(out),
      stats_(stats),
      sampled_(options.sampled),
      live_(static_cast<uint32_t>(options.live)) {
  if (options.live < 1 || options.live > (uint64_t{1} << 30)) throw std::invalid_argument("--live must be 1..2^30");
  if (options.density < 0 || options.density > 64) throw std::invalid_argument("--density must be 0..64");
  cells_per_slot_ = static_cast<uint32_t>(std::ceil(options.density));
  bench_rng_seed(&slots_rng_, options.seed, BENCH_STREAM_SLOTS);
  bench_rng_seed(&sizes_rng_, options.seed, BENCH_STREAM_SIZES);
  bench_rng_seed(&meta_rng_, options.seed, BENCH_STREAM_META);

  slots_.resize(live_);
  const std::size_t cells = std::size_t{live_} * cells_per_slot_;
  target_.assign(cells, -1);
  in_next_.assign(cells, -1);
  in_prev_.assign(cells, -1);
  in_head_.assign(live_, -1);
  in_count_.assign(live_, 0);
  if (sampled_) {
    rep_addr_.assign(live_, 0);
    rep_target_.assign(cells, -1);
    dirty_stamp_.assign(live_, 0);
    r_stamp_.assign(live_, 0);
  }
  next_marker_ = options.marker_every;
  if (!sampled_ && options.gc_every != 0) next_gc_ = options.gc_every;
  if (!sampled_ && options.anomalies != 0) {
    anomaly_spacing_ = options.events / (options.anomalies + 1);
    if (anomaly_spacing_ == 0) anomaly_spacing_ = 1;
    next_anomaly_ = anomaly_spacing_;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// extras

uint64_t MixedWorkload::extra_alloc(const NewObject& obj) {
  uint64_t addr = heap_.alloc_block(obj.block_bytes()) + obj.gc_offset();
  ++extra_live_;
  if (sampled_)
    pending_allocs_.push_back({addr, obj});
  else
    emit_alloc(addr, obj);
  return addr;
}

void MixedWorkload::extra_edge(uint64_t target, uint64_t owner) {
  ++extra_edges_;
  if (sampled_)
    pending_edges_.push_back({target, owner});
  else
    emit_incref(target, owner);
}

void MixedWorkload::extra_release(uint64_t addr, uint64_t count) {
  if (sampled_)
    pending_counts_.push_back({addr, count});
  else
    emit_decref(addr);
}

void MixedWorkload::extra_keep(uint64_t addr, uint64_t count) {
  if (sampled_) pending_counts_.push_back({addr, count});
}

// ---------------------------------------------------------------------------------------------------------------
// the slot graph

void MixedWorkload::link(int32_t c, uint32_t t) {
  target_[c] = static_cast<int32_t>(t);
  in_prev_[c] = -1;
  in_next_[c] = in_head_[t];
  if (in_head_[t] >= 0) in_prev_[in_head_[t]] = c;
  in_head_[t] = c;
  ++in_count_[t];
  ++slot_edges_;
}

void MixedWorkload::unlink(int32_t c) {
  uint32_t t = static_cast<uint32_t>(target_[c]);
  if (in_prev_[c] >= 0)
    in_next_[in_prev_[c]] = in_next_[c];
  else
    in_head_[t] = in_next_[c];
  if (in_next_[c] >= 0) in_prev_[in_next_[c]] = in_prev_[c];
  target_[c] = -1;
  --in_count_[t];
  --slot_edges_;
}

uint32_t MixedWorkload::pick_out_degree() {
  double whole = std::floor(options_.density);
  uint32_t k = static_cast<uint32_t>(whole);
  if (bench_rng_unit(&meta_rng_) < options_.density - whole) ++k;
  return k < cells_per_slot_ ? k : cells_per_slot_;
}

void MixedWorkload::mark_dirty(uint32_t s) {
  if (sampled_ && dirty_stamp_[s] != dirty_epoch_) {
    dirty_stamp_[s] = dirty_epoch_;
    dirty_.push_back(s);
  }
}

// Puts a new object into slot s (whose cells are all empty) and gives it references to slots below target_limit.
void MixedWorkload::place(uint32_t s, const NewObject& obj, uint64_t block, uint32_t target_limit) {
  Slot& slot = slots_[s];
  slot.addr = block + obj.gc_offset();
  slot.size = obj.size;
  slot.block_bytes = obj.block_bytes();
  slot.type = static_cast<uint8_t>(obj.type);
  slot.site = static_cast<uint8_t>(obj.site);
  slot.gc_offset = static_cast<uint8_t>(obj.gc_offset());
  mark_dirty(s);
  emit_alloc(slot.addr, obj);

  // Candidates: [0, target_limit) without s itself.
  uint32_t candidates = target_limit - (s < target_limit ? 1 : 0);
  uint32_t k = candidates == 0 ? 0 : pick_out_degree();
  slot.out_n = static_cast<uint8_t>(k);
  for (uint32_t i = 0; i < k; ++i) {
    uint32_t t = static_cast<uint32_t>(bench_rng_below(&meta_rng_, candidates));
    if (s < target_limit && t >= s) ++t;
    link(cell(s, i), t);
    emit_incref(slots_[t].addr, slot.addr);
  }
}

void MixedWorkload::replace(uint32_t s, Variant variant) {
  const Slot old = slots_[s];
  mark_dirty(s);
  for (int32_t c = in_head_[s]; c >= 0; c = in_next_[c]) emit_decref(old.addr, slots_[owner_of(c)].addr);
  if (variant != Variant::FreedWhileReferenced) emit_decref(old.addr);
  if (variant == Variant::RefcountUnderflow) emit_decref(old.addr);
  for (uint32_t i = 0; i < old.out_n; ++i) {
    int32_t c = cell(s, i);
    emit_decref(slots_[target_[c]].addr, old.addr);
    unlink(c);
  }

  NewObject obj;
  uint64_t block = old.addr - old.gc_offset;
  if (variant == Variant::AddressReused) {
    // No F: the successor is allocated in the same block, which a replay sees as the address being reused.
    obj = NewObject{old.type, old.size, static_cast<uint32_t>(bench_rng_below(&meta_rng_, ObjectCatalog::kSites + 1))};
  } else {
    emit_free(old.addr);
    heap_.free_block(block, old.block_bytes);
    obj = ObjectCatalog::pick(meta_rng_, sizes_rng_);
    block = heap_.alloc_block(obj.block_bytes());
  }
  place(s, obj, block, live_);
  const uint64_t addr = slots_[s].addr;
  for (int32_t c = in_head_[s]; c >= 0; c = in_next_[c]) emit_incref(addr, slots_[owner_of(c)].addr);
}

// ---------------------------------------------------------------------------------------------------------------
// around the replacements

void MixedWorkload::temp_refs() {
  double whole = std::floor(options_.temp_refs);
  uint64_t n = static_cast<uint64_t>(whole);
  if (bench_rng_unit(&meta_rng_) < options_.temp_refs - whole) ++n;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t addr;
    if (!immortals_.empty() && bench_rng_below(&meta_rng_, 8) == 0)
      addr = immortals_[bench_rng_below(&meta_rng_, immortals_.size())];
    else
      addr = slots_[bench_rng_below(&meta_rng_, live_)].addr;
    emit_incref(addr);
    emit_decref(addr);
  }
}

void MixedWorkload::observe() {
  uint32_t s = static_cast<uint32_t>(bench_rng_below(&meta_rng_, live_));
  ++sim_records_;
  out_.refcount(slots_[s].addr, 1 + uint64_t{in_count_[s]});
}

// Leaks take turns: unowned (the creator never drops its reference), retained (held by the long-lived cache), cyclic
// (two objects that reference each other, half the time with a third one that only the cycle holds: indirect).
void MixedWorkload::make_leak() {
  switch (leak_kind_++ % 3) {
    case 0: {
      uint64_t z = extra_alloc(ObjectCatalog::pick(meta_rng_, sizes_rng_));
      extra_keep(z, 1);
      ++stats_.leaks_unowned;
      break;
    }
    case 1: {
      uint64_t z = extra_alloc(ObjectCatalog::pick(meta_rng_, sizes_rng_));
      extra_edge(z, cache_addr_);
      extra_release(z, 1);
      ++stats_.leaks_retained;
      break;
    }
    default: {
      uint64_t p = extra_alloc(ObjectCatalog::of_type(9, meta_rng_, sizes_rng_));
      uint64_t q = extra_alloc(ObjectCatalog::of_type(9, meta_rng_, sizes_rng_));
      extra_edge(q, p);
      extra_edge(p, q);
      stats_.leaks_cyclic += 2;
      if (bench_rng_below(&meta_rng_, 2) == 0) {
        uint64_t w = extra_alloc(ObjectCatalog::pick(meta_rng_, sizes_rng_));
        extra_edge(w, p);
        extra_release(w, 1);
        ++stats_.leaks_indirect;
      }
      extra_release(p, 1);
      extra_release(q, 1);
      break;
    }
  }
}

// A cycle that becomes garbage at once and waits for the next G..g bracket (exact traces only).
void MixedWorkload::make_garbage_pair() {
  NewObject a = ObjectCatalog::of_type(2, meta_rng_, sizes_rng_);
  NewObject b = ObjectCatalog::of_type(1, meta_rng_, sizes_rng_);
  GarbagePair pair{heap_.alloc_block(a.block_bytes()) + a.gc_offset(), heap_.alloc_block(b.block_bytes()) + b.gc_offset(),
                   a.block_bytes(), b.block_bytes(), static_cast<uint8_t>(a.gc_offset()),
                   static_cast<uint8_t>(b.gc_offset())};
  emit_alloc(pair.a, a);
  emit_alloc(pair.b, b);
  emit_incref(pair.b, pair.a);
  emit_incref(pair.a, pair.b);
  emit_decref(pair.a);
  emit_decref(pair.b);
  garbage_.push_back(pair);
}

// The collector clears each garbage cycle: tp_clear of a drops its reference to b, b's refcount falls to 0 and its
// deallocator drops b's reference to a; both are freed.
void MixedWorkload::gc_bracket() {
  ++gc_count_;
  unsigned generation = gc_count_ % 10 == 0 ? 2 : (gc_count_ % 3 == 0 ? 1 : 0);
  out_.gc_start(generation);
  for (const GarbagePair& pair : garbage_) {
    emit_decref(pair.b, pair.a);
    emit_decref(pair.a, pair.b);
    emit_free(pair.a);
    emit_free(pair.b);
    heap_.free_block(pair.a - pair.a_offset, pair.a_bytes);
    heap_.free_block(pair.b - pair.b_offset, pair.b_bytes);
  }
  out_.gc_end(2 * garbage_.size(), 0);
  stats_.garbage_collected += 2 * garbage_.size();
  ++stats_.gc_brackets;
  garbage_.clear();
}

// Writes one anomaly of the next kind in turn; the records around it put the model back where a consistent trace
// would have it, so that each injected anomaly is exactly one anomaly in a correct replay. Kinds that belong to a
// replacement come back as the variant of this step's replacement.
Variant MixedWorkload::inject_anomaly() {
  unsigned kind = static_cast<unsigned>(anomalies_done_ % 8);
  ++anomalies_done_;
  uint32_t u = static_cast<uint32_t>(bench_rng_below(&meta_rng_, live_));
  if (kind == kExternalNegative) {
    for (int tries = 0; tries < 64 && in_count_[u] == 0; ++tries)
      u = static_cast<uint32_t>(bench_rng_below(&meta_rng_, live_));
    if (in_count_[u] == 0) kind = kUnknownObject;  // no object is referenced by another one (density 0)
  }
  ++stats_.anomalies[kind];
  const uint64_t addr = slots_[u].addr;
  switch (kind) {
    case kUnknownObject:
      emit_decref(unused_addr());
      break;
    case kUnknownOwner:  // the reference counts as an external one; the D gives it back
      emit_incref(addr, unused_addr());
      emit_decref(addr);
      break;
    case kOwnerMismatch:  // the cache never holds a slot object; the model drops an external reference instead
      emit_decref(addr, cache_addr_);
      emit_incref(addr);
      break;
    case kExternalNegative:  // refcount becomes the owners' references, external 0; the I restores the external one
      ++sim_records_;
      out_.refcount(addr, 0);
      emit_incref(addr);
      break;
    case kRefcountMismatch:  // one too many: external 2; the D brings it back to 1
      ++sim_records_;
      out_.refcount(addr, 2 + uint64_t{in_count_[u]});
      emit_decref(addr);
      break;
    case kRefcountUnderflow:
      return Variant::RefcountUnderflow;
    case kFreedWhileReferenced:
      return Variant::FreedWhileReferenced;
    default:
      return Variant::AddressReused;
  }
  return Variant::Normal;
}

void MixedWorkload::step() {
  Variant variant = Variant::Normal;
  if (anomaly_spacing_ != 0 && anomalies_done_ < options_.anomalies && out_.records() >= next_anomaly_) {
    variant = inject_anomaly();
    next_anomaly_ += anomaly_spacing_;
  }
  if (!sampled_) {
    temp_refs();
    if (options_.observe > 0 && bench_rng_unit(&meta_rng_) < options_.observe) observe();
  }
  replace(static_cast<uint32_t>(bench_rng_below(&slots_rng_, live_)), variant);
  if (options_.leak_fraction > 0 && bench_rng_unit(&meta_rng_) < options_.leak_fraction) make_leak();
  if (next_gc_ != 0 && bench_rng_unit(&meta_rng_) < options_.garbage_cycles) make_garbage_pair();
}

// ---------------------------------------------------------------------------------------------------------------
// sampled checkpoints

void MixedWorkload::mark_r(uint32_t s) {
  if (r_stamp_[s] != r_epoch_) {
    r_stamp_[s] = r_epoch_;
    r_list_.push_back(s);
  }
}

void MixedWorkload::checkpoint(std::string_view label) {
  // 1. Reported objects that died since: their references, both ways, go with them.
  for (uint32_t s : dirty_) {
    if (rep_addr_[s] != 0) {
      out_.free(rep_addr_[s]);
      ++stats_.frees;
    }
  }
  // 2. Objects seen for the first time.
  for (const PendingAlloc& p : pending_allocs_) {
    out_.alloc(p.addr, p.obj.size, p.obj.type, p.obj.site);
    ++stats_.allocs;
  }
  for (uint32_t s : dirty_) {
    const Slot& slot = slots_[s];
    out_.alloc(slot.addr, slot.size, slot.type, slot.site);
    ++stats_.allocs;
  }
  // 3. References added. A new object's own references are all new; a surviving owner of a replaced slot gained one
  // to the successor (its reference to the predecessor went with the F).
  for (const Edge& e : pending_edges_) out_.incref(e.target, e.owner);
  for (uint32_t s : dirty_) {
    const Slot& slot = slots_[s];
    for (uint32_t i = 0; i < slot.out_n; ++i) {
      uint32_t t = static_cast<uint32_t>(target_[cell(s, i)]);
      out_.incref(slots_[t].addr, slot.addr);
      mark_r(t);
    }
    for (int32_t c = in_head_[s]; c >= 0; c = in_next_[c]) {
      uint32_t o = owner_of(c);
      if (dirty_stamp_[o] != dirty_epoch_) out_.incref(slot.addr, slots_[o].addr);
    }
    mark_r(s);
    for (uint32_t i = 0; i < cells_per_slot_; ++i) {
      int32_t t_old = rep_target_[cell(s, i)];
      if (t_old >= 0) mark_r(static_cast<uint32_t>(t_old));  // lost the reference its dead owner held
    }
  }
  // 4. True refcounts of everything whose references changed.
  for (const Count& c : pending_counts_) {
    if (c.count == kImmortalCount)
      out_.refcount_immortal(c.addr);
    else
      out_.refcount(c.addr, c.count);
  }
  for (uint32_t s : r_list_) out_.refcount(slots_[s].addr, 1 + uint64_t{in_count_[s]});
  out_.marker(label);
  ++stats_.markers;

  for (uint32_t s : dirty_) {
    rep_addr_[s] = slots_[s].addr;
    for (uint32_t i = 0; i < cells_per_slot_; ++i) rep_target_[cell(s, i)] = target_[cell(s, i)];
  }
  dirty_.clear();
  r_list_.clear();
  pending_allocs_.clear();
  pending_edges_.clear();
  pending_counts_.clear();
  ++dirty_epoch_;
  ++r_epoch_;
}

// ---------------------------------------------------------------------------------------------------------------

void MixedWorkload::teardown() {
  if (sampled_) {
    for (uint32_t s = 0; s < live_; ++s) {
      out_.free(slots_[s].addr);
      ++stats_.frees;
    }
    for (uint32_t s = 0; s < live_; ++s)
      for (uint32_t i = 0; i < slots_[s].out_n; ++i) unlink(cell(s, i));
    out_.marker("teardown");
    ++stats_.markers;
  } else {
    if (!garbage_.empty()) gc_bracket();
    for (uint32_t s = 0; s < live_; ++s)
      for (uint32_t i = 0; i < slots_[s].out_n; ++i) {
        emit_decref(slots_[target_[cell(s, i)]].addr, slots_[s].addr);
        unlink(cell(s, i));
      }
    for (uint32_t s = 0; s < live_; ++s) {
      emit_decref(slots_[s].addr);
      emit_free(slots_[s].addr);
    }
    out_.marker("teardown");
    ++stats_.markers;
  }
}

void MixedWorkload::finish_stats() {
  stats_.live = extra_live_ + 2 * garbage_.size() + (options_.teardown ? 0 : live_);
  stats_.owner_refs = extra_edges_ + 2 * garbage_.size() + slot_edges_;
}

void MixedWorkload::run() {
  // Objects that outlive the churn: the cache that retained leaks go into, and a few immortal small ints.
  cache_addr_ = extra_alloc(ObjectCatalog::of_type(ObjectCatalog::kDict, meta_rng_, sizes_rng_));
  extra_keep(cache_addr_, 1);
  for (uint64_t i = 0; i < options_.immortals; ++i) {
    uint64_t addr = extra_alloc(ObjectCatalog::of_type(ObjectCatalog::kInt, meta_rng_, sizes_rng_));
    immortals_.push_back(addr);
    if (sampled_)
      extra_keep(addr, kImmortalCount);
    else {
      ++sim_records_;
      out_.refcount_immortal(addr);
    }
  }

  for (uint32_t s = 0; s < live_; ++s) {
    NewObject obj = ObjectCatalog::pick(meta_rng_, sizes_rng_);
    place(s, obj, heap_.alloc_block(obj.block_bytes()), s);
  }
  if (sampled_) {
    checkpoint("built");
  } else {
    out_.marker("built");
    ++stats_.markers;
  }

  const uint64_t start = sim_records_;
  while (out_.records() < options_.events) {
    step();
    if (sampled_) {
      if (next_marker_ != 0 && sim_records_ - start >= next_marker_) {
        checkpoint("iter-" + std::to_string(stats_.markers));
        next_marker_ += options_.marker_every;
      }
    } else {
      if (next_gc_ != 0 && out_.records() >= next_gc_) {
        gc_bracket();
        next_gc_ += options_.gc_every;
      }
      if (next_marker_ != 0 && out_.records() >= next_marker_) {
        out_.marker("iter-", stats_.markers);
        ++stats_.markers;
        next_marker_ += options_.marker_every;
      }
    }
  }
  if (sampled_ && !dirty_.empty()) checkpoint("iter-" + std::to_string(stats_.markers));
  if (options_.teardown) teardown();
  finish_stats();
}

}  // namespace

void run_mixed(const GenOptions& options, TraceWriter& out, GenStats& stats) {
  MixedWorkload(options, out, stats).run();
}

}  // namespace refscope_bench
