#include "refscope/report/check_report.h"

#include <fmt/format.h>

#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/leak_report.h"
#include "refscope/report/objects.h"
#include "refscope/util/printable.h"

namespace refscope {
namespace {

// The group as text shows it: its site and stack frames shortened as site_display does (JSON keeps them whole).
std::string display_label(GroupNames names) {
  if (names.site) names.site = site_display(*names.site);
  if (names.stack)
    for (std::string& frame : *names.stack) frame = site_display(frame);
  return group_label(names);
}

std::string status_of(const GateGroup& g) {
  if (g.fails) return "FAIL";
  if (g.counted_objects || g.counted_bytes) return "over";  // counted, but the total is within the limits
  if (!g.gated_kind) return "-";
  if (!g.grew_every) return "steady";
  if (g.baseline) return "baseline";
  return "ok";
}

std::string growth_text(const std::vector<int64_t>& growth) {
  std::string out;
  for (int64_t d : growth) out += (out.empty() ? "" : " ") + fmt::format("{:+d}", d);
  return out;
}

// Text for an XML attribute or element. Names from the trace are made printable first (util/printable.h), which
// also keeps the document valid UTF-8.
std::string xml_escape(const std::string& text) {
  std::string s = printable(text), out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') out += ' ';  // not allowed in XML 1.0
        else out += static_cast<char>(c);
    }
  }
  return out;
}

bool repeat(const CheckResult& r) { return !r.repeat_label.empty(); }

}  // namespace

void check_json(const CheckResult& r, Output& out) {
  const GateResult& gate = r.gate;
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.check/1");
  w.key("trace");
  trace_json(w, r.trace);
  w.key("window");
  window_json(w, r.window);
  w.field("by", r.by);
  w.key("fail_on").begin_array();
  for (size_t k = 0; k < kLeakKinds; ++k)
    if (r.limits.fail_on[k]) w.value(leak_kind_name(static_cast<LeakKind>(k)));
  w.end_array();
  w.key("limits").begin_object().field("max_objects", r.limits.max_objects).field("max_bytes", r.limits.max_bytes);
  w.end_object();
  w.field("verdict", gate.pass ? "pass" : "fail").field("reason", gate.reason);
  uint64_t leaked_objects = 0, leaked_bytes = 0;
  for (size_t k = 0; k < kLeakKinds; ++k) {
    leaked_objects += r.leaked_objects[k];
    leaked_bytes += r.leaked_bytes[k];
  }
  w.key("totals")
      .begin_object()
      .field("counted_objects", gate.counted_objects)
      .field("counted_bytes", gate.counted_bytes)
      .field("counted_groups", gate.counted_groups)
      .field("leaked_objects", leaked_objects)
      .field("leaked_bytes", leaked_bytes);
  w.key("leaked_by_kind").begin_object();
  for (size_t k = 0; k < kLeakKinds; ++k) w.field(leak_kind_name(static_cast<LeakKind>(k)), r.leaked_objects[k]);
  w.end_object();
  w.field("suppressed_objects", r.suppressed_objects).field("suppressed_bytes", r.suppressed_bytes).end_object();
  w.key("groups").begin_array();
  for (const GateGroup& g : gate.groups) {
    w.begin_object();
    group_fields(w, g.sample.names);
    w.field("objects", g.sample.objects)
        .field("bytes", g.sample.bytes)
        .field("measured_objects", g.measured_objects)
        .field("measured_bytes", g.measured_bytes)
        .field("counted_objects", g.counted_objects)
        .field("counted_bytes", g.counted_bytes)
        .field("gated_kind", g.gated_kind);
    w.key("baseline");
    if (g.baseline)
      w.begin_object().field("objects", g.baseline->objects).field("bytes", g.baseline->bytes).end_object();
    else
      w.null();
    if (repeat(r)) w.field("growth", g.growth).field("growth_bytes", g.growth_bytes).field("grew_every_iteration", g.grew_every);
    w.field("status", status_of(g)).field("fails", g.fails).end_object();
  }
  w.end_array();
  w.key("suppressions");
  suppressions_json(w, r.suppressions);
  w.key("baseline");
  if (r.baseline_file.empty())
    w.null();
  else
    w.begin_object().field("file", r.baseline_file).field("groups", r.baseline_groups).end_object();
  w.label_field("written_baseline", r.written_baseline);
  w.key("repeat");
  if (repeat(r))
    w.begin_object()
        .field("label", r.repeat_label)
        .field("warmup", r.warmup)
        .field("iterations", r.iteration_lines.size())
        .field("lines", r.iteration_lines)
        .end_object();
  else
    w.null();
  w.field("anomalies", r.trace.anomalies).end_object().finish();
}

