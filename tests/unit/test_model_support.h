#pragma once
// Helpers shared by the reader and model tests: a driver that feeds events built in code to a Model, a replay of a
// trace held in a string, and the model's invariants as one assertion.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "refscope/analysis/type_totals.h"
#include "refscope/model/model.h"
#include "refscope/reader/trace_reader.h"
#include "refscope/source/byte_source.h"
#include "refscope/util/error.h"

namespace refscope::testing {

// Builds events in code, one line each, and applies them. Line numbers start at 2 (line 1 would be the header).
class ModelDriver {
 public:
  explicit ModelDriver(RefsMode mode = RefsMode::Exact, ModelOptions options = {}) : model(options) {
    if (mode == RefsMode::Sampled) meta("refs", "sampled");
  }

  Model model;
  uint64_t line = 1;

  uint64_t A(uint64_t addr, uint64_t size = 16, uint32_t type = 0, uint32_t site = 0) {
    Event ev = make(RecordKind::Alloc, addr);
    ev.size = size;
    ev.type = TypeIdx(type);
    ev.site = StackIdx(site);
    return apply(ev);
  }
  uint64_t I(uint64_t addr, uint64_t owner = 0) {
    Event ev = make(RecordKind::Incref, addr);
    ev.owner = owner;
    return apply(ev);
  }
  uint64_t D(uint64_t addr, uint64_t owner = 0) {
    Event ev = make(RecordKind::Decref, addr);
    ev.owner = owner;
    return apply(ev);
  }
  uint64_t F(uint64_t addr) { return apply(make(RecordKind::Free, addr)); }
  uint64_t R(uint64_t addr, uint64_t count) {
    Event ev = make(RecordKind::Refcount, addr);
    ev.size = count;
    return apply(ev);
  }
  uint64_t R_immortal(uint64_t addr) {
    Event ev = make(RecordKind::Refcount, addr);
    ev.immortal = true;
    return apply(ev);
  }
  uint64_t M(const std::string& label) {
    text_ = label;
    Event ev = make(RecordKind::Marker, 0);
    ev.text = text_;
    return apply(ev);
  }
  uint64_t G(uint64_t generation) {
    Event ev = make(RecordKind::GcStart, 0);
    ev.size = generation;
    return apply(ev);
  }
  uint64_t g(uint64_t collected, uint64_t uncollectable) {
    Event ev = make(RecordKind::GcEnd, 0);
    ev.size = collected;
    ev.extra = uncollectable;
    return apply(ev);
  }
  uint64_t meta(const std::string& key, const std::string& value) {
    text_ = key;
    text2_ = value;
    Event ev = make(RecordKind::Meta, 0);
    ev.text = text_;
    ev.text2 = text2_;
    return apply(ev);
  }

  // --- Looking at the result ---
  bool live(uint64_t addr) const { return Model::valid(model.find(addr)); }
  const Object& obj(uint64_t addr) const {
    ObjSlot s = model.find(addr);
    if (!Model::valid(s)) throw std::runtime_error("no live object at that address");
    return model.object(s);
  }
  int64_t refcount(uint64_t addr) const { return obj(addr).refcount; }
  uint64_t external(uint64_t addr) const { return obj(addr).external(); }
  // Multiplicity of owner -> target among the owner's live edges.
  uint32_t edge(uint64_t owner, uint64_t target) const {
    uint32_t n = 0;
    ObjSlot t = model.find(target);
    model.for_each_edge(model.find(owner), [&](ObjSlot s, uint32_t count) {
      if (s == t) n += count;
    });
    return n;
  }
  size_t edge_count(uint64_t owner) const {
    size_t n = 0;
    model.for_each_edge(model.find(owner), [&](ObjSlot, uint32_t) { ++n; });
    return n;
  }
  uint64_t anomalies() const { return model.anomalies().total(); }
  uint64_t anomalies(AnomalyKind k) const { return model.anomalies().count(k); }
  const Anomaly& last_anomaly() const { return model.anomalies().first().back(); }

