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

// Leak groups at one point, named, with suppressed objects left out.
struct GroupSample {
  GroupNames names;
  LeakKind kind = LeakKind::Unowned;
  uint64_t objects = 0, bytes = 0;
  uint64_t first_addr = 0, first_line = 0;
};
struct PointSample {
  uint64_t line = 0;
  std::map<std::string, GroupSample> groups;  // by group_identity
  std::array<uint64_t, kLeakKinds> objects{}, bytes{};  // not suppressed, per kind
  uint64_t suppressed_objects = 0, suppressed_bytes = 0;
};
// Classifies the model's window and groups it; `suppressions` (may be null) count what they match.
PointSample sample_leaks(const Model& model, const SymbolTable& symbols, uint64_t from_line, GroupBy by,
                         SuppressionList* suppressions);

struct BaselineEntry {
  uint64_t objects = 0, bytes = 0;
};

struct GateGroup {
  GroupSample sample;             // at P (under --repeat: at the last iteration)
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
  std::vector<GateGroup> groups;  // by counted bytes, measured bytes, objects, then address
  uint64_t counted_objects = 0, counted_bytes = 0;
  size_t counted_groups = 0;
  bool pass = true;
  std::string reason;  // one line: why it passed or failed
};

struct GateInput {
  std::vector<PointSample> points;  // one (P), or under --repeat the window start and each iteration's end
  size_t warmup = 0;                // --repeat only
  bool repeat = false;
  const std::map<std::string, BaselineEntry>* baseline = nullptr;
};

GateResult evaluate_gate(const GateInput& in, const GateLimits& limits);

std::string kinds_list(const std::array<bool, kLeakKinds>& kinds);  // "unowned,cyclic"
std::array<bool, kLeakKinds> parse_kinds_list(const std::string& text);  // throws UsageError

}  // namespace refscope
