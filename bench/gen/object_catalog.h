// The types and stack nodes a synthetic trace declares, and how big objects of each type are.
//
// Sizes and the GC flag follow CPython 3.11 on 64-bit: the size is the object's own size (what `A` records), and a
// GC-tracked object lives 16 bytes into its block, after PyGC_Head.
#pragma once

#include <cstdint>

#include "rng.h"
#include "trace_writer.h"

namespace refscope_bench {

struct TypeInfo {
  uint32_t id;
  const char* name;
  bool gc_tracked;
  uint32_t weight;  // how common, out of 100, in the mixed and graph workloads
};

struct NewObject {
  uint32_t type;
  uint32_t size;
  uint32_t site;
  uint32_t block_bytes() const;  // size plus PyGC_Head for GC-tracked types
  uint64_t gc_offset() const;    // where the object starts in its block
};

class ObjectCatalog {
 public:
  static constexpr uint32_t kTypes = 10;
  static constexpr uint32_t kSites = 8;
  static constexpr uint32_t kDict = 1;   // the cache of retained leaks
  static constexpr uint32_t kInt = 5;    // immortal small ints

  static const TypeInfo& type(uint32_t id);
  // Writes the T and S records.
  static void write_declarations(TraceWriter& out);

  // An object as the mixed and graph workloads make them: type by weight, a size typical of that type, a site.
  static NewObject pick(bench_rng& meta, bench_rng& sizes);
  // An object of the churn workload: a size from bench_churn_size() (the same draw churn.c makes), any type.
  static NewObject pick_churn(bench_rng& meta, bench_rng& sizes);
  static NewObject of_type(uint32_t type, bench_rng& meta, bench_rng& sizes);
};

}  // namespace refscope_bench
