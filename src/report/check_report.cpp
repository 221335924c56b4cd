#include "refscope/report/check_report.h"

#include <fmt/format.h>

#include "refscope/report/summary_report.h"

namespace refscope {
namespace {

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

Json limits_json(const GateLimits& l) {
  return {{"max_objects", l.max_objects ? Json(*l.max_objects) : Json(nullptr)},
          {"max_bytes", l.max_bytes ? Json(*l.max_bytes) : Json(nullptr)}};
}

Json fail_on_json(const GateLimits& l) {
  Json kinds = Json::array();
  for (size_t k = 0; k < kLeakKinds; ++k)
    if (l.fail_on[k]) kinds.push_back(leak_kind_name(static_cast<LeakKind>(k)));
  return kinds;
}

std::string xml_escape(const std::string& s) {
  std::string out;
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

}  // namespace

Json check_json(const Replay& replay, const CheckReportInput& in) {
  const GateResult& r = *in.result;
  Json groups = Json::array();
  for (const GateGroup& g : r.groups) {
    Json j = group_keys_json(g.sample.names);
    j["objects"] = g.sample.objects;
    j["bytes"] = g.sample.bytes;
    j["measured_objects"] = g.measured_objects;
    j["measured_bytes"] = g.measured_bytes;
    j["counted_objects"] = g.counted_objects;
    j["counted_bytes"] = g.counted_bytes;
    j["gated_kind"] = g.gated_kind;
    j["baseline"] = g.baseline ? Json{{"objects", g.baseline->objects}, {"bytes", g.baseline->bytes}} : Json(nullptr);
    if (!in.repeat_label.empty()) {
      j["growth"] = g.growth;
      j["growth_bytes"] = g.growth_bytes;
      j["grew_every_iteration"] = g.grew_every;
    }
    j["status"] = status_of(g);
    j["fails"] = g.fails;
    groups.push_back(std::move(j));
  }
  Json suppressions = Json::array();
  if (in.suppressions)
    for (const Suppression& s : in.suppressions->entries())
      suppressions.push_back(
          {{"pattern", "leak:" + s.pattern}, {"file", s.file}, {"line", s.line}, {"objects", s.objects}, {"bytes", s.bytes}});
  Json leaked_by_kind = Json::object();
  uint64_t leaked_objects = 0, leaked_bytes = 0;
  for (size_t k = 0; k < kLeakKinds; ++k) {
    leaked_by_kind[std::string(leak_kind_name(static_cast<LeakKind>(k)))] = in.last->objects[k];
    leaked_objects += in.last->objects[k];
    leaked_bytes += in.last->bytes[k];
  }
  Json repeat = nullptr;
  if (!in.repeat_label.empty())
    repeat = {{"label", in.repeat_label},
              {"warmup", in.warmup},
              {"iterations", in.iteration_lines.size()},
              {"lines", in.iteration_lines}};
  return {{"schema", "refscope.check/1"},
          {"trace", trace_json(replay.info())},
          {"window", leak_window_json(in.window)},
          {"by", in.by},
          {"fail_on", fail_on_json(in.limits)},
          {"limits", limits_json(in.limits)},
          {"verdict", r.pass ? "pass" : "fail"},
          {"reason", r.reason},
          {"totals",
           {{"counted_objects", r.counted_objects},
            {"counted_bytes", r.counted_bytes},
            {"counted_groups", r.counted_groups},
            {"leaked_objects", leaked_objects},
            {"leaked_bytes", leaked_bytes},
            {"leaked_by_kind", leaked_by_kind},
            {"suppressed_objects", in.last->suppressed_objects},
            {"suppressed_bytes", in.last->suppressed_bytes}}},
          {"groups", std::move(groups)},
          {"suppressions", std::move(suppressions)},
          {"baseline", in.baseline_file.empty() ? Json(nullptr)
                                                : Json{{"file", in.baseline_file}, {"groups", in.baseline_groups}}},
          {"written_baseline", in.written_baseline.empty() ? Json(nullptr) : Json(in.written_baseline)},
          {"repeat", repeat},
          {"anomalies", replay.model().anomalies().total()}};
}

std::string check_text(const Replay& replay, const CheckReportInput& in) {
  const GateResult& r = *in.result;
  std::string out;
  out += fmt::format("Trace     {}\n", replay.info().name);
  out += fmt::format("Window    {}\n", leak_window_text(in.window));
  std::string limits = "no leak allowed";
  if (in.limits.max_objects || in.limits.max_bytes) {
    limits.clear();
    if (in.limits.max_objects) limits = fmt::format("--max-objects {}", *in.limits.max_objects);
    if (in.limits.max_bytes) limits += fmt::format("{}--max-bytes {}", limits.empty() ? "" : ", ", *in.limits.max_bytes);
  }
  out += fmt::format("Gate      fails on {}; {}\n", kinds_list(in.limits.fail_on), limits);
  if (!in.baseline_file.empty())
    out += fmt::format("Baseline  {} ({} groups)\n", in.baseline_file, in.baseline_groups);
  if (!in.repeat_label.empty())
    out += fmt::format("Repeat    {} iterations ending at marker '{}', the first {} a warm-up\n",
                       in.iteration_lines.size(), in.repeat_label, in.warmup);
  uint64_t leaked = 0;
  for (uint64_t n : in.last->objects) leaked += n;
  out += fmt::format("Leaked    {} objects not suppressed: unowned {}, retained {}, indirect {}, cyclic {}\n",
                     grouped(leaked), grouped(in.last->objects[0]), grouped(in.last->objects[1]),
                     grouped(in.last->objects[2]), grouped(in.last->objects[3]));
  if (replay.model().anomalies().total() > 0)
    out += fmt::format("Anomalies {} in the trace ('refscope summary' lists them)\n",
                       grouped(replay.model().anomalies().total()));

  if (!r.groups.empty()) {
    std::vector<Table::Column> cols{{"status"}, {"kind"}, {"group"}, {"objects", Table::Align::Right},
                                    {"bytes", Table::Align::Right}};
    bool repeat = !in.repeat_label.empty();
    bool baseline = !in.baseline_file.empty();
    if (baseline) cols.push_back({"baseline", Table::Align::Right});
    if (repeat) cols.push_back({"growth per iteration"});
    Table t(cols);
    for (const GateGroup& g : r.groups) {
      std::vector<std::string> row{status_of(g), g.sample.names.kind, group_label(g.sample.names),
                                   grouped(repeat ? g.measured_objects : g.sample.objects),
                                   grouped(repeat ? static_cast<uint64_t>(g.measured_bytes) : g.sample.bytes)};
      if (baseline) row.push_back(g.baseline ? fmt::format("{}/{}", g.baseline->objects, g.baseline->bytes) : "new");
      if (repeat) row.push_back(growth_text(g.growth));
      t.add(std::move(row));
    }
    out += fmt::format("\nLeak groups{}: {}\n", repeat ? " (objects and bytes: growth after the warm-up)" : "",
                       grouped(r.groups.size()));
    out += t.text();
    out += "  status: FAIL counted, gate over its limits; over counted, within them; ok, steady (did not grow every\n"
           "  iteration), baseline (within it): not counted; - a kind the gate does not fail on\n";
  }
  if (in.suppressions && !in.suppressions->empty()) {
    out += fmt::format("\nSuppressions: {} objects, {} bytes\n", grouped(in.last->suppressed_objects),
                       grouped(in.last->suppressed_bytes));
    Table t({{"where"}, {"suppression"}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
    for (const Suppression& s : in.suppressions->entries())
      t.add({fmt::format("{}:{}", s.file, s.line), "leak:" + s.pattern, grouped(s.objects), grouped(s.bytes)});
    out += t.text();
  }
  if (!in.written_baseline.empty()) out += fmt::format("\nWrote the baseline {}\n", in.written_baseline);
  out += "\n" + r.reason + "\n";
  return out;
}

std::string check_junit(const Replay& replay, const CheckReportInput& in) {
  const GateResult& r = *in.result;
  size_t failures = 0;
  for (const GateGroup& g : r.groups) failures += g.fails;
  size_t suppressions = in.suppressions ? in.suppressions->entries().size() : 0;
  size_t tests = r.groups.size() + suppressions + (r.groups.empty() ? 1 : 0);
  std::string suite = "refscope check " + replay.info().name;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"refscope check\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", tests, failures);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
                     xml_escape(suite), tests, failures, suppressions);
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"verdict\" value=\"{}\"/>\n", r.pass ? "pass" : "fail");
  out += fmt::format("      <property name=\"reason\" value=\"{}\"/>\n", xml_escape(r.reason));
  out += fmt::format("      <property name=\"fail_on\" value=\"{}\"/>\n", kinds_list(in.limits.fail_on));
  out += "    </properties>\n";
  for (const GateGroup& g : r.groups) {
    out += fmt::format("    <testcase classname=\"refscope.leaks.{}\" name=\"{}\">", g.sample.names.kind,
                       xml_escape(group_label(g.sample.names)));
    if (g.fails) {
      std::string message = fmt::format("{} {} objects ({} bytes) leaked", g.counted_objects, g.sample.names.kind,
                                        g.counted_bytes);
      if (g.baseline) message += fmt::format(" beyond the baseline of {} ({} bytes)", g.baseline->objects, g.baseline->bytes);
      std::string detail = fmt::format("{} objects, {} bytes live at line {}", g.sample.objects, g.sample.bytes, in.last->line);
      if (g.sample.objects > 0)
        detail += fmt::format("; the first at {}", object_name(g.sample.first_addr, g.sample.first_line));
      if (!g.growth.empty()) {
        std::string growth;
        for (int64_t d : g.growth) growth += (growth.empty() ? "" : " ") + fmt::format("{:+d}", d);
        detail += "; growth per iteration: " + growth;
      }
      out += fmt::format("\n      <failure type=\"leak\" message=\"{}\">{}</failure>\n    ", xml_escape(message),
                         xml_escape(detail));
    }
    out += "</testcase>\n";
  }
  if (in.suppressions)
    for (const Suppression& s : in.suppressions->entries())
      out += fmt::format(
          "    <testcase classname=\"refscope.suppressions\" name=\"leak:{}\"><skipped message=\"{} objects, {} "
          "bytes suppressed by {}:{}\"/></testcase>\n",
          xml_escape(s.pattern), s.objects, s.bytes, xml_escape(s.file), s.line);
  if (r.groups.empty()) out += "    <testcase classname=\"refscope.leaks\" name=\"no leaks\"/>\n";
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace refscope
