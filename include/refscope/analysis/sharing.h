#pragma once
// Sharing at a point: how references are spread over the live objects (refcount and distinct-owner histograms,
// shared objects by type), the most shared objects, and what each retains (dominator_tree.h).
//
// In CPython `y = x` shares one object, so a refcount of 2 or more is sharing; `owners` counts the distinct live
// objects that hold references to an object (a list holding x twice is one owner), and `external` the references
// no traced object holds. Histogram buckets double: 1, 2, 3-4, 5-8, 9-16, ...
#include <cstdint>
#include <string>
#include <vector>

#include "refscope/analysis/result.h"
#include "refscope/model/model.h"

namespace refscope {

enum class SharingSort { Refcount, Retained };

struct SharingOptions {
  size_t limit = 20;  // objects listed (0: all candidates)
  SharingSort sort = SharingSort::Refcount;
};

struct HistogramBucket {
  std::string label;  // "0", "1", "2", "3-4", ... or "immortal"
  uint64_t objects = 0;
};

struct TypeSharing {
  std::string type;
  uint64_t objects = 0;     // shared objects of this type
  uint64_t references = 0;  // the sum of their refcounts
  uint64_t bytes = 0;
};

struct SharedObject {
  ObjectRef object;
  RefState state;
  uint32_t owners = 0;  // distinct live objects holding a reference to it
  uint64_t retained = 0;
};

// The result of `refscope sharing`.
struct SharingResult {
  Point at;
  uint64_t live_objects = 0, live_bytes = 0;
  uint64_t shared_objects = 0;    // mortal live objects with refcount 2 or more
  uint64_t immortal_objects = 0;
  uint64_t candidates = 0;        // objects the list chooses from (before --limit)
  std::vector<HistogramBucket> histogram;         // by refcount, then "immortal"
  std::vector<HistogramBucket> owners_histogram;  // by distinct owners
  std::vector<TypeSharing> by_type;  // most shared objects first, then most references, then in the trace's order
  std::vector<SharedObject> objects;
  SharingSort sort = SharingSort::Refcount;
  size_t limit = 20;
  size_t type_rows = 20;  // text: rows of the by-type table (0: all); JSON lists all
  bool named_roots = false;  // format 2: named roots hold references (the objects table gets a column for them)
  Names names;
};

SharingResult analyse_sharing(const Model& model, const SymbolTable& symbols, const SharingOptions& options);

// The histogram bucket of a count: 0 -> 0, 1 -> 1, 2 -> 2, 3-4 -> 3, 5-8 -> 4, ...; and its label.
uint32_t sharing_bucket(uint64_t count);
std::string sharing_bucket_label(uint32_t bucket);

}  // namespace refscope
