#include "refscope/report/sharing_report.h"

#include <fmt/format.h>

#include "refscope/analysis/named_roots.h"

namespace refscope {
namespace {

Json histogram_json(const std::vector<HistogramBucket>& h) {
  Json j = Json::object();
  for (const HistogramBucket& b : h) j[b.label] = b.objects;
  return j;
}

std::string refcount_cell(const Object& o) { return o.immortal() ? "immortal" : std::to_string(o.refcount); }

// The named roots holding an object, "sys.modules, builtins (2)"; "-" for none.
std::string roots_cell(const Model& m, std::span<const RootHold> holds) {
  std::string out;
  for (const RootHold& h : holds) {
    out += (out.empty() ? "" : ", ") + m.root(h.root).name;
    if (h.references > 1) out += fmt::format(" ({})", h.references);
  }
  return out.empty() ? "-" : out;
}

Table objects_table(const SharingResult& r, const Model& m, const SymbolTable& s, bool exact) {
  // Traces with named roots (format 2) get a column saying which hold each object.
  bool roots = m.has_root_edges();
  std::vector<Table::Column> columns{{"object"},
                                     {"type"},
                                     {"size", Table::Align::Right},
                                     {"refcount", Table::Align::Right},
                                     {"owners", Table::Align::Right},
                                     {"external", Table::Align::Right},
                                     {"retained", Table::Align::Right}};
  if (roots) columns.push_back({"named roots"});
  Table t(std::move(columns));
  NamedRootHolders holders(m);
  for (const SharedObject& so : r.objects) {
    const Object& o = m.object(so.slot);
    std::vector<std::string> row{object_name(o.addr, o.line), s.type_name(o.type),
                                 exact ? std::to_string(o.size) : human_bytes(o.size), refcount_cell(o),
                                 std::to_string(so.owners), o.immortal() ? "-" : std::to_string(o.external()),
                                 exact ? std::to_string(so.retained) : human_bytes(so.retained)};
    if (roots) row.push_back(roots_cell(m, holders.of(so.slot)));
    t.add(std::move(row));
  }
  return t;
}

}  // namespace

Json sharing_json(const SharingResult& r, const SharingReport& o, const Model& m, const SymbolTable& s) {
  Json by_type = Json::array(), objects = Json::array();
  for (const TypeSharing& t : r.by_type)
    by_type.push_back(
        {{"type", s.type_name(t.type)}, {"objects", t.objects}, {"references", t.references}, {"bytes", t.bytes}});
  NamedRootHolders holders(m);
  for (const SharedObject& so : r.objects) {
    const Object& x = m.object(so.slot);
    Json j = {{"address", hex_address(x.addr)}, {"line", x.line}, {"type", s.type_name(x.type)}, {"size", x.size}};
    if (x.immortal())
      j["immortal"] = true;
    else
      j["refcount"] = x.refcount;
    j["owners"] = so.owners;
    if (!x.immortal()) j["external"] = x.external();
    j["retained_bytes"] = so.retained;
    j["site"] = s.site_label(x.site);
    if (auto holds = holders.of(so.slot); !holds.empty()) {
      Json named = Json::array();
      for (const RootHold& h : holds)
        named.push_back({{"id", s.root_trace_id(h.root)}, {"name", m.root(h.root).name}, {"references", h.references}});
      j["named_roots"] = std::move(named);
    }
    objects.push_back(std::move(j));
  }
  return {{"schema", "refscope.sharing/1"},
          {"at", o.at.empty() ? Json(nullptr) : Json(o.at)},
          {"at_line", o.at_line},
          {"live_objects", r.live_objects},
          {"live_bytes", r.live_bytes},
          {"shared_objects", r.shared_objects},
          {"immortal_objects", r.immortal_objects},
          {"histogram", histogram_json(r.histogram)},
          {"owners_histogram", histogram_json(r.owners_histogram)},
          {"by_type", by_type},
          {"sort", o.sort == SharingSort::Refcount ? "refcount" : "retained"},
          {"candidates", r.candidates},
          {"objects", objects}};
}

std::string sharing_text(const SharingResult& r, const SharingReport& o, const Model& m, const SymbolTable& s) {
  std::string where = o.at.empty() ? fmt::format("at the end of the trace (line {})", o.at_line)
                                   : fmt::format("at marker '{}' (line {})", o.at, o.at_line);
  std::string out = fmt::format("Sharing {}: {} live objects, {}; {} shared (refcount 2 or more), {} immortal\n",
                                where, grouped(r.live_objects), human_bytes(r.live_bytes), grouped(r.shared_objects),
                                grouped(r.immortal_objects));
  auto histogram = [&](const char* title, const char* column, const std::vector<HistogramBucket>& h) {
    out += fmt::format("\n{}\n", title);
    Table t({{column, Table::Align::Right}, {"objects", Table::Align::Right}});
    for (const HistogramBucket& b : h) t.add({b.label, grouped(b.objects)});
    out += t.text();
  };
  histogram("Objects by refcount", "refcount", r.histogram);
  histogram("Objects by distinct owners (live objects holding a reference)", "owners", r.owners_histogram);
  if (!r.by_type.empty()) {
    out += "\nShared objects by type\n";
    Table t({{"type"},
             {"objects", Table::Align::Right},
             {"references", Table::Align::Right},
             {"bytes", Table::Align::Right}});
    size_t shown = 0;
    for (const TypeSharing& ts : r.by_type) {
      if (o.type_limit != 0 && shown == o.type_limit) {
        t.add({fmt::format("({} more types)", r.by_type.size() - shown), "", "", ""});
        break;
      }
      t.add({s.type_name(ts.type), grouped(ts.objects), grouped(ts.references), grouped(ts.bytes)});
      ++shown;
    }
    out += t.text();
  }
  const char* what = o.sort == SharingSort::Refcount ? "Most shared objects (by refcount)"
                                                     : "Objects retaining the most (by retained size)";
  out += fmt::format("\n{}: {} of {}{}\n", what, grouped(r.objects.size()), grouped(r.candidates),
                     r.objects.size() < r.candidates ? " (--limit N; 0 shows all)" : "");
  if (!r.objects.empty()) out += objects_table(r, m, s, false).text();
  return out;
}

std::string sharing_tsv(const SharingResult& r, const Model& m, const SymbolTable& s) {
  return objects_table(r, m, s, true).tsv();
}

}  // namespace refscope
