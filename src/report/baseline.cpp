#include "refscope/report/baseline.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "refscope/report/leak_report.h"
#include "refscope/util/error.h"

namespace refscope {
namespace {

std::optional<std::string> optional_string(const Json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) throw TraceError(path, 0, std::string("baseline: \"") + key + "\" must be a string or null");
  return j[key].get<std::string>();
}

}  // namespace

Baseline load_baseline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceError(path, 0, "cannot open the baseline (write one with --write-baseline)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  Json doc = Json::parse(buffer.str(), nullptr, false);
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
    e.objects += count("objects");
    e.bytes += count("bytes");
  }
  return b;
}

Json baseline_json(const GateResult& result, const std::vector<std::string>& by) {
  Json groups = Json::array();
  for (const GateGroup& g : result.groups) {
    if (g.measured_objects == 0 && g.measured_bytes == 0) continue;
    Json j = group_keys_json(g.sample.names);
    j["objects"] = g.measured_objects;
    j["bytes"] = g.measured_bytes;
    groups.push_back(std::move(j));
  }
  return {{"schema", "refscope.baseline/1"}, {"by", by}, {"groups", std::move(groups)}};
}

void write_text_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw UsageError("cannot write '" + path + "'");
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw UsageError("could not write all of '" + path + "'");
}

}  // namespace refscope
