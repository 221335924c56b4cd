#pragma once
// What a trace holds and what the replay found at a point: records by kind, live and peak objects and bytes, live
// objects by type, markers and anomalies. The result of `refscope summary`.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "refscope/analysis/result.h"
#include "refscope/model/anomaly.h"

namespace refscope {

struct TypeRow {
  std::string type;
  uint64_t objects = 0, bytes = 0;
};

struct AnomalyRow {
  AnomalyKind kind = AnomalyKind::UnknownObject;
  uint64_t line = 0, addr = 0;
  std::string message;  // what the record said and what the model did
};

struct AnomalySummary {
  uint64_t total = 0;
  std::array<uint64_t, kAnomalyKinds> by_kind{};
  std::vector<AnomalyRow> first;  // the first `keep`
  size_t keep = 0;

  static AnomalySummary of(const AnomalyLog& log);
};

// A named root (format 2) and what it holds.
struct RootRow {
  uint32_t id = 0;  // in the trace
  std::string name;
  uint64_t objects = 0, references = 0;
};

struct SummaryResult {
  TraceFacts trace;
  Point at;            // label empty: the end of the trace
  uint64_t lines = 0;  // the line of the last record replayed
  EventCounts events;
  uint64_t live_objects = 0, live_bytes = 0;
  uint64_t unmeasured_objects = 0;  // live, owning memory their size leaves out (format 2's `Z ... ?`)
  uint64_t peak_objects = 0, peak_objects_line = 0, peak_bytes = 0, peak_bytes_line = 0;
  uint64_t gc_frees = 0;
  std::vector<TypeRow> types;  // live, by bytes then objects, descending; ties in the order the trace defined them
  std::vector<MarkerRecord> markers;  // the first ones the model kept
  uint64_t markers_total = 0;
  AnomalySummary anomalies;
  // Format 2: the named roots that hold anything, most references first, and how many the trace defined.
  std::vector<RootRow> named_roots;
  uint64_t roots_defined = 0;
  size_t type_rows = 20;  // text: rows of the type table (0: all)
};

SummaryResult summarize(const Model& model, const SymbolTable& symbols, const TraceInfo& info);

}  // namespace refscope
