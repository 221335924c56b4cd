#include "refscope/report/leak_report.h"

#include <fmt/format.h>

#include <map>

#include "refscope/report/format.h"
#include "refscope/report/objects.h"
#include "refscope/util/printable.h"

namespace refscope {
namespace {

// "[held by sys.modules] -> 0x1000@17 builtins.dict -> 0x2000@18 builtins.module": the named roots holding the path's
// first object (format 2), then the path; indented by two. A path wider than kTextColumns goes on over more lines,
// each step whole, the next lines indented under the first object.
std::string path_text(const LeakObject& x, const Names& names) {
  std::string roots;
  for (const std::string& t : hold_texts(x.path_root, names)) roots += (roots.empty() ? "" : ", ") + t;
  std::vector<std::string> steps = path_steps(x.path, names);
  for (size_t k = 0; k < steps.size(); ++k)
    steps[k] = k == 0 ? (roots.empty() ? "" : "[" + roots + "] -> ") + steps[k] : "-> " + steps[k];
  std::string out, line = "  ";
  for (size_t k = 0; k < steps.size(); ++k) {
    if (k > 0 && line.size() + 1 + steps[k].size() > kTextColumns) {
      out += line + "\n";
      line = "     " + steps[k];
      continue;
    }
    line += (k > 0 ? " " : "") + steps[k];
  }
  return (out + line).substr(2);  // the caller indents the first line
}

std::vector<Table::Column> group_columns(const GroupBy& by) {
  std::vector<Table::Column> cols{{"kind"}};
  if (by.type) cols.push_back({"type", Table::Align::Left, false, true});
  if (by.site) cols.push_back({"site", Table::Align::Left, true});
  if (by.stack) cols.push_back({"stack"});
  cols.push_back({"objects", Table::Align::Right});
  cols.push_back({"bytes", Table::Align::Right});
  return cols;
}

// Text shortens the stack's frames (site_display); TSV keeps them whole. (The site column shortens itself.)
std::vector<std::string> group_cells(const GroupNames& n, const GroupBy& by, bool text) {
  std::vector<std::string> row{n.kind};
  if (by.type) row.push_back(n.type.value_or("?"));
  if (by.site) row.push_back(n.site.value_or("?"));
  if (by.stack) {
    std::string chain;
    for (const std::string& f : *n.stack) chain += (chain.empty() ? "" : " < ") + (text ? site_display(f) : f);
    row.push_back(chain.empty() ? "?" : chain);
  }
  return row;
}

}  // namespace

PathGroups path_groups(const std::vector<LeakObject>& listed, const Names& names) {
  PathGroups g{std::vector<size_t>(listed.size()), std::vector<size_t>(listed.size(), 0)};
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < listed.size(); ++i) {
    g.first[i] = i;
    if (listed[i].kind != LeakKind::Retained || listed[i].path.empty()) continue;
    std::string shape = path_shape(listed[i].path, names);
    for (const std::string& t : hold_texts(listed[i].path_root, names)) shape += t + '\2';
    auto [it, inserted] = seen.emplace(shape, i);
    if (!inserted) {
      g.first[i] = it->second;
      ++g.more[it->second];
    }
  }
  return g;
}

void group_fields(JsonWriter& w, const GroupNames& n) {
  w.field("type", n.type).field("site", n.site).field("stack", n.stack).field("kind", n.kind);
}

