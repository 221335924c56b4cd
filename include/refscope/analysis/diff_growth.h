#pragma once
// Growth between two points: live objects and bytes by type and by allocation site at a point A and at a later
// point B, of one trace (two markers) or of two traces (each at its end). Rows are matched by name, so that two
// traces whose recorders numbered types differently still compare.
//
// Within one trace an object is the same object at A and B when it was live at A and not freed since, so each row
// also says how many objects were added (allocated after A, live at B) and removed (live at A, freed by B):
// growth = added - removed. Between two traces objects have no identity and only growth is known.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "refscope/model/model.h"
#include "refscope/reader/symbols.h"

namespace refscope {

struct LiveCell {
  uint64_t objects = 0, bytes = 0;
  uint64_t added_objects = 0, added_bytes = 0;  // made known after the line given to live_counts
};

struct LiveCounts {
  uint64_t line = 0;  // where the counts were taken
  LiveCell total;
  std::map<std::string, LiveCell> by_type, by_site;
};

// The live objects of the model now, by type name and by site ("file:line in function", "?" unknown). Objects
// whose line is after `added_after` count as added (pass UINT64_MAX for none).
LiveCounts live_counts(const Model& model, const SymbolTable& symbols, uint64_t added_after);

struct GrowthRow {
  std::string name;
  uint64_t objects_a = 0, objects_b = 0, bytes_a = 0, bytes_b = 0;
  std::optional<uint64_t> added_objects, added_bytes, removed_objects, removed_bytes;  // one trace only
  int64_t objects_growth() const { return static_cast<int64_t>(objects_b) - static_cast<int64_t>(objects_a); }
  int64_t bytes_growth() const { return static_cast<int64_t>(bytes_b) - static_cast<int64_t>(bytes_a); }
  // new (only at B), gone (only at A), grew, shrank (by bytes, then objects), same
  const char* status() const;
};

struct Growth {
  GrowthRow total;
  std::vector<GrowthRow> by_type, by_site;  // by bytes growth, then objects growth, descending; ties by name
};

// `same_trace`: B was counted in the same replay after A, with added_after = A's line.
Growth compare_live(const LiveCounts& a, const LiveCounts& b, bool same_trace);

// One side of a comparison.
struct DiffPoint {
  std::string trace;  // as given
  std::string point;  // marker text, empty: beginning (A) or end (B)
  uint64_t line = 0;
  bool beginning = false;  // A without --from: the trace's beginning, nothing live
};

// The result of `refscope diff`.
struct DiffResult {
  DiffPoint a, b;
  bool same_trace = true;
  Growth growth;
  size_t limit = 20;  // rows per table in text (0 = all); JSON and TSV list all
};

}  // namespace refscope
