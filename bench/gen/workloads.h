// The three workloads refscope-gen-trace can write. Each takes its options and a writer whose preamble (header,
// metadata, declarations) is already written, and returns what it wrote, for --stats.
#pragma once

#include <cstdint>
#include <string>

#include "rng.h"
#include "trace_writer.h"

namespace refscope_bench {

enum class Workload { Mixed, Churn, Graph };

struct GenOptions {
  Workload workload = Workload::Mixed;
  std::string output = "-";
  uint64_t seed = 1;
  bool sampled = false;       // --refs sampled
  uint64_t events = 10000000;  // mixed: records to write (the run ends at the first step boundary past it)
  uint64_t live = 0;           // live-set size; 0: the workload's default
  double density = 3.0;        // owner references per object
  double leak_fraction = -1;   // < 0: the workload's default
  double roots = 0.001;        // graph: fraction of objects that are roots, older than the rest
  uint64_t marker_every = 0;   // records between markers; 0: the workload's default
  uint64_t gc_every = 0;       // records between GC brackets (mixed, exact); 0: none
  double garbage_cycles = 0.02;  // fraction of steps that make a cycle for the next GC bracket to collect
  double temp_refs = 1.0;      // mean external incref/decref pairs per step
  double observe = 0.01;       // fraction of steps that write an R record
  uint64_t immortals = 8;
  uint64_t anomalies = 0;      // mixed, exact: anomalies to inject, spread over the trace
  bool teardown = false;       // mixed: release and free every object at the end, leaks excepted
  uint64_t allocations = BENCH_CHURN_ALLOCATIONS;  // churn
  bool stats = false;
};

// What a run wrote; --stats prints it as key=value pairs, which run-benchmarks reads.
struct GenStats {
  uint64_t records = 0;      // every record after the header, declarations included
  uint64_t allocs = 0;
  uint64_t frees = 0;
  uint64_t live = 0;         // objects live at the end of the trace
  uint64_t owner_refs = 0;   // owner references (edges) live at the end
  uint64_t leaks_unowned = 0;
  uint64_t leaks_retained = 0;
  uint64_t leaks_cyclic = 0;
  uint64_t leaks_indirect = 0;
  uint64_t garbage_collected = 0;  // objects freed inside G..g brackets
  uint64_t gc_brackets = 0;
  uint64_t markers = 0;
  uint64_t anomalies[8] = {};  // injected, by kind (see kAnomalyKinds)
};

inline constexpr const char* kAnomalyKinds[8] = {
    "unknown-object",  "unknown-owner",     "owner-mismatch",   "refcount-underflow",
    "freed-while-referenced", "address-reused", "external-negative", "refcount-mismatch",
};

void run_churn(const GenOptions& options, TraceWriter& out, GenStats& stats);
void run_mixed(const GenOptions& options, TraceWriter& out, GenStats& stats);
void run_graph(const GenOptions& options, TraceWriter& out, GenStats& stats);

}  // namespace refscope_bench
