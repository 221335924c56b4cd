#include "refscope/report/sharing_report.h"

#include <fmt/format.h>

#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/objects.h"

namespace refscope {
namespace {

void histogram_json(JsonWriter& w, const std::vector<HistogramBucket>& h) {
  w.begin_object();
  for (const HistogramBucket& b : h) w.field(b.label, b.objects);
  w.end_object();
}

std::string refcount_cell(const RefState& s) { return s.immortal ? "immortal" : std::to_string(s.refcount); }

// The named roots holding an object, "sys.modules, builtins (2)"; "-" for none.
std::string roots_cell(const RefState& s, const Names& names) {
  std::string out;
  for (const NamedHold& h : s.named_roots) {
    out += (out.empty() ? "" : ", ") + names[h.name];
    if (h.references > 1) out += fmt::format(" ({})", h.references);
  }
  return out.empty() ? "-" : out;
}

Table objects_table(const SharingResult& r, bool exact) {
  std::vector<Table::Column> columns{{"object"},
                                     {"type", Table::Align::Left, false, true},
                                     {"size", Table::Align::Right},
                                     {"refcount", Table::Align::Right},
                                     {"owners", Table::Align::Right},
                                     {"external", Table::Align::Right},
                                     {"retained", Table::Align::Right}};
  // Traces with named roots (format 2) get a column saying which hold each object.
  if (r.named_roots) columns.push_back({"named roots"});
  Table t(std::move(columns));
  for (const SharedObject& so : r.objects) {
    const ObjectRef& o = so.object;
    std::vector<std::string> row{object_name(o.addr, o.line), r.names[o.type],
                                 exact ? std::to_string(o.size) : human_bytes(o.size), refcount_cell(so.state),
                                 std::to_string(so.owners), so.state.immortal ? "-" : std::to_string(so.state.external),
                                 exact ? std::to_string(so.retained) : human_bytes(so.retained)};
    if (r.named_roots) row.push_back(roots_cell(so.state, r.names));
    t.add(std::move(row));
  }
  return t;
}

}  // namespace

void sharing_json(const SharingResult& r, Output& out) {
  JsonWriter w(out);
  w.begin_object()
      .field("schema", "refscope.sharing/1")
      .label_field("at", r.at.label)
      .field("at_line", r.at.line)
      .field("live_objects", r.live_objects)
      .field("live_bytes", r.live_bytes)
      .field("shared_objects", r.shared_objects)
      .field("immortal_objects", r.immortal_objects);
  w.key("histogram");
  histogram_json(w, r.histogram);
  w.key("owners_histogram");
  histogram_json(w, r.owners_histogram);
  w.key("by_type").begin_array();
  for (const TypeSharing& t : r.by_type)
    w.begin_object()
        .field("type", t.type)
        .field("objects", t.objects)
        .field("references", t.references)
        .field("bytes", t.bytes)
        .end_object();
  w.end_array();
  w.field("sort", r.sort == SharingSort::Refcount ? "refcount" : "retained").field("candidates", r.candidates);
  w.key("objects").begin_array();
  for (const SharedObject& so : r.objects) {
    w.begin_object();
    object_fields(w, so.object, r.names);
    state_fields(w, so.state, r.names);
    w.field("owners", so.owners).field("retained_bytes", so.retained).end_object();
  }
  w.end_array().end_object().finish();
}

void sharing_text(const SharingResult& r, Output& out) {
  std::string s = wrap_prose(fmt::format("Sharing {}: {} live objects, {}; {} shared (refcount 2 or more), {} immortal",
                                         point_text(r.at), grouped(r.live_objects), human_bytes(r.live_bytes),
                                         grouped(r.shared_objects), grouped(r.immortal_objects))) + "\n";
  auto histogram = [&](const char* title, const char* column, const std::vector<HistogramBucket>& h) {
    s += fmt::format("\n{}\n", title);
    Table t({{column, Table::Align::Right}, {"objects", Table::Align::Right}});
    for (const HistogramBucket& b : h) t.add({b.label, grouped(b.objects)});
    s += t.text();
  };
  histogram("Objects by refcount", "refcount", r.histogram);
  histogram("Objects by distinct owners (live objects holding a reference)", "owners", r.owners_histogram);
  if (!r.by_type.empty()) {
    s += "\nShared objects by type\n";
    Table t({{"type", Table::Align::Left, false, true},
             {"objects", Table::Align::Right},
             {"references", Table::Align::Right},
             {"bytes", Table::Align::Right}});
    size_t shown = 0;
    for (const TypeSharing& ts : r.by_type) {
      if (r.type_rows != 0 && shown == r.type_rows) {
        t.add({fmt::format("({} more types)", r.by_type.size() - shown), "", "", ""});
        break;
      }
      t.add({ts.type, grouped(ts.objects), grouped(ts.references), grouped(ts.bytes)});
      ++shown;
    }
    s += t.text();
  }
  const char* what = r.sort == SharingSort::Refcount ? "Most shared objects (by refcount)"
                                                     : "Objects retaining the most (by retained size)";
  s += fmt::format("\n{}: {} of {}{}\n", what, grouped(r.objects.size()), grouped(r.candidates),
                   r.objects.size() < r.candidates ? " (--limit N; 0 shows all)" : "");
  if (!r.objects.empty()) s += objects_table(r, false).text();
  out.write(s);
}

void sharing_tsv(const SharingResult& r, Output& out) { out.write(objects_table(r, true).tsv()); }

}  // namespace refscope
