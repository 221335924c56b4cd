#include "refscope/model/model.h"

namespace refscope {

Model::Model(ModelOptions options)
    : options_(options), edges_(objects_), anomalies_(options.keep_anomalies) {}

void Model::apply(const Event& ev, const Hint& hint) {
  if (names_object(ev)) {
    apply(HeapRecord::of(ev), ev.line, hint);
    return;
  }
  last_line_ = ev.line;
  switch (ev.kind) {
    case RecordKind::Marker: marker(ev); break;
    case RecordKind::RootDef: root_def(ev); break;
    case RecordKind::LabelDef: ++counts_.label; break;
    case RecordKind::GcStart:
      ++counts_.gc;
      gc_open_ = true;
      if (observer_) observer_->on_gc_start(ev);
      break;
    case RecordKind::GcEnd:
      ++counts_.gc_end;
      gc_open_ = false;
      if (observer_) observer_->on_gc_end(ev);
      break;
    case RecordKind::Meta:
      ++counts_.meta;
      if (ev.text == "refs") mode_ = ev.text2 == "sampled" ? RefsMode::Sampled : RefsMode::Exact;
      break;
    case RecordKind::Type: ++counts_.type; break;
    case RecordKind::Stack: ++counts_.stack; break;
    default: break;  // the records that name an object, above
  }
}

void Model::anomaly(AnomalyKind kind, const HeapRecord& r, uint64_t line, int64_t observed, int64_t modelled) {
  anomalies_.add({kind, line, r.addr, r.owner(), observed, modelled});
}

void Model::note_peak(uint64_t line) {
  if (live_bytes_ > peak_bytes_) {
    peak_bytes_ = live_bytes_;
    peak_bytes_objects_ = live_objects_;
    peak_bytes_line_ = line;
    // Sizes are at most 2^48 each, so the sum is still exact here: it only has to be caught once.
    if (peak_bytes_ > kMaxLiveBytes && bytes_overflow_line_ == 0) [[unlikely]]
      bytes_overflow_line_ = line;
  }
  if (live_objects_ > peak_objects_) {
    peak_objects_ = live_objects_;
    peak_objects_line_ = line;
  }
}

ObjSlot Model::create(uint64_t addr, uint64_t size, TypeIdx type, StackIdx site, uint64_t line, uint16_t flags) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = objects_.push_back();
  }
  Object& o = objects_[slot];
  uint32_t gen = o.gen;
  o = Object{};
  o.gen = gen;
  o.addr = addr;
  o.line = line;
  o.size = size;
  o.flags = static_cast<uint16_t>(kLive | flags);
  o.type = type;
  o.site = site;
  addr_map_.put(addr, slot);
  ++live_objects_;
  live_bytes_ += size;
  note_peak(line);
  if (observer_) observer_->on_alloc(ObjSlot(slot));
  return ObjSlot(slot);
}

void Model::destroy(ObjSlot slot) {
  if (observer_) observer_->before_free(slot);
  Object& o = objects_[slot.value];
  // The references it held are released. Edges that point at it go stale by themselves when its generation moves.
  bool labelled = !labels_.empty();
  edges_.for_each(o, [&](uint32_t target, uint32_t count) {
    Object& t = objects_[target];
    t.held -= count;
    if (!t.immortal()) t.refcount -= count;
    if (labelled) labels_.drop_edge(slot.value, target);
  });
  if (labelled) labels_.drop_name(slot.value);
  edges_.release(o);
  addr_map_.erase(o.addr);
  --live_objects_;
  live_bytes_ -= o.size;
  if (o.unmeasured()) --unmeasured_objects_;
  if (gc_open_) ++gc_frees_;
  o.flags = 0;
  ++o.gen;
  free_slots_.push_back(slot.value);
}

