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
  if (!doc.is_object() || doc.value("schema", "") != "refscope.baseline/1")
    throw TraceError(path, 0, "not a refscope baseline (expected \"schema\": \"refscope.baseline/1\")");
  Baseline b;
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
    BaselineEntry& e = b.groups[group_identity(names)];
    // Groups of the same name add up; a sum beyond 2^64 - 1 is no count refscope can compare with.
    if (__builtin_add_overflow(e.objects, count("objects"), &e.objects) ||
        __builtin_add_overflow(e.bytes, count("bytes"), &e.bytes))
      throw TraceError(path, 0, "baseline: the counts of a group add up to more than 18446744073709551615");
  }
  return b;
}

void baseline_json(const CheckResult& r, Output& out) {
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.baseline/1").field("by", r.by).key("groups").begin_array();
  for (const GateGroup& g : r.gate.groups) {
    if (g.measured_objects == 0 && g.measured_bytes == 0) continue;
    w.begin_object();
    group_fields(w, g.sample.names);
    w.field("objects", g.measured_objects).field("bytes", g.measured_bytes).end_object();
  }
  w.end_array().end_object().finish();
}

}  // namespace refscope
