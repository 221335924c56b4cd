#pragma once
// The `cycles` report: the garbage cycles live at a point and those CPython's collector freed before it.
#include <string>
#include <vector>

#include "refscope/analysis/collected_cycles.h"
#include "refscope/analysis/cycle_finder.h"
#include "refscope/reader/symbols.h"
#include "refscope/report/format.h"

namespace refscope {

struct CycleReport {
  std::string at;  // the marker, empty for the end of the trace
  uint64_t at_line = 0;
  uint64_t unreachable_objects = 0, unreachable_bytes = 0;
  std::vector<CycleDetail> cycles;  // all of them, in report order
  std::vector<CycleObject> other;   // unreachable, on no cycle, held by none
  uint64_t other_bytes = 0;
  const CollectedCycles* collected = nullptr;
  size_t limit = 20;  // text and dot: cycles shown (0: all); JSON lists all
};

Json cycles_json(const CycleReport& r, const SymbolTable& symbols);
// The same document written to stdout a cycle at a time, so that a heap with millions of garbage objects does not
// hold them all as JSON values at once.
void write_cycles_json(const CycleReport& r, const SymbolTable& symbols);
std::string cycles_text(const CycleReport& r, const SymbolTable& symbols);
std::string cycles_dot(const CycleReport& r, const SymbolTable& symbols);

}  // namespace refscope
