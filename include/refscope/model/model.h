#pragma once
// The reference model: replays events into the set of live objects, their refcounts, the owner edges between them
// and the anomalies of TRACE-FORMAT.md. Applying an event never throws and never stops: whatever a well-formed
// trace says, the model records what it could not take at face value and goes on.
#include <cstdint>
#include <string>
#include <vector>

#include "refscope/model/anomaly.h"
#include "refscope/model/edge_store.h"
#include "refscope/model/label_store.h"
#include "refscope/model/object.h"
#include "refscope/reader/event.h"
#include "refscope/reader/record_batch.h"
#include "refscope/util/addr_map.h"

namespace refscope {

struct ModelOptions {
  size_t keep_anomalies = 100;  // details kept for the first N anomalies; all are counted
  size_t keep_markers = 10000;  // likewise for markers
};

struct EventCounts {
  uint64_t alloc = 0, incref = 0, decref = 0, free = 0, refcount = 0, marker = 0, gc = 0;
  uint64_t meta = 0, type = 0, stack = 0, gc_end = 0;
  uint64_t root_def = 0, root_ref = 0, root_unref = 0;  // N, P, U (format 2)
  uint64_t resize = 0;                                  // Z (format 2)
  uint64_t label = 0, name = 0;                         // L, K (format 2)
};

// A named root (format 2): a holder of references that is no object of the traced heap (the interpreter's
// module table, a thread's running frame, a static type). Its references are kept as edges like an object's.
struct NamedRoot {
  std::string name;
  uint64_t line = 0;  // of the N record that last named it
  Object holder;      // only its edge fields are used
};

struct MarkerRecord {
  std::string label;
  uint64_t line = 0;
};

// Notified of changes that analyses needing the past (collected cycles, growth) must see as they happen.
class ModelObserver {
 public:
  virtual ~ModelObserver() = default;
  virtual void on_alloc(ObjSlot) {}
  // Called while the object is still intact, its edges readable, just before it is freed.
  virtual void before_free(ObjSlot) {}
  // One owner reference removed by a D record.
  virtual void on_edge_removed(ObjSlot /*owner*/, ObjSlot /*target*/) {}
  virtual void on_gc_start(const Event&) {}
  virtual void on_gc_end(const Event&) {}
  virtual void on_marker(const Event&) {}
};

// Where a record's ADDR and OWNER live, found while it waits to be applied (AddrMap::kMissing: no live object
// then). Model::apply trusts a slot only if it still holds the live object at that address, and looks it up again
// otherwise: records between the lookup and the apply may have freed or allocated there.
struct SlotHint {
  uint32_t addr = AddrMap::kMissing;
  uint32_t owner = AddrMap::kMissing;
};

class Model {
 public:
  using Hint = SlotHint;
  explicit Model(ModelOptions options = {});
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  void apply(const Event& ev, const Hint& hint = {});
  // A record that names an object (names_object(r.kind)), on line `line`: what the replay applies, straight from
  // its batch. The same as apply() of its Event.
  void apply(const HeapRecord& r, uint64_t line, const Hint& hint = {}) {
    last_line_ = line;
    switch (r.kind) {
      case RecordKind::Alloc: alloc(r, line, hint); break;
      case RecordKind::Incref: incref(r, line, hint); break;
      case RecordKind::Decref: decref(r, line, hint); break;
      case RecordKind::Free: free_record(r, line, hint); break;
      case RecordKind::Refcount: refcount(r, line, hint); break;
      case RecordKind::RootRef: root_ref(r, line, hint); break;
      case RecordKind::RootUnref: root_unref(r, line, hint); break;
      case RecordKind::Resize: resize(r, line, hint); break;
      case RecordKind::Name: name_record(r, line, hint); break;
      default: break;
    }
  }