std::string suppressions_text(const std::vector<Suppression>& list, uint64_t objects, uint64_t bytes) {
  std::string out = fmt::format("\nSuppressions: {} objects, {} bytes\n", grouped(objects), grouped(bytes));
  Table t({{"where"}, {"suppression"}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
  for (const Suppression& s : list)
    t.add({fmt::format("{}:{}", s.file, s.line), "leak:" + s.pattern, grouped(s.objects), grouped(s.bytes)});
  return out + t.text();
}

void suppressions_json(JsonWriter& w, const std::vector<Suppression>& list) {
  w.begin_array();
  for (const Suppression& s : list)
    w.begin_object()
        .field("pattern", "leak:" + s.pattern)
        .field("file", s.file)
        .field("line", s.line)
        .field("objects", s.objects)
        .field("bytes", s.bytes)
        .end_object();
  w.end_array();
}

void leaks_json(const LeaksResult& r, Output& out) {
  const LeakAnalysis& a = r.leaks;
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.leaks/1");
  w.key("trace");
  trace_json(w, r.trace);
  w.key("window");
  window_json(w, r.window);
  w.field("by", group_by_names(r.by));
  w.key("totals").begin_object().field("objects", a.total_objects()).field("bytes", a.total_bytes());
  w.key("by_kind").begin_object();
  for (size_t k = 0; k < kLeakKinds; ++k) w.field(leak_kind_name(static_cast<LeakKind>(k)), a.objects[k]);
  w.end_object().key("bytes_by_kind").begin_object();
  for (size_t k = 0; k < kLeakKinds; ++k) w.field(leak_kind_name(static_cast<LeakKind>(k)), a.bytes[k]);
  w.end_object().end_object();
  w.key("groups").begin_array();
  for (const LeakGroup& g : a.groups) {
    w.begin_object();
    group_fields(w, g.names);
    w.field("objects", g.objects).field("bytes", g.bytes).end_object();
  }
  w.end_array();
  w.key("objects").begin_array();
  PathGroups groups = path_groups(a.listed, a.names);
  for (size_t i = 0; i < a.listed.size(); ++i) {
    const LeakObject& x = a.listed[i];
    w.begin_object();
    object_fields(w, x.object, a.names);
    state_fields(w, x.state, a.names);
    w.field("kind", leak_kind_name(x.kind));
    if (x.kind == LeakKind::Retained) {
      w.key("path").begin_array();
      for (const ObjectRef& step : x.path) object_json(w, step, a.names);
      w.end_array();
      if (groups.first[i] != i) w.field("path_like", groups.first[i]);
      else if (groups.more[i] > 0) w.field("more_paths_like_it", groups.more[i]);
      if (!x.path_root.named_roots.empty()) {
        w.key("path_named_roots").begin_array();
        for (const NamedHold& h : x.path_root.named_roots) named_hold_json(w, h, a.names);
        w.end_array();
      }
    }
    w.end_object();
  }
  w.end_array();
  w.field("objects_listed", a.listed.size());
  if (r.suppressions) {
    w.key("suppressed").begin_object().field("objects", a.suppressed_objects).field("bytes", a.suppressed_bytes);
    w.end_object().key("suppressions");
    suppressions_json(w, *r.suppressions);
  }
  w.field("anomalies", r.trace.anomalies);
  w.end_object().finish();
}

void leaks_text(const LeaksResult& r, Output& out) {
  const LeakAnalysis& a = r.leaks;
  std::string s;
  s += fmt::format("Trace     {}\n", printable(r.trace.name));
  s += window_header(r.window);
  s += fmt::format("Leaked    {} objects, {} ({} bytes)", grouped(a.total_objects()), human_bytes(a.total_bytes()),
                   grouped(a.total_bytes()));
  if (r.suppressions)
    s += fmt::format("; {} more suppressed ({} bytes)", grouped(a.suppressed_objects), grouped(a.suppressed_bytes));
  s += '\n';
  Table kinds({{"kind"}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
  for (size_t k = 0; k < kLeakKinds; ++k)
    kinds.add({std::string(leak_kind_name(static_cast<LeakKind>(k))), grouped(a.objects[k]), grouped(a.bytes[k])});
  s += "\n" + kinds.text();
  if (r.trace.anomalies > 0)
    s += fmt::format("\n{} anomalies in the trace: the model is approximate there ('refscope summary' lists them)\n",
                     grouped(r.trace.anomalies));
  if (!a.groups.empty()) {
    std::string by;
    for (const std::string& d : group_by_names(r.by)) by += (by.empty() ? "" : ", ") + d;
    s += fmt::format("\nGroups by {} and kind, largest first: {}\n", by, grouped(a.groups.size()));
    Table groups(group_columns(r.by));
    uint64_t rest_groups = 0, rest_objects = 0, rest_bytes = 0;
    for (const LeakGroup& g : a.groups) {
      if (r.group_limit != 0 && groups.size() == r.group_limit) {
        ++rest_groups, rest_objects += g.objects, rest_bytes += g.bytes;
        continue;
      }
      auto row = group_cells(g.names, r.by, true);
      row.push_back(grouped(g.objects));
      row.push_back(grouped(g.bytes));
      groups.add(std::move(row));
    }
    s += groups.text();
    if (rest_groups > 0)
      s += fmt::format("  and {} more {}: {} objects, {} bytes (--groups 0 lists all)\n", grouped(rest_groups),
                       rest_groups == 1 ? "group" : "groups", grouped(rest_objects), grouped(rest_bytes));

    uint64_t window = a.total_objects();
    s += fmt::format("\nObjects, largest first: {} of {}{}\n", grouped(a.listed.size()), grouped(window),
                     a.listed.size() < window ? " (--limit 0 lists all)" : "");
    Table objects({{"object"}, {"kind"}, {"type", Table::Align::Left, false, true}, {"bytes", Table::Align::Right},
                   {"site", Table::Align::Left, true}});
    for (const LeakObject& x : a.listed)
      objects.add({object_name(x.object.addr, x.object.line), std::string(leak_kind_name(x.kind)),
                   a.names[x.object.type], grouped(x.object.size), a.names[x.object.site]});
    s += objects.text();
    bool header = false;
    PathGroups like = path_groups(a.listed, a.names);
    for (size_t i = 0; i < a.listed.size(); ++i) {
      const LeakObject& x = a.listed[i];
      if (x.kind != LeakKind::Retained || like.first[i] != i) continue;
      if (!header) s += "\nRetained objects: shortest path from the older root that holds each\n";
      header = true;
      s += "  " + path_text(x, a.names) + "\n";
      if (like.more[i] > 0)
        s += fmt::format("    and {} more {} like it\n", grouped(like.more[i]), like.more[i] == 1 ? "path" : "paths");
    }
  }
  if (r.suppressions) s += suppressions_text(*r.suppressions, a.suppressed_objects, a.suppressed_bytes);
  out.write(s);
}

void leaks_tsv(const LeaksResult& r, Output& out) {
  Table groups(group_columns(r.by));
  for (const LeakGroup& g : r.leaks.groups) {
    auto row = group_cells(g.names, r.by, false);
    row.push_back(std::to_string(g.objects));
    row.push_back(std::to_string(g.bytes));
    groups.add(std::move(row));
  }
  out.write(groups.tsv());
}

}  // namespace refscope