void Model::alloc(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.alloc;
  ObjSlot old = lookup(r.addr, hint.addr);
  if (valid(old)) {
    anomaly(AnomalyKind::AddressReused, r, line);
    destroy(old);
  }
  ObjSlot s = create(r.addr, r.value, TypeIdx(r.a), StackIdx(r.b), line, 0);
  objects_[s.value].refcount = 1;
}

// Z: the object's size with what it owns, as the recorder measured it at a checkpoint. Sizes are display data for
// the byte figures: nothing else in the model changes.
void Model::resize(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.resize;
  ObjSlot s = lookup(r.addr, hint.addr);
  if (!valid(s)) {
    anomaly(AnomalyKind::UnknownObject, r, line);
    return;
  }
  Object& o = objects_[s.value];
  live_bytes_ = live_bytes_ - o.size + r.value;
  o.size = r.value;
  if (o.unmeasured() != r.unmeasured) {
    if (r.unmeasured) ++unmeasured_objects_;
    else --unmeasured_objects_;
    o.flags = static_cast<uint8_t>(r.unmeasured ? o.flags | kUnmeasured : o.flags & ~kUnmeasured);
  }
  note_peak(line);
}

// I and R of an address with no live object: an unknown-object anomaly, and the object comes into being (type
// unknown, size 0, older than every window) so that the record can be applied. `reported` says it happened, so the
// record gives no second anomaly.
ObjSlot Model::find_or_introduce(const HeapRecord& r, uint64_t line, uint32_t hint, bool& reported) {
  ObjSlot s = lookup(r.addr, hint);
  if (valid(s)) return s;
  anomaly(AnomalyKind::UnknownObject, r, line);
  reported = true;
  return create(r.addr, 0, TypeIdx(0), StackIdx(0), line, kSynthetic);
}

void Model::incref(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.incref;
  bool reported = false;
  ObjSlot s = find_or_introduce(r, line, hint.addr, reported);
  if (objects_[s.value].immortal()) return;
  ObjSlot owner(UINT32_MAX);
  if (r.value != 0) {
    owner = lookup(r.value, hint.owner);
    if (!valid(owner) && !reported) anomaly(AnomalyKind::UnknownOwner, r, line);
  }
  Object& o = objects_[s.value];
  if (o.refcount < INT64_MAX) ++o.refcount;  // R may have set 2^63-1: saturate, never wrap
  if (valid(owner)) {
    edges_.add(objects_[owner.value], s.value, o.gen);
    ++o.held;
    if (r.a != 0) label_edge(owner.value, s, LabelIdx(r.a));
  }
}

void Model::label_edge(uint32_t owner, ObjSlot target, LabelIdx label) {
  labels_.set_edge(owner, target.value, objects_[target.value].gen, label,
                   [this](uint32_t from, uint32_t to, uint32_t gen) {
                     if (objects_[to].gen != gen || !objects_[to].live()) return false;
                     return (from & LabelStore::kRootBit) != 0 || objects_[from].live();
                   });
}

// K: the object's own name. Display data only.
void Model::name_record(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.name;
  ObjSlot s = lookup(r.addr, hint.addr);
  if (!valid(s)) {
    anomaly(AnomalyKind::UnknownObject, r, line);
    return;
  }
  labels_.set_name(s.value, LabelIdx(r.a));
}

void Model::decref(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.decref;
  ObjSlot s = lookup(r.addr, hint.addr);
  if (!valid(s)) {
    anomaly(AnomalyKind::UnknownObject, r, line);
    return;
  }
  Object& o = objects_[s.value];
  if (o.immortal()) return;
  if (r.value != 0) {
    ObjSlot owner = lookup(r.value, hint.owner);
    if (!valid(owner)) {
      // Taken as an external reference; the record already has its anomaly, so an empty external count is silent.
      anomaly(AnomalyKind::UnknownOwner, r, line);
      if (o.external() > 0) --o.refcount;
      return;
    }
    if (edges_.remove_one(objects_[owner.value], s.value, o.gen)) {
      --o.held;
      --o.refcount;
      if (observer_) observer_->on_edge_removed(owner, s);
      return;
    }
    anomaly(AnomalyKind::OwnerMismatch, r, line);
    if (o.external() > 0) --o.refcount;
    return;
  }
  if (o.external() == 0) {
    anomaly(AnomalyKind::RefcountUnderflow, r, line, 0, 0);
    return;
  }
  --o.refcount;
}