void check_text(const CheckResult& r, Output& out) {
  const GateResult& gate = r.gate;
  std::string s;
  s += fmt::format("Trace     {}\n", printable(r.trace.name));
  s += window_header(r.window);
  std::string limits = "no leak allowed";
  if (r.limits.max_objects || r.limits.max_bytes) {
    limits.clear();
    if (r.limits.max_objects) limits = fmt::format("--max-objects {}", *r.limits.max_objects);
    if (r.limits.max_bytes) limits += fmt::format("{}--max-bytes {}", limits.empty() ? "" : ", ", *r.limits.max_bytes);
  }
  s += fmt::format("Gate      fails on {}; {}\n", kinds_list(r.limits.fail_on), limits);
  if (!r.baseline_file.empty())
    s += fmt::format("Baseline  {} ({} groups)\n", printable(r.baseline_file), r.baseline_groups);
  if (repeat(r))
    s += fmt::format("Repeat    {} iterations ending at marker '{}', the first {} a warm-up\n", r.iteration_lines.size(),
                     printable(r.repeat_label), r.warmup);
  uint64_t leaked = 0;
  for (uint64_t n : r.leaked_objects) leaked += n;
  s += fmt::format("Leaked    {} objects not suppressed: unowned {}, retained {}, indirect {}, cyclic {}\n",
                   grouped(leaked), grouped(r.leaked_objects[0]), grouped(r.leaked_objects[1]),
                   grouped(r.leaked_objects[2]), grouped(r.leaked_objects[3]));
  if (r.trace.anomalies > 0)
    s += fmt::format("Anomalies {} in the trace ('refscope summary' lists them)\n", grouped(r.trace.anomalies));

  if (!gate.groups.empty()) {
    std::vector<Table::Column> cols{{"status"}, {"kind"}, {"group", Table::Align::Left, false, true}, {"objects", Table::Align::Right},
                                    {"bytes", Table::Align::Right}};
    bool baseline = !r.baseline_file.empty();
    if (baseline) cols.push_back({"baseline", Table::Align::Right});
    if (repeat(r)) cols.push_back({"growth per iteration"});
    Table t(cols);
    size_t others = 0;  // groups listed that the gate does not count
    uint64_t rest_groups = 0, rest_objects = 0, rest_bytes = 0;
    for (const GateGroup& g : gate.groups) {
      uint64_t objects = repeat(r) ? g.measured_objects : g.sample.objects;
      uint64_t bytes = repeat(r) ? static_cast<uint64_t>(g.measured_bytes) : g.sample.bytes;
      bool counted = g.fails || g.counted_objects || g.counted_bytes;
      if (!counted && r.group_limit != 0 && others++ >= r.group_limit) {
        ++rest_groups, rest_objects += objects, rest_bytes += bytes;
        continue;
      }
      std::vector<std::string> row{status_of(g), g.sample.names.kind, display_label(g.sample.names),
                                   grouped(objects), grouped(bytes)};
      if (baseline) row.push_back(g.baseline ? fmt::format("{}/{}", g.baseline->objects, g.baseline->bytes) : "new");
      if (repeat(r)) row.push_back(growth_text(g.growth));
      t.add(std::move(row));
    }
    s += fmt::format("\nLeak groups{}: {}\n", repeat(r) ? " (objects and bytes: growth after the warm-up)" : "",
                     grouped(gate.groups.size()));
    s += t.text();
    if (rest_groups > 0)
      s += fmt::format("  and {} more {} the gate does not count: {} objects, {} bytes (--groups 0 lists all)\n",
                       grouped(rest_groups), rest_groups == 1 ? "group" : "groups", grouped(rest_objects),
                       grouped(rest_bytes));
    s += wrap_prose("  status: FAIL counted, gate over its limits; over counted, within them; ok, steady (did not "
                    "grow every iteration), baseline (within it): not counted; - a kind the gate does not fail on") +
         "\n";
  }
  if (!r.suppressions.empty()) s += suppressions_text(r.suppressions, r.suppressed_objects, r.suppressed_bytes);
  if (!r.written_baseline.empty()) s += fmt::format("\nWrote the baseline {}\n", printable(r.written_baseline));
  s += "\n" + wrap_prose(gate.reason) + "\n";
  out.write(s);
}

