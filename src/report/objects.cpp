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
}

void state_fields(JsonWriter& w, const RefState& s, const Names& names) {
  if (s.immortal)
    w.field("immortal", true);
  else
    w.field("refcount", s.refcount).field("external", s.external);
  if (s.named_roots.empty()) return;
  w.key("named_roots").begin_array();
  for (const NamedHold& h : s.named_roots)
    w.begin_object().field("id", h.id).field("name", names[h.name]).field("references", h.references).end_object();
  w.end_array();
}

std::vector<std::string> hold_texts(const RefState& s, const Names& names) {
  std::vector<std::string> out;
  for (const NamedHold& h : s.named_roots) {
    std::string text = "held by " + printable(names[h.name]);
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

std::string object_text(const ObjectRef& o, const Names& names) {
  return fmt::format("{}  {}  {}  {}", object_name(o.addr, o.line), name_text(names, o.type), human_bytes(o.size),
                     name_text(names, o.site));
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
