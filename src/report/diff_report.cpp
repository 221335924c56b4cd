#include "refscope/report/diff_report.h"

#include <fmt/format.h>

namespace refscope {
namespace {

Json opt(const std::optional<uint64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json row_json(const char* key, const GrowthRow& r) {
  return {{key, r.name},
          {"status", r.status()},
          {"objects_a", r.objects_a},
          {"objects_b", r.objects_b},
          {"objects_growth", r.objects_growth()},
          {"bytes_a", r.bytes_a},
          {"bytes_b", r.bytes_b},
          {"bytes_growth", r.bytes_growth()},
          {"added_objects", opt(r.added_objects)},
          {"added_bytes", opt(r.added_bytes)},
          {"removed_objects", opt(r.removed_objects)},
          {"removed_bytes", opt(r.removed_bytes)}};
}

Json point_json(const DiffPoint& p, const GrowthRow& total, bool is_a) {
  return {{"trace", p.trace},
          {"point", p.point.empty() ? Json(nullptr) : Json(p.point)},
          {"line", p.line},
          {"objects", is_a ? total.objects_a : total.objects_b},
          {"bytes", is_a ? total.bytes_a : total.bytes_b}};
}

std::string point_text(const DiffPoint& p) {
  if (p.beginning) return fmt::format("{} at its beginning", p.trace);
  if (p.point.empty()) return fmt::format("{} at its end (line {})", p.trace, p.line);
  return fmt::format("{} at marker '{}' (line {})", p.trace, p.point, p.line);
}

std::string signed_grouped(int64_t v) {
  if (v == 0) return "0";
  return (v > 0 ? "+" : "-") + grouped(static_cast<uint64_t>(v > 0 ? v : -v));
}

std::string opt_grouped(const std::optional<uint64_t>& v) { return v ? grouped(*v) : "-"; }

std::string table_text(const char* what, const std::vector<GrowthRow>& rows, const DiffReportInput& in) {
  std::vector<Table::Column> cols{{what},
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

Json diff_json(const DiffReportInput& in) {
  const Growth& g = *in.growth;
  Json by_type = Json::array(), by_site = Json::array();
  for (const GrowthRow& r : g.by_type) by_type.push_back(row_json("type", r));
  for (const GrowthRow& r : g.by_site) by_site.push_back(row_json("site", r));
  Json totals = row_json("name", g.total);
  totals.erase("name");
  return {{"schema", "refscope.diff/1"},
          {"a", point_json(in.a, g.total, true)},
          {"b", point_json(in.b, g.total, false)},
          {"same_trace", in.same_trace},
          {"totals", totals},
          {"by_type", by_type},
          {"by_site", by_site}};
}

std::string diff_text(const DiffReportInput& in) {
  const Growth& g = *in.growth;
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
  return out;
}

std::string diff_tsv(const DiffReportInput& in) {
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
  for (const GrowthRow& r : in.growth->by_type) add("type", r);
  for (const GrowthRow& r : in.growth->by_site) add("site", r);
  return t.tsv();
}

}  // namespace refscope
