#pragma once
// The result of `refscope cycles`: the garbage at a point (the live objects no root reaches, as cycles with what
// each holds, and the rest), and the cycles CPython's collector freed before it (collected_cycles.h).
#include <cstdint>
#include <vector>

#include "refscope/analysis/collected_cycles.h"
#include "refscope/analysis/cycle_finder.h"
#include "refscope/analysis/result.h"

namespace refscope {

struct CyclesResult {
  Point at;
  uint64_t unreachable_objects = 0, unreachable_bytes = 0;
  std::vector<CycleDetail> cycles;  // by total bytes, largest first (cycle_finder.h)
  std::vector<ObjectRef> other;     // unreachable, on no cycle, held by none; by address then line
  uint64_t other_bytes = 0;
  CollectedSummary collected;
  size_t limit = 20;  // text and dot: cycles shown, live and collected each (0: all); JSON lists all
  Names names;
};

// Fills in the garbage of the model as it stands now, naming objects with `namer`.
void find_garbage(const Model& model, Namer& namer, CyclesResult& r);

}  // namespace refscope
