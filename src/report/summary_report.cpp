#include "refscope/report/summary_report.h"

#include <fmt/format.h>

#include "refscope/analysis/named_roots.h"
#include "refscope/analysis/type_totals.h"

namespace refscope {
namespace {

const char* refs_name(RefsMode m) { return m == RefsMode::Exact ? "exact" : "sampled"; }

}  // namespace

Json trace_json(const TraceInfo& info) {
  Json metadata = Json::object();
  for (const auto& [key, value] : info.metadata)
    if (!metadata.contains(key)) metadata[key] = value;  // the first of repeated keys
  return {{"path", info.path},
          {"version", info.version},
          {"refs", refs_name(info.refs)},
          {"encoding", info.encoding},
          {"truncated", info.truncated},
          {"metadata", metadata}};
}

Json anomalies_json(const AnomalyLog& log) {
  Json by_kind = Json::object();
  for (size_t k = 0; k < kAnomalyKinds; ++k)
    by_kind[std::string(anomaly_name(static_cast<AnomalyKind>(k)))] = log.count(static_cast<AnomalyKind>(k));
  Json first = Json::array();
  for (const Anomaly& a : log.first())
    first.push_back({{"kind", anomaly_name(a.kind)},
                     {"line", a.line},
                     {"address", hex_address(a.addr)},
                     {"message", describe(a)}});
  return {{"total", log.total()}, {"by_kind", by_kind}, {"first", first}};
}

std::string anomalies_text(const AnomalyLog& log) {
  std::string out = fmt::format("Anomalies: {}\n", grouped(log.total()));
  if (log.total() == 0) return out;
  Table kinds({{"kind"}, {"count", Table::Align::Right}});
  for (size_t k = 0; k < kAnomalyKinds; ++k)
    if (uint64_t n = log.count(static_cast<AnomalyKind>(k)))
      kinds.add({std::string(anomaly_name(static_cast<AnomalyKind>(k))), grouped(n)});
  out += kinds.text();
  Table first({{"line", Table::Align::Right}, {"kind"}, {"what happened"}});
  for (const Anomaly& a : log.first())
    first.add({std::to_string(a.line), std::string(anomaly_name(a.kind)), describe(a)});
  out += fmt::format("\n{} listed ({} shown at most; --max-anomalies N):\n", log.first().size(), log.keep());
  out += first.text();
  return out;
}

Json summary_json(const Replay& replay, const SummaryReportOptions& options) {
  const Model& m = replay.model();
  const EventCounts& c = m.counts();
  Json types = Json::array();
  for (const TypeTotal& t : live_by_type(m, replay.symbols().type_count()))
    types.push_back({{"type", replay.symbols().type_name(t.type)}, {"objects", t.objects}, {"bytes", t.bytes}});
  Json markers = Json::array();
  for (const MarkerRecord& mk : m.markers()) markers.push_back({{"label", mk.label}, {"line", mk.line}});
  Json doc = {
      {"schema", "refscope.summary/1"},
      {"trace", trace_json(replay.info())},
      {"at", options.at.empty() ? Json(nullptr) : Json(options.at)},
      {"lines", m.last_line()},
      {"events",
       {{"alloc", c.alloc},
        {"incref", c.incref},
        {"decref", c.decref},
        {"free", c.free},
        {"refcount", c.refcount},
        {"marker", c.marker},
        {"gc", c.gc}}},
      {"live", {{"objects", m.live_objects()}, {"bytes", m.live_bytes()}}},
      {"peak",
       {{"objects", m.peak_objects()},
        {"bytes", m.peak_bytes()},
        {"line", m.peak_bytes_line()},
        {"objects_line", m.peak_objects_line()}}},
      {"gc_frees", m.gc_frees()},
      {"types", types},
      {"markers", markers},
      {"markers_total", c.marker},
      {"anomalies", anomalies_json(m.anomalies())},
  };
  if (replay.info().version >= 2) {
    doc["events"]["root_def"] = c.root_def;
    doc["events"]["root_ref"] = c.root_ref;
    doc["events"]["root_unref"] = c.root_unref;
    Json roots = Json::array();
    for (const RootTotal& t : named_root_totals(m))
      roots.push_back({{"id", replay.symbols().root_trace_id(t.root)},
                       {"name", m.root(t.root).name},
                       {"objects", t.objects},
                       {"references", t.references}});
    doc["named_roots"] = std::move(roots);
  }
  return doc;
}

std::string summary_text(const Replay& replay, const SummaryReportOptions& options) {
  const Model& m = replay.model();
  const EventCounts& c = m.counts();
  const TraceInfo& info = replay.info();
  std::string out;
  out += fmt::format("Trace     {}\n", info.name);
  out += fmt::format("          format {}, {} references, {}, {} lines{}\n", info.version, refs_name(info.refs),
                     info.encoding, grouped(m.last_line()), info.truncated ? ", cut short" : "");
  if (!options.at.empty()) out += fmt::format("At        marker '{}' (line {})\n", options.at, options.at_line);
  for (const auto& [key, value] : info.metadata)
    if (key != "refs") out += fmt::format("          @ {} {}\n", key, value);
  out += "\nRecords\n";
  std::vector<Table::Column> columns{{"alloc", Table::Align::Right},  {"incref", Table::Align::Right},
                                     {"decref", Table::Align::Right}, {"free", Table::Align::Right},
                                     {"refcount", Table::Align::Right}, {"marker", Table::Align::Right},
                                     {"gc", Table::Align::Right}};
  std::vector<std::string> row{grouped(c.alloc),    grouped(c.incref), grouped(c.decref), grouped(c.free),
                               grouped(c.refcount), grouped(c.marker), grouped(c.gc)};
  bool v2 = info.version >= 2;
  if (v2) {
    columns.insert(columns.end(), {{"root", Table::Align::Right},
                                   {"root-ref", Table::Align::Right},
                                   {"root-release", Table::Align::Right}});
    row.insert(row.end(), {grouped(c.root_def), grouped(c.root_ref), grouped(c.root_unref)});
  }
  Table records(std::move(columns));
  records.add(std::move(row));
  out += records.text();
  out += fmt::format("\nLive      {}, {} ({})\n", counted(m.live_objects(), "object", "objects"),
                     human_bytes(m.live_bytes()), counted(m.live_bytes(), "byte", "bytes"));
  out += fmt::format("Peak      {} (line {}), {} (line {})\n", counted(m.peak_objects(), "object", "objects"),
                     m.peak_objects_line(), human_bytes(m.peak_bytes()), m.peak_bytes_line());
  if (c.gc > 0)
    out += fmt::format("Collector {} freed {}\n", counted(c.gc, "collection", "collections"),
                       counted(m.gc_frees(), "object", "objects"));

  auto types = live_by_type(m, replay.symbols().type_count());
  if (!types.empty()) {
    out += "\nLive objects by type\n";
    Table t({{"type"}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
    size_t shown = 0;
    uint64_t rest_objects = 0, rest_bytes = 0;
    for (const TypeTotal& tt : types) {
      if (options.type_limit != 0 && shown >= options.type_limit) {
        rest_objects += tt.objects;
        rest_bytes += tt.bytes;
        continue;
      }
      t.add({replay.symbols().type_name(tt.type), grouped(tt.objects), grouped(tt.bytes)});
      ++shown;
    }
    if (rest_objects > 0)
      t.add({fmt::format("({} more types)", types.size() - shown), grouped(rest_objects), grouped(rest_bytes)});
    out += t.text();
  }
  if (v2) {
    auto roots = named_root_totals(m);
    uint64_t references = 0;
    for (const RootTotal& t : roots) references += t.references;
    uint64_t defined = m.root_slots() > 0 ? m.root_slots() - 1 : 0;
    out += fmt::format("\nNamed roots: {} defined; {} {} {}\n", grouped(defined), grouped(roots.size()),
                       roots.size() == 1 ? "holds" : "hold", counted(references, "reference", "references"));
    if (!roots.empty()) {
      Table t({{"root"}, {"objects", Table::Align::Right}, {"references", Table::Align::Right}});
      constexpr size_t kShown = 20;
      for (size_t i = 0; i < roots.size() && i < kShown; ++i)
        t.add({m.root(roots[i].root).name, grouped(roots[i].objects), grouped(roots[i].references)});
      out += t.text();
      if (roots.size() > kShown)
        out += fmt::format("  ... {} more (--format json lists them)\n", grouped(roots.size() - kShown));
    }
  }
  if (c.marker > 0) {
    out += fmt::format("\nMarkers: {}\n", grouped(c.marker));
    Table t({{"line", Table::Align::Right}, {"label"}});
    constexpr size_t kShown = 20;
    const auto& markers = m.markers();
    for (size_t i = 0; i < markers.size() && i < kShown; ++i) t.add({std::to_string(markers[i].line), markers[i].label});
    out += t.text();
    if (c.marker > kShown) out += fmt::format("  ... {} more (--format json lists them)\n", grouped(c.marker - kShown));
  }
  out += "\n";
  out += anomalies_text(m.anomalies());
  return out;
}

}  // namespace refscope
