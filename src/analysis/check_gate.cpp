#include "refscope/analysis/check_gate.h"

#include <fmt/format.h>

#include <algorithm>

#include "refscope/util/error.h"
#include "refscope/util/words.h"

namespace refscope {

namespace {

// What a group measures beyond its baseline. A baseline file can hold any count: compared as unsigned numbers.
uint64_t beyond(int64_t measured, uint64_t base) {
  if (measured <= 0) return 0;
  auto m = static_cast<uint64_t>(measured);
  return m > base ? m - base : 0;
}

std::string limit_text(const GateLimits& l) {
  if (!l.max_objects && !l.max_bytes) return "no leak allowed";
  std::string out;
  if (l.max_objects) out = fmt::format("at most {} objects", *l.max_objects);
  if (l.max_bytes) out += fmt::format("{}at most {} bytes", out.empty() ? "" : " and ", *l.max_bytes);
  return out;
}

}  // namespace

GateResult evaluate_gate(const GateInput& in, const GateLimits& limits) {
  GateResult r;
  const std::vector<LeakAnalysis>& points = *in.points;
  // Each point's groups by identity.
  std::vector<std::map<std::string, const LeakGroup*>> by_id(points.size());
  for (size_t i = 0; i < points.size(); ++i)
    for (const LeakGroup& g : points[i].groups) by_id[i].emplace(g.id, &g);
  const auto& last = by_id.back();
  // Every group seen at any point: under --repeat a group may be gone by the end.
  std::map<std::string, GateGroup> all;
  for (const auto& groups : by_id)
    for (const auto& [id, g] : groups) {
      GateGroup& gate = all[id];
      if (gate.sample.id.empty()) {
        gate.sample = *g;
        gate.sample.objects = gate.sample.bytes = 0;
      }
    }
  for (auto& entry : all) {
    // Named, not a structured binding: clang 14 cannot capture a binding in a lambda.
    const auto& id = entry.first;
    GateGroup& g = entry.second;
    auto at = [&](size_t i) -> std::pair<int64_t, int64_t> {
      auto it = by_id[i].find(id);
      if (it == by_id[i].end()) return {0, 0};
      return {static_cast<int64_t>(it->second->objects), static_cast<int64_t>(it->second->bytes)};
    };
    if (auto it = last.find(id); it != last.end()) g.sample = *it->second;
    if (in.repeat) {
      for (size_t i = 1; i < points.size(); ++i) {
        auto [o1, b1] = at(i);
        auto [o0, b0] = at(i - 1);
        g.growth.push_back(o1 - o0);
        g.growth_bytes.push_back(b1 - b0);
        if (i > in.warmup && !(o1 - o0 > 0 || (o1 == o0 && b1 - b0 > 0))) g.grew_every = false;
      }
      auto [on, bn] = at(points.size() - 1);
      auto [ok, bk] = at(in.warmup);
      g.measured_objects = static_cast<uint64_t>(std::max<int64_t>(0, on - ok));
      g.measured_bytes = std::max<int64_t>(0, bn - bk);
    } else {
      g.measured_objects = g.sample.objects;
      g.measured_bytes = static_cast<int64_t>(g.sample.bytes);
    }
    if (in.baseline) {
      if (auto b = in.baseline->find(g.sample.portable_id); b != in.baseline->end()) g.baseline = b->second;
    }
    g.gated_kind = limits.fail_on[static_cast<size_t>(g.sample.key.kind)];
    r.groups.push_back(std::move(g));
  }
  // A baseline entry names a function, not a line: groups at several lines of one function share its counts, each
  // taking what the ones before it (by identity) left.
  std::map<std::string, BaselineEntry> left;
  if (in.baseline) left = *in.baseline;
  for (GateGroup& g : r.groups) {
    if (!g.gated_kind || !g.grew_every) continue;
    BaselineEntry none, &base = g.baseline ? left[g.sample.portable_id] : none;
    g.counted_objects = beyond(static_cast<int64_t>(g.measured_objects), base.objects);
    g.counted_bytes = beyond(g.measured_bytes, base.bytes);
    base.objects -= std::min<uint64_t>(base.objects, g.measured_objects);
    base.bytes -= std::min<uint64_t>(base.bytes, static_cast<uint64_t>(std::max<int64_t>(0, g.measured_bytes)));
    r.counted_objects += g.counted_objects;
    r.counted_bytes += g.counted_bytes;
    if (g.counted_objects || g.counted_bytes) ++r.counted_groups;
  }
  bool over;
  if (!limits.max_objects && !limits.max_bytes)
    over = r.counted_objects > 0 || r.counted_bytes > 0;
  else
    over = (limits.max_objects && r.counted_objects > *limits.max_objects) ||
           (limits.max_bytes && r.counted_bytes > *limits.max_bytes);
  r.pass = !over;
  for (GateGroup& g : r.groups) g.fails = over && (g.counted_objects > 0 || g.counted_bytes > 0);
  std::sort(r.groups.begin(), r.groups.end(), [](const GateGroup& a, const GateGroup& b) {
    if (a.counted_bytes != b.counted_bytes) return a.counted_bytes > b.counted_bytes;
    if (a.measured_bytes != b.measured_bytes) return a.measured_bytes > b.measured_bytes;
    if (a.sample.bytes != b.sample.bytes) return a.sample.bytes > b.sample.bytes;
    if (a.sample.objects != b.sample.objects) return a.sample.objects > b.sample.objects;
    if (a.sample.first_addr != b.sample.first_addr) return a.sample.first_addr < b.sample.first_addr;
    return a.sample.first_line < b.sample.first_line;
  });

  std::string kinds = kinds_list(limits.fail_on);
  std::string what = in.repeat ? "grew in every iteration after the warm-up" : "leaked";
  std::string qualifier = in.baseline ? " beyond the baseline" : "";
  if (r.counted_groups == 0)
    r.reason = fmt::format("no {} objects {}{}", kinds, what, qualifier);
  else
    r.reason = fmt::format("{} {} objects ({} bytes) in {} group{} {}{}", r.counted_objects, kinds, r.counted_bytes,
                           r.counted_groups, r.counted_groups == 1 ? "" : "s", what, qualifier);
  r.reason = fmt::format("{}: {}; limit: {}", r.pass ? "PASS" : "FAIL", r.reason, limit_text(limits));
  return r;
}

std::string kinds_list(const std::array<bool, kLeakKinds>& kinds) {
  std::string out;
  for (size_t k = 0; k < kLeakKinds; ++k)
    if (kinds[k]) out += (out.empty() ? "" : ",") + std::string(leak_kind_name(static_cast<LeakKind>(k)));
  return out.empty() ? "(no kinds)" : out;
}

std::array<bool, kLeakKinds> parse_kinds_list(const std::string& text) {
  std::array<bool, kLeakKinds> kinds{};
  bool any = false;
  for (const std::string& word : comma_words(text)) {
    if (word == "all") {
      kinds.fill(true);
    } else if (auto k = parse_leak_kind(word)) {
      kinds[static_cast<size_t>(*k)] = true;
    } else {
      throw UsageError("--fail-on: expected unowned, retained, indirect, cyclic or all, not '" + word + "'");
    }
    any = true;
  }
  if (!any) throw UsageError("--fail-on needs at least one kind (unowned, retained, indirect, cyclic or all)");
  return kinds;
}

}  // namespace refscope
