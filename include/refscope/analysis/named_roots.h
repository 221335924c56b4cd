#pragma once
// Which named roots (trace format 2) hold each object, for the results that show where a path starts or why an
// object is a root: `why`, the retained paths of `leaks`, `sharing` and their dot output name the holder
// ("held by sys.modules") rather than an address. Results carry the holds as RefState::named_roots
// (result.h); reports write them (report/objects.h).
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "refscope/model/model.h"
#include "refscope/reader/symbols.h"

namespace refscope {

struct RootHold {
  RootIdx root;
  uint32_t references = 0;
};

class NamedRootHolders {
 public:
  // Indexes every live reference the model's named roots hold.
  explicit NamedRootHolders(const Model& model);

  // The roots holding the object in `slot`, by root index; empty when none does.
  std::span<const RootHold> of(ObjSlot slot) const;
  bool empty() const { return holds_.empty(); }

 private:
  std::vector<RootHold> holds_;                                    // grouped by object
  std::unordered_map<uint32_t, std::pair<uint32_t, uint32_t>> at_;  // slot -> [begin, end) in holds_
};

// The named roots that hold anything, with the objects and references each holds: most references first, then
// by root index.
struct RootTotal {
  RootIdx root;
  uint64_t objects = 0, references = 0;
};
std::vector<RootTotal> named_root_totals(const Model& model);

}  // namespace refscope
