#include "refscope/analysis/summary.h"

#include "refscope/analysis/named_roots.h"
#include "refscope/analysis/type_totals.h"

namespace refscope {

AnomalySummary AnomalySummary::of(const AnomalyLog& log) {
  AnomalySummary a;
  a.total = log.total();
  for (size_t k = 0; k < kAnomalyKinds; ++k) a.by_kind[k] = log.count(static_cast<AnomalyKind>(k));
  for (const Anomaly& x : log.first()) a.first.push_back({x.kind, x.line, x.addr, describe(x)});
  a.keep = log.keep();
  return a;
}

SummaryResult summarize(const Model& m, const SymbolTable& symbols, const TraceInfo& info) {
  SummaryResult r;
  r.trace = TraceFacts::of(info, m);
  r.lines = m.last_line();
  r.at.line = m.last_line();
  r.events = m.counts();
  r.live_objects = m.live_objects();
  r.live_bytes = m.live_bytes();
  r.unmeasured_objects = m.unmeasured_objects();
  r.peak_objects = m.peak_objects();
  r.peak_objects_line = m.peak_objects_line();
  r.peak_bytes = m.peak_bytes();
  r.peak_bytes_line = m.peak_bytes_line();
  r.gc_frees = m.gc_frees();
  for (const TypeTotal& t : live_by_type(m, symbols.type_count()))
    r.types.push_back({symbols.type_name(t.type), t.objects, t.bytes});
  r.markers = m.markers();
  r.markers_total = m.counts().marker;
  r.anomalies = AnomalySummary::of(m.anomalies());
  for (const RootTotal& t : named_root_totals(m))
    r.named_roots.push_back({symbols.root_trace_id(t.root), m.root(t.root).name, t.objects, t.references});
  r.roots_defined = m.root_slots() > 0 ? m.root_slots() - 1 : 0;
  return r;
}

}  // namespace refscope