// One failing testcase per failing group, named portably (its function, its file relative to the project root) so
// that CI keeps its history across checkouts and edits, with `file` and `line` attributes for the reporters that
// link them; every other group in one passing testcase, so that a trace with thousands of small groups still
// gives a short report.
void check_junit(const CheckResult& r, Output& out) {
  const GateResult& gate = r.gate;
  size_t failures = 0;
  uint64_t rest_groups = 0, rest_objects = 0, rest_bytes = 0;
  for (const GateGroup& g : gate.groups) {
    if (g.fails) {
      ++failures;
    } else {
      ++rest_groups;
      rest_objects += repeat(r) ? g.measured_objects : g.sample.objects;
      rest_bytes += repeat(r) ? static_cast<uint64_t>(g.measured_bytes) : g.sample.bytes;
    }
  }
  size_t suppressions = r.suppressions.size();
  size_t tests = failures + 1 + suppressions;
  std::string suite = "refscope check " + r.trace.name;
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += fmt::format("<testsuites name=\"refscope check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", tests, failures);
  s += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
                   xml_escape(suite), tests, failures, suppressions);
  s += "    <properties>\n";
  s += fmt::format("      <property name=\"verdict\" value=\"{}\"/>\n", gate.pass ? "pass" : "fail");
  s += fmt::format("      <property name=\"reason\" value=\"{}\"/>\n", xml_escape(gate.reason));
  s += fmt::format("      <property name=\"fail_on\" value=\"{}\"/>\n", kinds_list(r.limits.fail_on));
  s += "    </properties>\n";
  for (const GateGroup& g : gate.groups) {
    if (!g.fails) continue;
    s += fmt::format("    <testcase classname=\"refscope.leaks.{}\" name=\"{}\"", g.sample.names.kind,
                     xml_escape(group_label(g.sample.portable)));
    if (!g.sample.site_file.empty())
      s += fmt::format(" file=\"{}\" line=\"{}\"", xml_escape(g.sample.site_file), g.sample.site_line);
    std::string message =
        fmt::format("{} {} objects ({} bytes) leaked", g.counted_objects, g.sample.names.kind, g.counted_bytes);
    if (g.baseline)
      message += fmt::format(" beyond the baseline of {} ({} bytes)", g.baseline->objects, g.baseline->bytes);
    std::string detail = fmt::format("{}: {} objects, {} bytes live at line {}", group_label(g.sample.names),
                                     g.sample.objects, g.sample.bytes, r.line);
    if (g.sample.objects > 0)
      detail += fmt::format("; the first at {}", object_name(g.sample.first_addr, g.sample.first_line));
    if (!g.growth.empty()) detail += "; growth per iteration: " + growth_text(g.growth);
    s += fmt::format(">\n      <failure type=\"leak\" message=\"{}\">{}</failure>\n    </testcase>\n",
                     xml_escape(message), xml_escape(detail));
  }
  std::string rest = rest_groups == 0
                         ? std::string("no leak groups")
                         : fmt::format("{} leak group{} ({} objects, {} bytes{}) not counted or within the limits",
                                       rest_groups, rest_groups == 1 ? "" : "s", rest_objects, rest_bytes,
                                       repeat(r) ? " of growth after the warm-up" : "");
  s += fmt::format("    <testcase classname=\"refscope.leaks\" name=\"every other leak group\"><system-out>{}"
                   "</system-out></testcase>\n",
                   xml_escape(rest));
  for (const Suppression& sup : r.suppressions)
    s += fmt::format(
        "    <testcase classname=\"refscope.suppressions\" name=\"leak:{}\"><skipped message=\"{} objects, {} "
        "bytes suppressed by {}:{}\"/></testcase>\n",
        xml_escape(sup.pattern), sup.objects, sup.bytes, xml_escape(sup.file), sup.line);
  s += "  </testsuite>\n</testsuites>\n";
  out.write(s);
}

}  // namespace refscope