  // A replay works a window ahead of the record it applies, in three steps that each wait on the one before:
  //   prefetch(r)             the address-map lines of ADDR and OWNER;
  //   resolve(r)              the slots there (now in cache), as a Hint; fetches both objects;
  //   prefetch_edges(hint)    the owner's edge list, whose place is in the owner's object (now in cache).
  // They change nothing, and take any record (one that names no object is left alone). always_inline: GCC takes a
  // function whose only effect is a prefetch for one without side effects and deletes its calls (tests/binary
  // checks the prefetches are in the binary).
  [[gnu::always_inline]] void prefetch(const HeapRecord& r) const {
    if (!refscope::names_object(r.kind)) return;
    addr_map_.prefetch(r.addr);
    if (uint64_t owner = r.owner()) addr_map_.prefetch(owner);
  }
  [[gnu::always_inline]] Hint resolve(const HeapRecord& r) const {
    Hint h;
    if (!refscope::names_object(r.kind)) return h;
    h.addr = addr_map_.find(r.addr);
    if (h.addr != AddrMap::kMissing) prefetch_object(h.addr);
    if (uint64_t owner = r.owner()) {
      h.owner = addr_map_.find(owner);
      if (h.owner != AddrMap::kMissing) prefetch_object(h.owner);
    }
    return h;
  }
  // An object is 56 bytes in a table of them, so six in eight straddle two cache lines; the fields a record reads
  // (counts, generation, edge list) are spread over both. Both lines are fetched: the first alone left the second
  // to a miss in apply.
  [[gnu::always_inline]] void prefetch_object(uint32_t slot) const {
    const char* o = reinterpret_cast<const char*>(&objects_[slot]);
    __builtin_prefetch(o);
    __builtin_prefetch(o + sizeof(Object) - 1);
  }
  [[gnu::always_inline]] void prefetch_edges(const Hint& h) const {
    if (h.owner != AddrMap::kMissing) edges_.prefetch(objects_[h.owner]);
  }
  void set_observer(ModelObserver* observer) { observer_ = observer; }
  // A, I, D, F, R, P, U, Z and K name an object by ADDR; the other records leave `ev.addr` as it was.
  static bool names_object(const Event& ev) { return refscope::names_object(ev.kind); }

  RefsMode refs_mode() const { return mode_; }

  // Frees the address index (the hash map from address to slot: 12 bytes and more an object) once no record will
  // be applied any more: a command that works from slots alone (sharing, cycles) makes room for its graph work.
  // find() finds nothing after it, and apply() must not be called again.
  void release_address_index() { addr_map_ = AddrMap(); }

  // --- Objects ---------------------------------------------------------------------------------------------------
  // The slot of the live object at `addr`, or an invalid slot (value UINT32_MAX).
  ObjSlot find(uint64_t addr) const { return ObjSlot(addr_map_.find(addr)); }
  static bool valid(ObjSlot s) { return s.value != UINT32_MAX; }
  const Object& object(ObjSlot s) const { return objects_[s.value]; }
  // Slots range over [0, slot_count()); only those with live() hold an object.
  uint32_t slot_count() const { return objects_.size(); }
  template <typename F>
  void for_each_live(F&& f) const {
    for (uint32_t i = 0; i < objects_.size(); ++i)
      if (objects_[i].live()) f(ObjSlot(i), objects_[i]);
  }
  // f(target, multiplicity) for each object that `owner` holds references to.
  template <typename F>
  void for_each_edge(ObjSlot owner, F&& f) const {
    edges_.for_each(objects_[owner.value], [&](uint32_t t, uint32_t n) { f(ObjSlot(t), n); });
  }

  // Hints that `owner`'s edge list will be read soon.
  [[gnu::always_inline]] void prefetch_edges(ObjSlot owner) const { edges_.prefetch(objects_[owner.value]); }

  // At least the number of targets for_each_edge gives for `owner`, found without visiting them.
  uint32_t stored_edge_bound(ObjSlot owner) const { return edges_.stored_bound(objects_[owner.value]); }

  // f(target, target_generation, multiplicity), also for targets freed since the reference was taken (see
  // EdgeStore::for_each_stored); a target is still the same object when object(target).gen equals the generation.
  template <typename F>
  void for_each_stored_edge(ObjSlot owner, F&& f) const {
    edges_.for_each_stored(objects_[owner.value],
                           [&](uint32_t t, uint32_t gen, uint32_t n) { f(ObjSlot(t), gen, n); });
  }

  // --- Named roots (format 2) ----------------------------------------------------------------------------------
  // Indices 1..root_slots()-1 (RootIdx); a root index the trace has not named yet has an empty name.
  uint32_t root_slots() const { return static_cast<uint32_t>(roots_.size()); }
  const NamedRoot& root(RootIdx r) const { return roots_[r.value]; }
  // f(root, target, multiplicity) for every live reference a named root holds.
  template <typename F>
  void for_each_root_edge(F&& f) const {
    for (uint32_t r = 1; r < roots_.size(); ++r)
      edges_.for_each(roots_[r].holder, [&](uint32_t t, uint32_t n) { f(RootIdx(r), ObjSlot(t), n); });
  }
  bool has_root_edges() const { return root_edges_ > 0; }

  // --- Labels and names (format 2; display data) -----------------------------------------------------------------
  // What the reference owner -> target is (an attribute, a key, an index...), LabelIdx 0 when the trace did not say.
  LabelIdx edge_label(ObjSlot owner, ObjSlot target) const {
    return labels_.edge(owner.value, target.value, objects_[target.value].gen);
  }
  LabelIdx root_edge_label(RootIdx root, ObjSlot target) const {
    return labels_.edge(LabelStore::kRootBit | root.value, target.value, objects_[target.value].gen);
  }
  // The object's own name (a module's, a class's, a function's), LabelIdx 0 when it has none.
  LabelIdx name(ObjSlot s) const { return labels_.name(s.value); }

