#pragma once
// The `why` report: the chains of owners from roots to one object.
#include <string>

#include "refscope/analysis/graph.h"
#include "refscope/analysis/why_paths.h"
#include "refscope/model/model.h"
#include "refscope/reader/symbols.h"
#include "refscope/report/format.h"

namespace refscope {

struct WhyReport {
  std::string at;  // the marker, empty for the end of the trace
  uint64_t at_line = 0;
  ObjSlot target;
  std::string chosen_by;  // how the target was picked ("0x..@N", or "largest of type T, 1 of N")
  size_t max_paths = 5;
  bool on_cycle = false;  // the target is on a cycle (said when no root reaches it)
};

Json why_json(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s);
std::string why_text(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s);
std::string why_dot(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s);

}  // namespace refscope
