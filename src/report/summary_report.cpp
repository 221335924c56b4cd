#include "refscope/report/summary_report.h"

#include <fmt/format.h>

#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/objects.h"
#include "refscope/util/printable.h"

namespace refscope {
namespace {

const char* refs_name(RefsMode m) { return m == RefsMode::Exact ? "exact" : "sampled"; }

std::string anomalies_text(const AnomalySummary& a) {
  std::string out = fmt::format("Anomalies: {}\n", grouped(a.total));
  if (a.total == 0) return out;
  Table kinds({{"kind"}, {"count", Table::Align::Right}});
  for (size_t k = 0; k < kAnomalyKinds; ++k)
    if (a.by_kind[k]) kinds.add({std::string(anomaly_name(static_cast<AnomalyKind>(k))), grouped(a.by_kind[k])});
  out += kinds.text();
  Table first({{"line", Table::Align::Right}, {"kind"}, {"what happened"}});
  for (const AnomalyRow& row : a.first) first.add({std::to_string(row.line), std::string(anomaly_name(row.kind)), row.message});
  out += fmt::format("\n{} listed ({} shown at most; --max-anomalies N):\n", a.first.size(), a.keep);
  out += first.text();
  return out;
}

}  // namespace

void summary_json(const SummaryResult& r, Output& out) {
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.summary/1");
  w.key("trace");
  trace_json(w, r.trace);
  w.label_field("at", r.at.label).field("lines", r.lines);
  const EventCounts& c = r.events;
  w.key("events")
      .begin_object()
      .field("alloc", c.alloc)
      .field("incref", c.incref)
      .field("decref", c.decref)
      .field("free", c.free)
      .field("refcount", c.refcount)
      .field("marker", c.marker)
      .field("gc", c.gc);
  bool v2 = r.trace.version >= 2;
  if (v2) {
    w.field("root_def", c.root_def).field("root_ref", c.root_ref).field("root_unref", c.root_unref);
    w.field("resize", c.resize).field("label", c.label).field("name", c.name);
  }
  w.end_object();
  w.key("live").begin_object().field("objects", r.live_objects).field("bytes", r.live_bytes);
  if (v2) w.field("unmeasured_objects", r.unmeasured_objects);
  w.end_object();
  w.key("peak")
      .begin_object()
      .field("objects", r.peak_objects)
      .field("bytes", r.peak_bytes)
      .field("line", r.peak_bytes_line)
      .field("objects_line", r.peak_objects_line)
      .end_object();
  w.field("gc_frees", r.gc_frees);
  w.key("types").begin_array();
  for (const TypeRow& t : r.types)
    w.begin_object().field("type", t.type).field("objects", t.objects).field("bytes", t.bytes).end_object();
  w.end_array();
  w.key("markers").begin_array();
  for (const MarkerRecord& m : r.markers) w.begin_object().field("label", m.label).field("line", m.line).end_object();
  w.end_array();
  w.field("markers_total", r.markers_total);
  w.key("anomalies").begin_object().field("total", r.anomalies.total);
  w.key("by_kind").begin_object();
  for (size_t k = 0; k < kAnomalyKinds; ++k) w.field(anomaly_name(static_cast<AnomalyKind>(k)), r.anomalies.by_kind[k]);
  w.end_object();
  w.key("first").begin_array();
  for (const AnomalyRow& a : r.anomalies.first)
    w.begin_object()
        .field("kind", anomaly_name(a.kind))
        .field("line", a.line)
        .field("address", hex_address(a.addr))
        .field("message", a.message)
        .end_object();
  w.end_array().end_object();
  if (v2) {
    w.key("named_roots").begin_array();
    for (const RootRow& root : r.named_roots)
      w.begin_object()
          .field("id", root.id)
          .field("name", root.name)
          .field("objects", root.objects)
          .field("references", root.references)
          .end_object();
    w.end_array();
  }
  w.end_object().finish();
}

void summary_text(const SummaryResult& r, Output& out) {
  const TraceFacts& t = r.trace;
  const EventCounts& c = r.events;
  std::string s;
  s += fmt::format("Trace     {}\n", printable(t.name));
  s += fmt::format("          format {}, {} references, {}, {} lines{}\n", t.version, refs_name(t.refs), t.encoding,
                   grouped(r.lines), t.truncated ? ", cut short" : "");
  if (!r.at.label.empty()) s += fmt::format("At        marker '{}' (line {})\n", printable(r.at.label), r.at.line);
  for (const auto& [key, value] : t.metadata)
    if (key != "refs") s += fmt::format("          @ {} {}\n", printable(key), printable(value));
  s += "\nRecords\n";
  std::vector<Table::Column> columns{{"alloc", Table::Align::Right},  {"incref", Table::Align::Right},
                                     {"decref", Table::Align::Right}, {"free", Table::Align::Right},
                                     {"refcount", Table::Align::Right}, {"marker", Table::Align::Right},
                                     {"gc", Table::Align::Right}};
  std::vector<std::string> row{grouped(c.alloc),    grouped(c.incref), grouped(c.decref), grouped(c.free),
                               grouped(c.refcount), grouped(c.marker), grouped(c.gc)};
  bool v2 = t.version >= 2;
  if (v2) {
    columns.insert(columns.end(), {{"root", Table::Align::Right},
                                   {"root-ref", Table::Align::Right},
                                   {"root-release", Table::Align::Right},
                                   {"size", Table::Align::Right},
                                   {"label", Table::Align::Right},
                                   {"name", Table::Align::Right}});
    row.insert(row.end(), {grouped(c.root_def), grouped(c.root_ref), grouped(c.root_unref), grouped(c.resize),
                           grouped(c.label), grouped(c.name)});
  }
  Table records(std::move(columns));
  records.add(std::move(row));
  s += records.text();
  s += fmt::format("\nLive      {}, {} ({})\n", counted(r.live_objects, "object", "objects"), human_bytes(r.live_bytes),
                   counted(r.live_bytes, "byte", "bytes"));
  if (r.unmeasured_objects > 0)
    s += fmt::format("          {} {} memory the recorder could not measure: counted at {} own size\n",
                     counted(r.unmeasured_objects, "object", "objects"), r.unmeasured_objects == 1 ? "owns" : "own",
                     r.unmeasured_objects == 1 ? "its" : "their");
  s += fmt::format("Peak      {} (line {}), {} (line {})\n", counted(r.peak_objects, "object", "objects"),
                   r.peak_objects_line, human_bytes(r.peak_bytes), r.peak_bytes_line);
  if (c.gc > 0)
    s += fmt::format("Collector {} freed {}\n", counted(c.gc, "collection", "collections"),
                     counted(r.gc_frees, "object", "objects"));
  if (!r.types.empty()) {
    s += "\nLive objects by type\n";
    Table table({{"type", Table::Align::Left, false, true}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
    size_t shown = 0;
    uint64_t rest_objects = 0, rest_bytes = 0;
    for (const TypeRow& row : r.types) {
      if (r.type_rows != 0 && shown >= r.type_rows) {
        rest_objects += row.objects;
        rest_bytes += row.bytes;
        continue;
      }
      table.add({row.type, grouped(row.objects), grouped(row.bytes)});
      ++shown;
    }
    if (rest_objects > 0)
      table.add({fmt::format("({} more types)", r.types.size() - shown), grouped(rest_objects), grouped(rest_bytes)});
    s += table.text();
  }
  if (v2) {
    uint64_t references = 0;
    for (const RootRow& root : r.named_roots) references += root.references;
    s += fmt::format("\nNamed roots: {} defined; {} {} {}\n", grouped(r.roots_defined), grouped(r.named_roots.size()),
                     r.named_roots.size() == 1 ? "holds" : "hold", counted(references, "reference", "references"));
    if (!r.named_roots.empty()) {
      Table table({{"root"}, {"objects", Table::Align::Right}, {"references", Table::Align::Right}});
      constexpr size_t kShown = 20;
      for (size_t i = 0; i < r.named_roots.size() && i < kShown; ++i)
        table.add({r.named_roots[i].name, grouped(r.named_roots[i].objects), grouped(r.named_roots[i].references)});
      s += table.text();
      if (r.named_roots.size() > kShown)
        s += fmt::format("  ... {} more (--format json lists them)\n", grouped(r.named_roots.size() - kShown));
    }
  }
  if (r.markers_total > 0) {
    s += fmt::format("\nMarkers: {}\n", grouped(r.markers_total));
    Table table({{"line", Table::Align::Right}, {"label"}});
    constexpr size_t kShown = 20;
    for (size_t i = 0; i < r.markers.size() && i < kShown; ++i)
      table.add({std::to_string(r.markers[i].line), r.markers[i].label});
    s += table.text();
    if (r.markers_total > kShown)
      s += fmt::format("  ... {} more (--format json lists them)\n", grouped(r.markers_total - kShown));
  }
  s += "\n";
  s += anomalies_text(r.anomalies);
  out.write(s);
}

}  // namespace refscope