  // --- Totals ----------------------------------------------------------------------------------------------------
  const EventCounts& counts() const { return counts_; }
  uint64_t live_objects() const { return live_objects_; }
  uint64_t live_bytes() const { return live_bytes_; }
  // Live objects whose size leaves out memory they own (a `Z ... ?`: the recorder could not measure it).
  uint64_t unmeasured_objects() const { return unmeasured_objects_; }
  uint64_t peak_bytes() const { return peak_bytes_; }
  uint64_t peak_bytes_objects() const { return peak_bytes_objects_; }  // live objects when bytes peaked
  uint64_t peak_bytes_line() const { return peak_bytes_line_; }
  uint64_t peak_objects() const { return peak_objects_; }
  uint64_t peak_objects_line() const { return peak_objects_line_; }
  uint64_t last_line() const { return last_line_; }
  const AnomalyLog& anomalies() const { return anomalies_; }
  const std::vector<MarkerRecord>& markers() const { return markers_; }  // the first keep_markers
  bool gc_open() const { return gc_open_; }
  uint64_t gc_frees() const { return gc_frees_; }  // frees inside G..g brackets
  // Live bytes may not pass kMaxLiveBytes (2^63 - 1), so that every sum over live objects, and every difference of
  // two, is exact in 64 bits. A trace that goes beyond cannot be right; the line where it first did, or 0.
  static constexpr uint64_t kMaxLiveBytes = INT64_MAX;
  uint64_t bytes_overflow_line() const { return bytes_overflow_line_; }
  size_t memory_bytes() const;

 private:
  // The live object at `addr`, from the hint when it is still right.
  ObjSlot lookup(uint64_t addr, uint32_t hint) const {
    if (hint != AddrMap::kMissing) {
      const Object& o = objects_[hint];
      if (o.live() && o.addr == addr) return ObjSlot(hint);
    }
    return find(addr);
  }
  void alloc(const HeapRecord& r, uint64_t line, const Hint& hint);
  void incref(const HeapRecord& r, uint64_t line, const Hint& hint);
  void decref(const HeapRecord& r, uint64_t line, const Hint& hint);
  void free_record(const HeapRecord& r, uint64_t line, const Hint& hint);
  void refcount(const HeapRecord& r, uint64_t line, const Hint& hint);
  void root_ref(const HeapRecord& r, uint64_t line, const Hint& hint);
  void root_unref(const HeapRecord& r, uint64_t line, const Hint& hint);
  void marker(const Event& ev);
  void root_def(const Event& ev);
  void resize(const HeapRecord& r, uint64_t line, const Hint& hint);
  void name_record(const HeapRecord& r, uint64_t line, const Hint& hint);
  void label_edge(uint32_t owner, ObjSlot target, LabelIdx label);

  ObjSlot create(uint64_t addr, uint64_t size, TypeIdx type, StackIdx site, uint64_t line, uint16_t flags);
  void destroy(ObjSlot slot);
  ObjSlot find_or_introduce(const HeapRecord& r, uint64_t line, uint32_t hint, bool& reported);
  void anomaly(AnomalyKind kind, const HeapRecord& r, uint64_t line, int64_t observed = 0, int64_t modelled = 0);
  void note_peak(uint64_t line);

  ModelOptions options_;
  RefsMode mode_ = RefsMode::Exact;
  ObjectTable objects_;
  std::vector<uint32_t> free_slots_;
  AddrMap addr_map_;
  EdgeStore edges_;
  LabelStore labels_;
  AnomalyLog anomalies_;
  EventCounts counts_;
  std::vector<MarkerRecord> markers_;
  std::vector<NamedRoot> roots_;  // by RootIdx; index 0 unused
  uint64_t root_edges_ = 0;       // P records applied with an edge (so far; never decreases)
  ModelObserver* observer_ = nullptr;

  uint64_t live_objects_ = 0, live_bytes_ = 0;
  uint64_t unmeasured_objects_ = 0;
  uint64_t peak_bytes_ = 0, peak_bytes_objects_ = 0, peak_bytes_line_ = 0;
  uint64_t peak_objects_ = 0, peak_objects_line_ = 0;
  uint64_t last_line_ = 0;
  bool gc_open_ = false;
  uint64_t gc_frees_ = 0;
  uint64_t bytes_overflow_line_ = 0;
};

}  // namespace refscope
