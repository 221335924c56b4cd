#include "refscope/report/leak_report.h"

#include <fmt/format.h>

#include "refscope/analysis/named_roots.h"
#include "refscope/report/summary_report.h"

namespace refscope {
namespace {

std::string type_name(const SymbolTable& symbols, TypeIdx t) { return t.value == 0 ? "?" : symbols.type_name(t); }

const Object& object_at(const Model& m, const LeakAnalysis& a, uint32_t node) { return m.object(a.graph.slot(node)); }

// The named roots holding a path's first object, as "[held by sys.modules] -> ".
std::string path_root_text(const Model& m, const NamedRootHolders& holders, ObjSlot first) {
  std::string out;
  for (const std::string& t : root_hold_texts(m, holders.of(first))) out += (out.empty() ? "" : ", ") + t;
  return out.empty() ? out : "[" + out + "] -> ";
}

std::string path_text(const Model& m, const SymbolTable& symbols, const LeakAnalysis& a,
                      const std::vector<uint32_t>& path, const NamedRootHolders& holders) {
  std::string out;
  if (!path.empty()) out = path_root_text(m, holders, a.graph.slot(path.front()));
  bool first = true;
  for (uint32_t v : path) {
    const Object& o = object_at(m, a, v);
    if (!first) out += " -> ";
    first = false;
    out += object_name(o.addr, o.line) + " " + type_name(symbols, o.type);
  }
  return out;
}

std::vector<Table::Column> group_columns(const GroupBy& by) {
  std::vector<Table::Column> cols{{"kind"}};
  if (by.type) cols.push_back({"type"});
  if (by.site) cols.push_back({"site"});
  if (by.stack) cols.push_back({"stack"});
  cols.push_back({"objects", Table::Align::Right});
  cols.push_back({"bytes", Table::Align::Right});
  return cols;
}

std::vector<std::string> group_cells(const GroupNames& n, const GroupBy& by) {
  std::vector<std::string> row{n.kind};
  if (by.type) row.push_back(n.type.value_or("?"));
  if (by.site) row.push_back(n.site.value_or("?"));
  if (by.stack) {
    std::string chain;
    for (const std::string& f : *n.stack) chain += (chain.empty() ? "" : " < ") + f;
    row.push_back(chain.empty() ? "?" : chain);
  }
  return row;
}

}  // namespace

Json leak_window_json(const LeakWindowInfo& w) {
  return {{"from", w.from.empty() ? Json(nullptr) : Json(w.from)},
          {"to", w.to.empty() ? Json(nullptr) : Json(w.to)},
          {"from_line", w.from_line},
          {"to_line", w.to_line}};
}

std::string leak_window_text(const LeakWindowInfo& w) {
  std::string from = w.from.empty() ? "the trace's beginning" : fmt::format("marker '{}' (line {})", w.from, w.from_line);
  std::string to = w.to.empty() ? fmt::format("the end (line {})", w.to_line)
                                : fmt::format("marker '{}' (line {})", w.to, w.to_line);
  return "objects allocated after " + from + ", live at " + to;
}

Json object_ref_json(const Object& o, const SymbolTable& symbols) {
  return {{"address", hex_address(o.addr)}, {"line", o.line}, {"type", type_name(symbols, o.type)}};
}

Json group_keys_json(const GroupNames& n) {
  Json stack = nullptr;
  if (n.stack) stack = *n.stack;
  return {{"type", n.type ? Json(*n.type) : Json(nullptr)},
          {"site", n.site ? Json(*n.site) : Json(nullptr)},
          {"stack", stack},
          {"kind", n.kind}};
}

Json leaks_json(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options) {
  const Model& m = replay.model();
  const SymbolTable& symbols = replay.symbols();
  Json by_kind = Json::object(), bytes_by_kind = Json::object();
  for (size_t k = 0; k < kLeakKinds; ++k) {
    std::string name(leak_kind_name(static_cast<LeakKind>(k)));
    by_kind[name] = a.set.objects[k];
    bytes_by_kind[name] = a.set.bytes[k];
  }
  Json groups = Json::array();
  for (const LeakGroup& g : a.groups) {
    Json j = group_keys_json(group_names(g.key, symbols));
    j["objects"] = g.objects;
    j["bytes"] = g.bytes;
    groups.push_back(std::move(j));
  }
  Json objects = Json::array();
  NamedRootHolders holders(m);
  for (size_t i : largest_leaks(m, a, options.limit)) {
    uint32_t v = a.set.nodes[i];
    const Object& o = object_at(m, a, v);
    Json j = {{"address", hex_address(o.addr)},
              {"line", o.line},
              {"type", type_name(symbols, o.type)},
              {"size", static_cast<uint64_t>(o.size)},
              {"kind", leak_kind_name(a.set.kinds[i])},
              {"site", o.site.value == 0 ? Json(nullptr) : Json(symbols.site_label(o.site))},
              {"refcount", o.refcount},
              {"external", o.external()}};
    if (a.set.kinds[i] == LeakKind::Retained) {
      Json path = Json::array();
      std::vector<uint32_t> nodes = retained_path(a.set, v);
      for (uint32_t p : nodes) path.push_back(object_ref_json(object_at(m, a, p), symbols));
      j["path"] = std::move(path);
      if (!nodes.empty()) {
        auto holds = holders.of(a.graph.slot(nodes.front()));
        if (!holds.empty()) {
          Json named = Json::array();
          for (const RootHold& h : holds)
            named.push_back({{"id", symbols.root_trace_id(h.root)}, {"name", m.root(h.root).name},
                             {"references", h.references}});
          j["path_named_roots"] = std::move(named);
        }
      }
    }
    objects.push_back(std::move(j));
  }
  Json doc = {{"schema", "refscope.leaks/1"},
              {"trace", trace_json(replay.info())},
              {"window", leak_window_json(options.window)},
              {"by", group_by_names(options.by)},
              {"totals",
               {{"objects", a.set.total_objects()},
                {"bytes", a.set.total_bytes()},
                {"by_kind", by_kind},
                {"bytes_by_kind", bytes_by_kind}}},
              {"groups", std::move(groups)},
              {"objects", std::move(objects)},
              {"objects_listed", std::min<uint64_t>(options.limit == 0 ? a.set.nodes.size() : options.limit,
                                                    a.set.nodes.size())},
              {"anomalies", m.anomalies().total()}};
  return doc;
}

std::string leaks_text(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options) {
  const Model& m = replay.model();
  const SymbolTable& symbols = replay.symbols();
  std::string out;
  out += fmt::format("Trace     {}\n", replay.info().name);
  out += fmt::format("Window    {}\n", leak_window_text(options.window));
  out += fmt::format("Leaked    {} objects, {} ({} bytes)\n", grouped(a.set.total_objects()),
                     human_bytes(a.set.total_bytes()), grouped(a.set.total_bytes()));
  Table kinds({{"kind"}, {"objects", Table::Align::Right}, {"bytes", Table::Align::Right}});
  for (size_t k = 0; k < kLeakKinds; ++k)
    kinds.add({std::string(leak_kind_name(static_cast<LeakKind>(k))), grouped(a.set.objects[k]),
               grouped(a.set.bytes[k])});
  out += "\n" + kinds.text();
  if (m.anomalies().total() > 0)
    out += fmt::format("\n{} anomalies in the trace: the model is approximate there ('refscope summary' lists them)\n",
                       grouped(m.anomalies().total()));
  if (a.groups.empty()) return out;

  std::string by;
  for (const std::string& d : group_by_names(options.by)) by += (by.empty() ? "" : ", ") + d;
  out += fmt::format("\nGroups by {} and kind, largest first: {}\n", by, grouped(a.groups.size()));
  Table groups(group_columns(options.by));
  for (const LeakGroup& g : a.groups) {
    auto row = group_cells(group_names(g.key, symbols), options.by);
    row.push_back(grouped(g.objects));
    row.push_back(grouped(g.bytes));
    groups.add(std::move(row));
  }
  out += groups.text();

  auto listed = largest_leaks(m, a, options.limit);
  out += fmt::format("\nObjects, largest first: {} of {}{}\n", grouped(listed.size()), grouped(a.set.nodes.size()),
                     listed.size() < a.set.nodes.size() ? " (--limit 0 lists all)" : "");
  Table objects({{"object"}, {"kind"}, {"type"}, {"bytes", Table::Align::Right}, {"site"}});
  std::vector<std::string> paths;
  for (size_t i : listed) {
    const Object& o = object_at(m, a, a.set.nodes[i]);
    objects.add({object_name(o.addr, o.line), std::string(leak_kind_name(a.set.kinds[i])), type_name(symbols, o.type),
                 grouped(o.size), symbols.site_label(o.site)});
  }
  out += objects.text();
  bool header = false;
  NamedRootHolders holders(m);
  for (size_t i : listed) {
    if (a.set.kinds[i] != LeakKind::Retained) continue;
    if (!header) out += "\nRetained objects: shortest path from the older root that holds each\n";
    header = true;
    out += "  " + path_text(m, symbols, a, retained_path(a.set, a.set.nodes[i]), holders) + "\n";
  }
  return out;
}

std::string leaks_tsv(const Replay& replay, const LeakAnalysis& a, const LeakReportOptions& options) {
  Table groups(group_columns(options.by));
  for (const LeakGroup& g : a.groups) {
    auto row = group_cells(group_names(g.key, replay.symbols()), options.by);
    row.push_back(std::to_string(g.objects));
    row.push_back(std::to_string(g.bytes));
    groups.add(std::move(row));
  }
  return groups.tsv();
}

}  // namespace refscope
