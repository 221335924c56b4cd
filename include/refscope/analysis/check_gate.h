#pragma once
// The leak gate of `refscope check`: which leak groups count against the limits, and whether they pass.
//
// A group counts when its kind is one of --fail-on, it is not suppressed (suppressed objects never reach a
// group), and what it measures goes beyond its baseline. What a group measures is the leak at the point P; under
// --repeat it is the group's growth over the iterations after the warm-up, and only groups that grew in every one
// of them count (regrtest -R: a cache that fills once is not a leak).
//
// The limits apply to the sum over counted groups. With neither --max-objects nor --max-bytes, any counted
// object fails; with one or both, the gate fails when a given limit is exceeded.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "refscope/analysis/leak_analysis.h"
#include "refscope/analysis/suppressions.h"

namespace refscope {

struct GateLimits {
  std::array<bool, kLeakKinds> fail_on{true, false, false, true};  // unowned, cyclic
  std::optional<uint64_t> max_objects, max_bytes;
};

struct BaselineEntry {
  uint64_t objects = 0, bytes = 0;
};

struct GateGroup {
  LeakGroup sample;               // at P (under --repeat: at the last iteration); 0 objects if gone by then
  uint64_t measured_objects = 0;  // at P, or the growth after the warm-up under --repeat
  int64_t measured_bytes = 0;
  std::vector<int64_t> growth;        // --repeat: objects added in each iteration (warm-up included)
  std::vector<int64_t> growth_bytes;  // likewise in bytes
  bool grew_every = true;             // --repeat: grew in every iteration after the warm-up
  std::optional<BaselineEntry> baseline;
  bool gated_kind = false;
  uint64_t counted_objects = 0, counted_bytes = 0;  // beyond the baseline; 0 unless the group counts
  bool fails = false;
};

struct GateResult {
  std::vector<GateGroup> groups;  // by counted bytes, measured bytes, bytes, objects, then lowest address, line
  uint64_t counted_objects = 0, counted_bytes = 0;
  size_t counted_groups = 0;
  bool pass = true;
  std::string reason;  // one line: why it passed or failed
};

struct GateInput {
  // The leaks at P, or under --repeat at the window start and at the end of each iteration (analyse_leaks).
  const std::vector<LeakAnalysis>* points = nullptr;
  size_t warmup = 0;  // --repeat only
  bool repeat = false;
  // By the portable identity of a group (LeakGroup::portable_id): groups of one function share an entry.
  const std::map<std::string, BaselineEntry>* baseline = nullptr;
};

GateResult evaluate_gate(const GateInput& in, const GateLimits& limits);

std::string kinds_list(const std::array<bool, kLeakKinds>& kinds);       // "unowned,cyclic"
std::array<bool, kLeakKinds> parse_kinds_list(const std::string& text);  // throws UsageError

// The result of `refscope check`: the gate's settings and inputs, the leaks at P and the verdict.
struct CheckResult {
  TraceFacts trace;
  Window window;
  std::vector<std::string> by;
  GateLimits limits;
  uint64_t line = 0;  // P (under --repeat: the last iteration's end)
  std::array<uint64_t, kLeakKinds> leaked_objects{}, leaked_bytes{};  // at P, not suppressed
  uint64_t suppressed_objects = 0, suppressed_bytes = 0;
  std::vector<Suppression> suppressions;  // every line given, with what it suppressed at P
  GateResult gate;
  std::string baseline_file;  // empty: none
  size_t baseline_groups = 0;
  std::string written_baseline;  // --write-baseline, empty: none
  std::string repeat_label;      // empty: no --repeat
  size_t warmup = 0;
  std::vector<uint64_t> iteration_lines;  // the line of each LABEL marker
  // Text lists every group the gate counts, and this many of the others, largest first (0: all). JSON, JUnit: all.
  size_t group_limit = 20;
};

}  // namespace refscope
