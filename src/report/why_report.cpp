#include "refscope/report/why_report.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "refscope/report/dot_writer.h"
#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/objects.h"
#include "refscope/util/printable.h"

namespace refscope {
namespace {

std::string root_note(const RefState& s, const Names& names) { return "root: " + root_description(s, names); }

constexpr size_t kLikeEarlier = static_cast<size_t>(-1);

// For each path: how many later paths are like it (the same types, names, labels and root description), or
// kLikeEarlier for a path like an earlier one.
std::vector<size_t> paths_like(const WhyResult& r) {
  std::vector<size_t> more(r.paths.size(), 0);
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < r.paths.size(); ++i) {
    std::string shape = path_shape(r.paths[i].steps, r.names) + root_description(r.paths[i].root, r.names);
    auto [it, inserted] = seen.emplace(shape, i);
    if (!inserted) {
      ++more[it->second];
      more[i] = kLikeEarlier;
    }
  }
  return more;
}

}  // namespace

void why_json(const WhyResult& r, Output& out) {
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.why/1").label_field("at", r.at.label).field("at_line", r.at.line);
  w.key("target").begin_object();
  object_fields(w, r.target, r.names);
  state_fields(w, r.target_state, r.names);
  w.end_object();
  w.field("chosen_by", r.chosen_by)
      .field("reachable", r.reachable())
      .field("on_cycle", r.on_cycle)
      .field("roots_found", r.roots_found);
  // Paths like one before them (the same types, names and labels) are counted with it, in "more_like_it".
  std::vector<size_t> more = paths_like(r);
  w.key("paths").begin_array();
  for (size_t i = 0; i < r.paths.size(); ++i) {
    if (more[i] == kLikeEarlier) continue;
    const OwnerPath& p = r.paths[i];
    w.begin_array();
    for (size_t k = 0; k < p.steps.size(); ++k) {
      w.begin_object();
      object_fields(w, p.steps[k], r.names);
      if (k == 0) {
        w.field("root", true);
        state_fields(w, p.root, r.names);
        if (more[i] > 0) w.field("more_paths_like_it", more[i]);
      }
      w.end_object();
    }
    w.end_array();
  }
  w.end_array().end_object().finish();
}

void why_text(const WhyResult& r, Output& out) {
  const ObjectRef& t = r.target;
  std::string s = fmt::format("Why is {} alive {}?\n", object_name(t.addr, t.line), point_text(r.at));
  s += fmt::format("  {}\n", object_text(t, r.names));
  if (r.target_state.immortal)
    s += "  immortal\n";
  else
    s += fmt::format("  refcount {}, of which {} external\n", r.target_state.refcount, r.target_state.external);
  if (!r.chosen_by.empty()) s += fmt::format("  chosen as {}\n", printable(r.chosen_by));
  if (r.paths.empty()) {
    s += r.on_cycle ? "\nNo root reaches it: it is on a garbage cycle ('refscope cycles' shows it).\n"
                    : "\nNo root reaches it: it is garbage, held only by objects no root reaches "
                      "('refscope cycles' shows what holds it).\n";
    out.write(s);
    return;
  }
  s += fmt::format("\n{} shortest {} from roots ({} {} found; --max-paths N):\n", r.paths.size(),
                   r.paths.size() == 1 ? "path" : "paths", r.roots_found, r.roots_found == 1 ? "root" : "roots");
  out.write(s);
  std::vector<size_t> more = paths_like(r);
  size_t number = 0;
  for (size_t i = 0; i < r.paths.size(); ++i) {
    if (more[i] == kLikeEarlier) continue;
    const OwnerPath& p = r.paths[i];
    s = fmt::format("\npath {} ({} {}):\n", ++number, p.steps.size() - 1, p.steps.size() == 2 ? "step" : "steps");
    for (size_t k = 0; k < p.steps.size(); ++k) {
      const ObjectRef& o = p.steps[k];
      if (k == 0)
        s += fmt::format("     {}  ({})\n", object_text(o, r.names), root_note(p.root, r.names));
      else if (o.via != Names::kNone)
        s += fmt::format("  -> {}  {}\n", name_text(r.names, o.via), object_text(o, r.names));
      else
        s += fmt::format("  -> {}\n", object_text(o, r.names));
    }
    if (more[i] > 0) s += fmt::format("  and {} more {} like it\n", more[i], more[i] == 1 ? "path" : "paths");
    out.write(s);
  }
}

void why_dot(const WhyResult& r, Output& out) {
  out.write("digraph why {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
  using Key = std::pair<uint64_t, uint64_t>;  // address, line
  auto key = [](const ObjectRef& o) { return Key{o.addr, o.line}; };
  struct Node {
    const ObjectRef* object;
    const RefState* root = nullptr;  // set for the first object of a path
  };
  std::map<Key, Node> nodes;
  std::map<std::pair<Key, Key>, uint32_t> edges;  // -> the label of the reference
  for (const OwnerPath& p : r.paths) {
    for (const ObjectRef& o : p.steps) nodes.try_emplace(key(o), Node{&o});
    nodes.at(key(p.steps.front())).root = &p.root;
    for (size_t k = 0; k + 1 < p.steps.size(); ++k)
      edges.emplace(std::pair{key(p.steps[k]), key(p.steps[k + 1])}, p.steps[k + 1].via);
  }
  nodes.try_emplace(key(r.target), Node{&r.target});
  for (const auto& [k, node] : nodes) {
    const ObjectRef& x = *node.object;
    std::string label = fmt::format("{}\n{}\n{}", object_name(x.addr, x.line), r.names[x.type], human_bytes(x.size));
    if (x.name != Names::kNone) label += "\n" + r.names[x.name];
    label += "\n" + r.names[x.site];
    std::string extra;
    if (node.root) label += "\n" + root_note(*node.root, r.names);
    if (k == key(r.target))
      extra = ", style=bold";
    else if (node.root)
      extra = ", style=filled, fillcolor=lightgrey";
    out.write(dot_node(x.addr, x.line, label, extra));
  }
  for (const auto& [ab, via] : edges) {
    const auto& [a, b] = ab;
    out.write(dot_edge(a.first, a.second, b.first, b.second,
                       via == Names::kNone ? std::string() : ", label=" + dot_quote(r.names[via])));
  }
  // Named roots (format 2) as nodes of their own, pointing at the path starts they hold.
  std::map<std::pair<uint32_t, Key>, const NamedHold*> root_edges;  // by the root's order, then the object
  for (const OwnerPath& p : r.paths)
    for (const NamedHold& h : p.root.named_roots) root_edges.try_emplace({h.order, key(p.steps.front())}, &h);
  std::set<uint32_t> roots_drawn;
  for (const auto& [where, h] : root_edges) {
    std::string id = dot_quote(fmt::format("root {}", h->id));
    if (roots_drawn.insert(h->order).second)
      out.write(fmt::format("  {} [label={}, shape=ellipse, style=filled, fillcolor=lightgrey];\n", id,
                            dot_quote("named root\n" + r.names[h->name])));
    out.write(fmt::format("  {} -> {};\n", id, dot_quote(object_name(where.second.first, where.second.second))));
  }
  out.write("}\n");
}

}  // namespace refscope