void Model::free_record(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.free;
  ObjSlot s = lookup(r.addr, hint.addr);
  if (!valid(s)) {
    anomaly(AnomalyKind::UnknownObject, r, line);
    return;
  }
  const Object& o = objects_[s.value];
  if (mode_ == RefsMode::Exact && !o.immortal() && o.refcount > 0)
    anomaly(AnomalyKind::FreedWhileReferenced, r, line, 0, o.refcount);
  destroy(s);
}

void Model::refcount(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.refcount;
  bool reported = false;
  ObjSlot s = find_or_introduce(r, line, hint.addr, reported);
  Object& o = objects_[s.value];
  if (r.immortal) {
    o.flags |= kImmortal;
    return;
  }
  bool was_immortal = o.immortal();
  o.flags &= static_cast<uint16_t>(~kImmortal);
  int64_t observed = static_cast<int64_t>(r.value);
  if (observed < static_cast<int64_t>(o.held)) {
    if (!reported) anomaly(AnomalyKind::ExternalNegative, r, line, observed, o.held);
    o.refcount = o.held;
    return;
  }
  if (mode_ == RefsMode::Exact && !reported && !was_immortal && observed != o.refcount)
    anomaly(AnomalyKind::RefcountMismatch, r, line, observed, o.refcount);
  o.refcount = observed;
}

void Model::marker(const Event& ev) {
  ++counts_.marker;
  if (markers_.size() < options_.keep_markers) markers_.push_back({std::string(ev.text), ev.line});
  if (observer_) observer_->on_marker(ev);
}

void Model::root_def(const Event& ev) {
  ++counts_.root_def;
  if (ev.root.value >= roots_.size()) roots_.resize(ev.root.value + 1);
  NamedRoot& r = roots_[ev.root.value];
  r.name = std::string(ev.text);
  r.line = ev.line;
}

// P: like I with an owner, the owner being a named root rather than an object.
void Model::root_ref(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.root_ref;
  bool reported = false;
  ObjSlot s = find_or_introduce(r, line, hint.addr, reported);
  Object& o = objects_[s.value];
  if (o.immortal()) return;
  if (o.refcount < INT64_MAX) ++o.refcount;
  if (r.a >= roots_.size()) roots_.resize(r.a + 1);  // defined by the reader before use
  edges_.add(roots_[r.a].holder, s.value, o.gen);
  ++o.held;
  ++root_edges_;
  if (r.value != 0) label_edge(LabelStore::kRootBit | r.a, s, LabelIdx(static_cast<uint32_t>(r.value)));
}

// U: like D with an owner. A root that holds no reference to the object is an owner-mismatch.
void Model::root_unref(const HeapRecord& r, uint64_t line, const Hint& hint) {
  ++counts_.root_unref;
  ObjSlot s = lookup(r.addr, hint.addr);
  if (!valid(s)) {
    anomaly(AnomalyKind::UnknownObject, r, line);
    return;
  }
  Object& o = objects_[s.value];
  if (o.immortal()) return;
  if (r.a < roots_.size() && edges_.remove_one(roots_[r.a].holder, s.value, o.gen)) {
    --o.held;
    --o.refcount;
    return;
  }
  anomalies_.add({AnomalyKind::OwnerMismatch, line, r.addr, r.b, 0, 0, true});
  if (o.external() > 0) --o.refcount;
}

size_t Model::memory_bytes() const {
  return objects_.memory_bytes() + addr_map_.memory_bytes() + edges_.memory_bytes() + labels_.memory_bytes();
}

}  // namespace refscope
