#pragma once
// The leak pipeline, one for `leaks` and `check`: at the replay's current point, snapshot the graph, classify every
// window object (leak_classifier.h), leave out what the suppressions match, group the rest by type, site and/or
// stack and kind (leak_groups.h), and list the largest objects with the path that retains each. The result is
// finished: groups are named, objects and paths are ObjectRefs, nothing refers back to the model.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "refscope/analysis/leak_classifier.h"
#include "refscope/analysis/leak_groups.h"
#include "refscope/analysis/result.h"
#include "refscope/analysis/suppressions.h"

namespace refscope {

struct LeakOptions {
  uint64_t from_line = 0;  // the window: objects allocated after this line
  GroupBy by;
  bool list_objects = true;
  size_t limit = 20;  // objects listed, largest first (0: all)
  // Objects they match are left out of every figure but the suppressed ones; each line counts what it matched.
  SuppressionList* suppressions = nullptr;
  // Where the project root, stdlib and site directories are, for the groups' portable names (none: files as the
  // trace names them).
  const SourcePaths* paths = nullptr;
};

struct LeakObject {
  ObjectRef object;
  RefState state;
  LeakKind kind = LeakKind::Unowned;
  std::vector<ObjectRef> path;  // retained objects: from the older root that holds it to the object; else empty
  RefState path_root;           // the references of the path's first object (format 2: the named roots holding it)
};

struct LeakAnalysis {
  uint64_t line = 0;  // the point: the last line replayed
  std::array<uint64_t, kLeakKinds> objects{}, bytes{};  // window objects not suppressed, per kind
  uint64_t suppressed_objects = 0, suppressed_bytes = 0;
  std::vector<LeakGroup> groups;     // named; by bytes, then objects, descending; ties by lowest address, line
  std::vector<LeakObject> listed;    // by size descending, then address, then line; at most `limit`
  Names names;                       // of the listed objects and their paths

  uint64_t total_objects() const { return objects[0] + objects[1] + objects[2] + objects[3]; }
  uint64_t total_bytes() const { return bytes[0] + bytes[1] + bytes[2] + bytes[3]; }
};

LeakAnalysis analyse_leaks(const Model& model, const SymbolTable& symbols, const LeakOptions& options);

// The result of `refscope leaks`.
struct LeaksResult {
  TraceFacts trace;
  Window window;
  GroupBy by;
  size_t limit = 20;
  size_t group_limit = 20;  // groups in text, largest first (0: all); JSON and TSV give all
  LeakAnalysis leaks;
  std::optional<std::vector<Suppression>> suppressions;  // with --suppressions: each line and what it matched
};

}  // namespace refscope
