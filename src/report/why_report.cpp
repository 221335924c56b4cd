#include "refscope/report/why_report.h"

#include <fmt/format.h>

#include <set>

#include "refscope/analysis/named_roots.h"
#include "refscope/report/dot_writer.h"

namespace refscope {
namespace {

Json step_json(const Object& o, const SymbolTable& s, bool root, const Model& m, std::span<const RootHold> holds) {
  Json j = {{"address", hex_address(o.addr)}, {"type", s.type_name(o.type)}, {"line", o.line}, {"size", o.size}};
  if (root) {
    j["root"] = true;
    if (o.immortal())
      j["immortal"] = true;
    else
      j["external"] = o.external();
    if (!holds.empty() && !o.immortal()) {
      Json named = Json::array();
      for (const RootHold& h : holds)
        named.push_back({{"id", s.root_trace_id(h.root)}, {"name", m.root(h.root).name}, {"references", h.references}});
      j["named_roots"] = std::move(named);
    }
  }
  return j;
}

std::string describe(const Object& o, const SymbolTable& s) {
  return fmt::format("{}  {}  {}  {}", object_name(o.addr, o.line), s.type_name(o.type), human_bytes(o.size),
                     s.site_label(o.site));
}

std::string root_note(const Model& m, const Object& o, std::span<const RootHold> holds) {
  return "root: " + root_description(m, o, holds);
}

}  // namespace

Json why_json(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s) {
  const Object& t = m.object(o.target);
  NamedRootHolders holders(m);
  Json target = step_json(t, s, false, m, {});
  if (t.immortal())
    target["immortal"] = true;
  else
    target["refcount"] = t.refcount;
  if (!t.immortal()) target["external"] = t.external();
  target["site"] = s.site_label(t.site);
  Json paths = Json::array();
  for (const auto& path : r.paths) {
    Json p = Json::array();
    for (size_t k = 0; k < path.size(); ++k)
      p.push_back(step_json(m.object(g.slot(path[k])), s, k == 0, m, holders.of(g.slot(path[k]))));
    paths.push_back(std::move(p));
  }
  return {{"schema", "refscope.why/1"},
          {"at", o.at.empty() ? Json(nullptr) : Json(o.at)},
          {"at_line", o.at_line},
          {"target", target},
          {"chosen_by", o.chosen_by},
          {"reachable", !r.paths.empty()},
          {"on_cycle", o.on_cycle},
          {"roots_found", r.roots_found},
          {"paths", paths}};
}

std::string why_text(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s) {
  const Object& t = m.object(o.target);
  NamedRootHolders holders(m);
  std::string where = o.at.empty() ? fmt::format("at the end of the trace (line {})", o.at_line)
                                   : fmt::format("at marker '{}' (line {})", o.at, o.at_line);
  std::string out = fmt::format("Why is {} alive {}?\n", object_name(t.addr, t.line), where);
  out += fmt::format("  {}\n", describe(t, s));
  if (t.immortal())
    out += "  immortal\n";
  else
    out += fmt::format("  refcount {}, of which {} external\n", t.refcount, t.external());
  if (!o.chosen_by.empty()) out += fmt::format("  chosen as {}\n", o.chosen_by);
  if (r.paths.empty()) {
    out += o.on_cycle ? "\nNo root reaches it: it is on a garbage cycle ('refscope cycles' shows it).\n"
                      : "\nNo root reaches it: it is garbage, held only by objects no root reaches "
                        "('refscope cycles' shows what holds it).\n";
    return out;
  }
  out += fmt::format("\n{} shortest {} from roots ({} {} found; --max-paths N):\n", r.paths.size(),
                     r.paths.size() == 1 ? "path" : "paths", r.roots_found, r.roots_found == 1 ? "root" : "roots");
  for (size_t i = 0; i < r.paths.size(); ++i) {
    const auto& path = r.paths[i];
    out += fmt::format("\npath {} ({} {}):\n", i + 1, path.size() - 1, path.size() == 2 ? "step" : "steps");
    for (size_t k = 0; k < path.size(); ++k) {
      const Object& x = m.object(g.slot(path[k]));
      if (k == 0)
        out += fmt::format("     {}  ({})\n", describe(x, s), root_note(m, x, holders.of(g.slot(path[k]))));
      else
        out += fmt::format("  -> {}\n", describe(x, s));
    }
  }
  return out;
}

std::string why_dot(const WhyResult& r, const WhyReport& o, const Graph& g, const Model& m, const SymbolTable& s) {
  std::string out = "digraph why {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n";
  NamedRootHolders holders(m);
  std::set<uint32_t> nodes;
  std::set<std::pair<uint32_t, uint32_t>> edges;
  for (const auto& path : r.paths) {
    nodes.insert(path.begin(), path.end());
    for (size_t k = 0; k + 1 < path.size(); ++k) edges.emplace(path[k], path[k + 1]);
  }
  uint32_t target = g.node(o.target);
  nodes.insert(target);
  for (uint32_t v : nodes) {
    const Object& x = m.object(g.slot(v));
    std::string label = fmt::format("{}\n{}\n{}", object_name(x.addr, x.line), s.type_name(x.type),
                                    human_bytes(x.size));
    std::string extra;
    bool root = g.is_root(v) && !r.paths.empty();
    if (root) label += "\n" + root_note(m, x, holders.of(g.slot(v)));
    if (v == target) extra = ", style=bold";
    else if (root) extra = ", style=filled, fillcolor=lightgrey";
    out += dot_node(x.addr, x.line, label, extra);
  }
  for (auto [a, b] : edges) {
    const Object &x = m.object(g.slot(a)), &y = m.object(g.slot(b));
    out += dot_edge(x.addr, x.line, y.addr, y.line);
  }
  // Named roots (format 2) as nodes of their own, pointing at the path starts they hold.
  std::set<std::pair<uint32_t, uint32_t>> root_edges;  // root index, node
  for (const auto& path : r.paths)
    for (const RootHold& h : holders.of(g.slot(path.front()))) root_edges.emplace(h.root.value, path.front());
  std::set<uint32_t> roots_drawn;
  for (auto [root, v] : root_edges) {
    std::string id = dot_quote(fmt::format("root {}", s.root_trace_id(RootIdx(root))));
    if (roots_drawn.insert(root).second)
      out += fmt::format("  {} [label={}, shape=ellipse, style=filled, fillcolor=lightgrey];\n", id,
                         dot_quote("named root\n" + m.root(RootIdx(root)).name));
    const Object& x = m.object(g.slot(v));
    out += fmt::format("  {} -> {};\n", id, dot_quote(object_name(x.addr, x.line)));
  }
  out += "}\n";
  return out;
}

}  // namespace refscope