 private:
  Event make(RecordKind kind, uint64_t addr) {
    Event ev;
    ev.kind = kind;
    ev.addr = addr;
    ev.line = ++line;
    return ev;
  }
  uint64_t apply(const Event& ev) {
    model.apply(ev);
    return ev.line;
  }
  std::string text_, text2_;
};

// A trace in a string, read and replayed to its end.
struct Replayed {
  std::unique_ptr<TraceReader> reader;
  std::unique_ptr<Model> model;
};

inline std::unique_ptr<TraceReader> reader_for(std::string text, const std::string& name = "t.trace") {
  return std::make_unique<TraceReader>(open_memory(std::move(text), name), name);
}

inline Replayed replay_text(std::string text, ModelOptions options = {}) {
  Replayed r{reader_for(std::move(text)), std::make_unique<Model>(options)};
  Event ev;
  while (r.reader->next(ev)) r.model->apply(ev);
  return r;
}

// The error a trace gives, or a TraceError with line UINT64_MAX and message "no error" when it reads cleanly.
inline TraceError trace_error(std::string text) {
  try {
    replay_text(std::move(text));
  } catch (const TraceError& e) {
    return e;
  }
  return TraceError("t.trace", UINT64_MAX, "no error");
}

// What must hold after any sequence of events: refcounts never negative and never below the references live
// objects hold; each object's `held` equals the multiplicities of the live edges into it (named roots' included); live objects and bytes
// are the sums over live objects; the per-type totals add up to them; peaks are at least the current figures.
inline ::testing::AssertionResult invariants_hold(const Model& m, size_t type_count = 1) {
  uint64_t objects = 0, bytes = 0, unmeasured = 0;
  std::map<uint32_t, uint64_t> incoming;
  uint32_t max_type = 0;
  m.for_each_live([&](ObjSlot s, const Object& o) {
    ++objects;
    bytes += o.size;
    unmeasured += o.unmeasured() ? 1 : 0;
    max_type = std::max(max_type, o.type.value);
    m.for_each_edge(s, [&](ObjSlot t, uint32_t n) { incoming[t.value] += n; });
  });
  m.for_each_root_edge([&](RootIdx, ObjSlot t, uint32_t n) { incoming[t.value] += n; });
  std::string failure;
  m.for_each_live([&](ObjSlot s, const Object& o) {
    if (!failure.empty()) return;
    if (o.refcount < 0) failure = "negative refcount at 0x" + std::to_string(o.addr);
    else if (o.refcount < static_cast<int64_t>(o.held)) failure = "refcount below held at " + std::to_string(o.addr);
    else if (incoming[s.value] != o.held)
      failure = "held " + std::to_string(o.held) + " but live edges in " + std::to_string(incoming[s.value]) +
                " at " + std::to_string(o.addr);
  });
  if (!failure.empty()) return ::testing::AssertionFailure() << failure;
  if (objects != m.live_objects())
    return ::testing::AssertionFailure() << "live_objects " << m.live_objects() << " != " << objects;
  if (bytes != m.live_bytes())
    return ::testing::AssertionFailure() << "live_bytes " << m.live_bytes() << " != " << bytes;
  if (unmeasured != m.unmeasured_objects())
    return ::testing::AssertionFailure() << "unmeasured_objects " << m.unmeasured_objects() << " != " << unmeasured;
  uint64_t type_objects = 0, type_bytes = 0;
  for (const TypeTotal& t : live_by_type(m, std::max<size_t>(type_count, max_type + 1))) {
    type_objects += t.objects;
    type_bytes += t.bytes;
  }
  if (type_objects != objects || type_bytes != bytes)
    return ::testing::AssertionFailure() << "per-type totals " << type_objects << "/" << type_bytes
                                         << " do not add up to " << objects << "/" << bytes;
  if (m.peak_objects() < objects || m.peak_bytes() < bytes)
    return ::testing::AssertionFailure() << "peak below the current figures";
  return ::testing::AssertionSuccess();
}

}  // namespace refscope::testing
