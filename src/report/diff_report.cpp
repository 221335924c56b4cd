#include "refscope/report/diff_report.h"

#include <fmt/format.h>

#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/util/printable.h"

namespace refscope {
namespace {

void row_fields(JsonWriter& w, const GrowthRow& r) {
  w.field("status", r.status())
      .field("objects_a", r.objects_a)
      .field("objects_b", r.objects_b)
      .field("objects_growth", r.objects_growth())
      .field("bytes_a", r.bytes_a)
      .field("bytes_b", r.bytes_b)
      .field("bytes_growth", r.bytes_growth())
      .field("added_objects", r.added_objects)
      .field("added_bytes", r.added_bytes)
      .field("removed_objects", r.removed_objects)
      .field("removed_bytes", r.removed_bytes);
}

void point_json(JsonWriter& w, const DiffPoint& p, const GrowthRow& total, bool is_a) {
  w.begin_object()
      .field("trace", p.trace)
      .label_field("point", p.point)
      .field("line", p.line)
      .field("objects", is_a ? total.objects_a : total.objects_b)
      .field("bytes", is_a ? total.bytes_a : total.bytes_b)
      .end_object();
}

std::string point_text(const DiffPoint& p) {
  if (p.beginning) return fmt::format("{} at its beginning", printable(p.trace));
  if (p.point.empty()) return fmt::format("{} at its end (line {})", printable(p.trace), p.line);
  return fmt::format("{} at marker '{}' (line {})", printable(p.trace), printable(p.point), p.line);
}

std::string signed_grouped(int64_t v) {
  if (v == 0) return "0";
  return (v > 0 ? "+" : "-") + grouped(static_cast<uint64_t>(v > 0 ? v : -v));
}

std::string opt_grouped(const std::optional<uint64_t>& v) { return v ? grouped(*v) : "-"; }

std::string table_text(const char* what, const std::vector<GrowthRow>& rows, const DiffResult& in) {
  std::vector<Table::Column> cols{{what, Table::Align::Left, std::string_view(what) == "site", true},
                                  {"objects", Table::Align::Right},
                                  {"growth", Table::Align::Right},
                                  {"bytes", Table::Align::Right},
                                  {"growth", Table::Align::Right}};
  if (in.same_trace) {
    cols.push_back({"added", Table::Align::Right});
    cols.push_back({"removed", Table::Align::Right});
  }
  cols.push_back({"status"});
  Table t(cols);
  size_t changed = 0, shown = 0;
  for (const GrowthRow& r : rows) {
    bool same = r.objects_growth() == 0 && r.bytes_growth() == 0 && r.added_objects.value_or(0) == 0;
    if (same) continue;
    ++changed;
    if (in.limit != 0 && shown >= in.limit) continue;
    ++shown;
    std::vector<std::string> row{r.name, grouped(r.objects_b), signed_grouped(r.objects_growth()), grouped(r.bytes_b),
                                 signed_grouped(r.bytes_growth())};
    if (in.same_trace) {
      row.push_back(opt_grouped(r.added_objects));
      row.push_back(opt_grouped(r.removed_objects));
    }
    row.push_back(r.status());
    t.add(std::move(row));
  }
  std::string out = fmt::format("\nBy {}, largest growth first: {} changed of {}", what, grouped(changed), grouped(rows.size()));
  if (shown < changed) out += fmt::format(", {} shown (--limit 0 shows all)", shown);
  out += "\n";
  if (!t.empty()) out += t.text();
  return out;
}

}  // namespace

void diff_json(const DiffResult& in, Output& out) {
  const Growth& g = in.growth;
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.diff/1");
  w.key("a");
  point_json(w, in.a, g.total, true);
  w.key("b");
  point_json(w, in.b, g.total, false);
  w.field("same_trace", in.same_trace).key("totals").begin_object();
  row_fields(w, g.total);
  w.end_object();
  auto rows = [&](const char* list, const char* key, const std::vector<GrowthRow>& rows) {
    w.key(list).begin_array();
    for (const GrowthRow& r : rows) {
      w.begin_object().field(key, r.name);
      row_fields(w, r);
      w.end_object();
    }
    w.end_array();
  };
  rows("by_type", "type", g.by_type);
  rows("by_site", "site", g.by_site);
  w.end_object().finish();
}

void diff_text(const DiffResult& in, Output& output) {
  const Growth& g = in.growth;
  const GrowthRow& t = g.total;
  std::string out;
  out += fmt::format("A         {}: {} objects, {}\n", point_text(in.a), grouped(t.objects_a), human_bytes(t.bytes_a));
  out += fmt::format("B         {}: {} objects, {}\n", point_text(in.b), grouped(t.objects_b), human_bytes(t.bytes_b));
  out += fmt::format("Growth    {} objects, {} bytes", signed_grouped(t.objects_growth()), signed_grouped(t.bytes_growth()));
  if (in.same_trace)
    out += fmt::format(": {} added ({} bytes), {} removed ({} bytes)", grouped(*t.added_objects),
                       grouped(*t.added_bytes), grouped(*t.removed_objects), grouped(*t.removed_bytes));
  out += "\n";
  out += table_text("type", g.by_type, in);
  out += table_text("site", g.by_site, in);
  output.write(out);
}

void diff_tsv(const DiffResult& in, Output& out) {
  std::vector<Table::Column> cols{{"by"}, {"name"}, {"status"}, {"objects_a"}, {"objects_b"}, {"objects_growth"},
                                  {"bytes_a"}, {"bytes_b"}, {"bytes_growth"}, {"added_objects"}, {"added_bytes"},
                                  {"removed_objects"}, {"removed_bytes"}};
  Table t(cols);
  auto add = [&](const char* by, const GrowthRow& r) {
    auto o = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string(); };
    t.add({by, r.name, r.status(), std::to_string(r.objects_a), std::to_string(r.objects_b),
           std::to_string(r.objects_growth()), std::to_string(r.bytes_a), std::to_string(r.bytes_b),
           std::to_string(r.bytes_growth()), o(r.added_objects), o(r.added_bytes), o(r.removed_objects),
           o(r.removed_bytes)});
  };
  for (const GrowthRow& r : in.growth.by_type) add("type", r);
  for (const GrowthRow& r : in.growth.by_site) add("site", r);
  out.write(t.tsv());
}

}  // namespace refscope
