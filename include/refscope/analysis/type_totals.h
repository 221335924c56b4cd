#pragma once
// Live objects and bytes per type: the type table of `summary`, and the per-type invariant of the model tests.
#include <cstdint>
#include <vector>

#include "refscope/model/model.h"

namespace refscope {

struct TypeTotal {
  TypeIdx type;
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// Sorted by bytes, then objects, descending; ties by type index (the order the trace defined the types).
std::vector<TypeTotal> live_by_type(const Model& model, size_t type_count);

}  // namespace refscope
