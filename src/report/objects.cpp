#include "refscope/report/objects.h"

#include <fmt/format.h>

#include <set>

#include "refscope/report/format.h"
#include "refscope/util/printable.h"

namespace refscope {

void object_fields(JsonWriter& w, const ObjectRef& o, const Names& names) {
  w.field("address", hex_address(o.addr)).field("line", o.line).field("type", names[o.type]).field("size", o.size);
  w.key("site");
  if (o.site == Names::kUnknownSite)
    w.null();
  else
    w.value(names[o.site]);
  if (o.name != Names::kNone) w.field("name", names[o.name]);
  if (o.via != Names::kNone) w.field("via", names[o.via]);
}

void state_fields(JsonWriter& w, const RefState& s, const Names& names) {
  if (s.immortal)
    w.field("immortal", true);
  else
    w.field("refcount", s.refcount).field("external", s.external);
  if (s.named_roots.empty()) return;
  w.key("named_roots").begin_array();
  for (const NamedHold& h : s.named_roots) named_hold_json(w, h, names);
  w.end_array();
}

void named_hold_json(JsonWriter& w, const NamedHold& h, const Names& names) {
  w.begin_object().field("id", h.id).field("name", names[h.name]).field("references", h.references);
  if (h.via != Names::kNone) w.field("via", names[h.via]);
  w.end_object();
}

std::vector<std::string> hold_texts(const RefState& s, const Names& names) {
  std::vector<std::string> out;
  for (const NamedHold& h : s.named_roots) {
    std::string text = "held by " + printable(names[h.name]);
    if (h.via != Names::kNone) text += " " + printable(names[h.via]);  // "frame f at app.py:3 .f_locals['buf']"
    if (h.references > 1) text += fmt::format(" ({} references)", h.references);
    out.push_back(std::move(text));
  }
  return out;
}

std::string root_description(const RefState& s, const Names& names) {
  if (s.immortal) return "immortal";
  std::string out;
  for (const std::string& t : hold_texts(s, names)) out += (out.empty() ? "" : ", ") + t;
  if (s.external > 0)
    out += fmt::format("{}{} external {}", out.empty() ? "" : ", ", s.external, s.external == 1 ? "reference" : "references");
  return out;
}

void object_json(JsonWriter& w, const ObjectRef& o, const Names& names) {
  w.begin_object();
  object_fields(w, o, names);
  w.end_object();
}

std::string name_text(const Names& names, uint32_t id) { return printable(names[id]); }

std::string type_and_name(const ObjectRef& o, const Names& names) {
  if (o.name == Names::kNone) return name_text(names, o.type);
  return name_text(names, o.type) + " (" + name_text(names, o.name) + ")";
}

std::string object_text(const ObjectRef& o, const Names& names) {
  return fmt::format("{}  {}  {}  {}", object_name(o.addr, o.line), type_and_name(o, names), human_bytes(o.size),
                     printable(site_display(names[o.site])));
}

std::vector<std::string> path_steps(const std::vector<ObjectRef>& steps, const Names& names) {
  std::vector<std::string> out;
  for (size_t k = 0; k < steps.size(); ++k) {
    std::string step = object_name(steps[k].addr, steps[k].line) + " " + type_and_name(steps[k], names);
    if (k + 1 < steps.size() && steps[k + 1].via != Names::kNone) step += " " + name_text(names, steps[k + 1].via);
    out.push_back(std::move(step));
  }
  return out;
}

std::string path_line(const std::vector<ObjectRef>& steps, const Names& names) {
  std::string out;
  for (const std::string& step : path_steps(steps, names)) out += (out.empty() ? "" : " -> ") + step;
  return out;
}

std::string path_shape(const std::vector<ObjectRef>& steps, const Names& names) {
  std::string out;
  for (const ObjectRef& s : steps) {
    out += names[s.type];
    out += '\0';
    if (s.name != Names::kNone) out += names[s.name];
    out += '\0';
    if (s.via != Names::kNone) {
      const std::string& v = names[s.via];
      bool index = v.size() > 2 && v.front() == '[' && v.back() == ']' &&
                   v.find_first_not_of("0123456789-", 1) == v.size() - 1;
      out += index ? std::string("[N]") : v;
    }
    out += '\1';
  }
  return out;
}

std::string point_text(const Point& p) {
  return p.label.empty() ? fmt::format("at the end of the trace (line {})", p.line)
                         : fmt::format("at marker '{}' (line {})", printable(p.label), p.line);
}

std::string window_text(const Window& w) {
  std::string from = w.from.label.empty() ? "the trace's beginning"
                                          : fmt::format("marker '{}' (line {})", printable(w.from.label), w.from.line);
  std::string to = w.to.label.empty() ? fmt::format("the end (line {})", w.to.line)
                                      : fmt::format("marker '{}' (line {})", printable(w.to.label), w.to.line);
  return "objects allocated after " + from + ", live at " + to;
}

std::string window_header(const Window& w) {
  std::string line = "Window    " + window_text(w);
  size_t live = line.rfind(", live at ");
  if (line.size() <= kTextColumns || live == std::string::npos) return line + "\n";
  return line.substr(0, live + 1) + "\n          " + line.substr(live + 2) + "\n";
}

void window_json(JsonWriter& w, const Window& win) {
  w.begin_object()
      .label_field("from", win.from.label)
      .label_field("to", win.to.label)
      .field("from_line", win.from.line)
      .field("to_line", win.to.line)
      .end_object();
}

void trace_json(JsonWriter& w, const TraceFacts& t) {
  w.begin_object()
      .field("path", t.path)
      .field("version", t.version)
      .field("refs", t.refs == RefsMode::Exact ? "exact" : "sampled")
      .field("encoding", t.encoding)
      .field("truncated", t.truncated);
  w.key("metadata").begin_object();
  std::set<std::string> seen;
  for (const auto& [key, value] : t.metadata)
    if (seen.insert(key).second) w.field(key, value);  // the first of repeated keys
  w.end_object().end_object();
}

}  // namespace refscope
