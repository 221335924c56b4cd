#include "refscope/report/baseline.h"

#include <nlohmann/json.hpp>

#include "refscope/report/json_writer.h"
#include "refscope/report/leak_report.h"
#include "refscope/util/error.h"
#include "refscope/util/file_text.h"

namespace refscope {
namespace {

using Json = nlohmann::json;

std::optional<std::string> optional_string(const Json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) throw TraceError(path, 0, std::string("baseline: \"") + key + "\" must be a string or null");
  return j[key].get<std::string>();
}

}  // namespace

Baseline load_baseline(const std::string& path) {
  Json doc = Json::parse(read_text_file(path, "the baseline (write one with --write-baseline)"), nullptr, false);
  if (doc.is_discarded()) throw TraceError(path, 0, "the baseline is not valid JSON");
  std::string schema = doc.is_object() ? doc.value("schema", "") : "";
  if (schema != "refscope.baseline/1" && schema != "refscope.baseline/2")
    throw TraceError(path, 0, "not a refscope baseline (expected \"schema\": \"refscope.baseline/2\")");
  Baseline b;
  b.schema = schema == "refscope.baseline/1" ? 1 : 2;
  std::map<std::string, BaselineEntry> sums;  // to refuse counts no check could compare with
  if (doc.contains("by") && doc["by"].is_array())
    for (const Json& d : doc["by"])
      if (d.is_string()) b.by.push_back(d.get<std::string>());
  if (!doc.contains("groups") || !doc["groups"].is_array())
    throw TraceError(path, 0, "baseline: \"groups\" must be an array");
  for (const Json& g : doc["groups"]) {
    if (!g.is_object()) throw TraceError(path, 0, "baseline: each group must be an object");
    GroupNames names;
    names.type = optional_string(g, "type", path);
    names.site = optional_string(g, "site", path);
    if (g.contains("stack") && g["stack"].is_array()) {
      std::vector<std::string> frames;
      for (const Json& f : g["stack"])
        if (f.is_string()) frames.push_back(f.get<std::string>());
      names.stack = std::move(frames);
    }
    auto kind = optional_string(g, "kind", path);
    if (!kind || !parse_leak_kind(*kind))
      throw TraceError(path, 0, "baseline: a group's \"kind\" must be unowned, retained, indirect or cyclic");
    names.kind = *kind;
    auto count = [&](const char* key) -> uint64_t {
      if (!g.contains(key) || !g[key].is_number_unsigned())
        throw TraceError(path, 0, std::string("baseline: a group's \"") + key + "\" must be a whole number");
      return g[key].get<uint64_t>();
    };
    BaselineEntry entry{count("objects"), count("bytes")};
    BaselineEntry& e = sums[group_identity(names)];
    // Groups of the same name add up; a sum beyond 2^64 - 1 is no count refscope can compare with.
    if (__builtin_add_overflow(e.objects, entry.objects, &e.objects) ||
        __builtin_add_overflow(e.bytes, entry.bytes, &e.bytes))
      throw TraceError(path, 0, "baseline: the counts of a group add up to more than 18446744073709551615");
    b.groups.emplace_back(std::move(names), entry);
  }
  return b;
}

std::map<std::string, BaselineEntry> Baseline::keyed(const SourcePaths& paths) const {
  std::map<std::string, BaselineEntry> out;
  for (const auto& [names, entry] : groups) {
    GroupNames key = names;
    if (schema == 1) {  // frames as reports label them: made portable here
      if (key.site) key.site = frame_key_of_label(*key.site, paths);
      if (key.stack)
        for (std::string& f : *key.stack) f = frame_key_of_label(f, paths);
    }
    BaselineEntry& e = out[group_identity(key)];
    // Version 1 groups at several lines of one function become one; counts that no longer fit saturate.
    if (__builtin_add_overflow(e.objects, entry.objects, &e.objects)) e.objects = UINT64_MAX;
    if (__builtin_add_overflow(e.bytes, entry.bytes, &e.bytes)) e.bytes = UINT64_MAX;
  }
  return out;
}

void baseline_json(const CheckResult& r, Output& out) {
  // Groups at several lines of one function share a portable name: one entry, their counts added up, in the
  // order of the gate's groups (largest first).
  std::vector<const GateGroup*> order;
  std::map<std::string, std::pair<uint64_t, int64_t>> sums;
  for (const GateGroup& g : r.gate.groups) {
    if (g.measured_objects == 0 && g.measured_bytes == 0) continue;
    auto [it, fresh] = sums.try_emplace(g.sample.portable_id, 0, 0);
    if (fresh) order.push_back(&g);
    it->second.first += g.measured_objects;
    it->second.second += g.measured_bytes;
  }
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.baseline/2").field("by", r.by).key("groups").begin_array();
  for (const GateGroup* g : order) {
    const auto& [objects, bytes] = sums[g->sample.portable_id];
    w.begin_object();
    group_fields(w, g->sample.portable);
    w.field("objects", objects).field("bytes", bytes).end_object();
  }
  w.end_array().end_object().finish();
}

}  // namespace refscope
