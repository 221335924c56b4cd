#include "refscope/report/cycle_report.h"

#include <fmt/format.h>

#include "refscope/report/dot_writer.h"
#include "refscope/report/format.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/objects.h"

namespace refscope {
namespace {

// Text shows at most this many steps of a cycle's path and this many held objects; JSON shows everything.
constexpr size_t kTextPathSteps = 64;
constexpr size_t kTextHeld = 16;

const char* plural(uint64_t n, const char* one, const char* many) { return n == 1 ? one : many; }

void cycle_json(JsonWriter& w, const CycleDetail& d, const Names& names, bool collected) {
  w.begin_object();
  if (collected) w.field("gc_line", d.gc_line).field("generation", d.generation);
  w.key("objects").begin_array();
  for (const ObjectRef& o : d.objects) object_json(w, o, names);
  w.end_array();
  w.key("edges").begin_array();
  for (auto [from, to] : d.edges)
    w.begin_array().value(hex_address(d.at(from).addr)).value(hex_address(d.at(to).addr)).end_array();
  w.end_array();
  bool labelled = false;
  for (uint32_t l : d.edge_labels) labelled = labelled || l != Names::kNone;
  if (labelled) {
    // Format 2: what each reference is, parallel to "edges" (null where the trace did not say).
    w.key("edge_labels").begin_array();
    for (uint32_t l : d.edge_labels) {
      if (l == Names::kNone) w.null();
      else w.value(names[l]);
    }
    w.end_array();
  }
  w.field("bytes", d.bytes);
  w.key("path").begin_array();
  for (uint32_t i : d.path) w.value(hex_address(d.objects[i].addr));
  w.end_array();
  if (labelled && d.path_labels.size() == d.path.size()) {
    // path_labels[k]: what path[k] holds to the next step (the last one to the first).
    w.key("path_labels").begin_array();
    for (uint32_t l : d.path_labels) {
      if (l == Names::kNone) w.null();
      else w.value(names[l]);
    }
    w.end_array();
  }
  w.key("held").begin_array();
  for (const ObjectRef& o : d.held) object_json(w, o, names);
  w.end_array();
  w.field("held_bytes", d.held_bytes).field("total_bytes", d.bytes + d.held_bytes);
  w.end_object();
}

std::string cycle_text(size_t number, const CycleDetail& d, const Names& names) {
  std::string out = fmt::format("cycle {}: {} {}, {}", number, grouped(d.objects.size()),
                                plural(d.objects.size(), "object", "objects"), human_bytes(d.bytes));
  if (!d.held.empty())
    out += fmt::format("; holds {} more {}, {}", grouped(d.held.size()), plural(d.held.size(), "object", "objects"),
                       human_bytes(d.held_bytes));
  out += '\n';
  for (size_t k = 0; k < d.path.size(); ++k) {
    if (k == kTextPathSteps && d.path.size() > kTextPathSteps + 1) {
      out += fmt::format("     ... {} more steps (--format json lists them all)\n", d.path.size() - 1 - k);
      break;
    }
    const ObjectRef& o = d.objects[d.path[k]];
    // The label of the reference the step before holds to this one.
    std::string via;
    if (k > 0 && k - 1 < d.path_labels.size() && d.path_labels[k - 1] != Names::kNone)
      via = name_text(names, d.path_labels[k - 1]) + "  ";
    if (k == 0)
      out += "     " + object_text(o, names) + '\n';
    else if (k + 1 == d.path.size())
      out += fmt::format("  -> {}{} (back to the start)\n", via, object_name(o.addr, o.line));
    else
      out += "  -> " + via + object_text(o, names) + '\n';
  }
  if (d.path.size() < d.objects.size() + 1)
    out += fmt::format("  ({} objects in all: the path above is the shortest closed one through the first)\n",
                       grouped(d.objects.size()));
  if (!d.held.empty()) {
    out += "  holds:\n";
    for (size_t k = 0; k < d.held.size() && k < kTextHeld; ++k) out += "     " + object_text(d.held[k], names) + '\n';
    if (d.held.size() > kTextHeld) out += fmt::format("     ... {} more\n", grouped(d.held.size() - kTextHeld));
  }
  return out;
}

struct OnCycles {
  uint64_t objects = 0, bytes = 0;
};
OnCycles on_cycles(const CyclesResult& r) {
  OnCycles t;
  for (const CycleDetail& d : r.cycles) {
    t.objects += d.objects.size();
    t.bytes += d.bytes;
  }
  return t;
}

}  // namespace

void cycles_json(const CyclesResult& r, Output& out) {
  OnCycles on = on_cycles(r);
  JsonWriter w(out);
  w.begin_object()
      .field("schema", "refscope.cycles/1")
      .label_field("at", r.at.label)
      .field("at_line", r.at.line)
      .key("unreachable")
      .begin_object()
      .field("objects", r.unreachable_objects)
      .field("bytes", r.unreachable_bytes)
      .end_object()
      .field("cycle_count", r.cycles.size())
      .field("cycle_objects", on.objects)
      .field("cycle_bytes", on.bytes);
  w.key("cycles").begin_array();
  for (const CycleDetail& d : r.cycles) cycle_json(w, d, r.names, false);
  w.end_array();
  w.key("other_unreachable").begin_object().key("objects").begin_array();
  for (const ObjectRef& o : r.other) object_json(w, o, r.names);
  w.end_array().field("bytes", r.other_bytes).end_object();
  const CollectedSummary& c = r.collected;
  w.key("collected").begin_array();
  for (const CycleDetail& d : c.kept) cycle_json(w, d, r.names, true);
  w.end_array();
  w.key("collected_totals")
      .begin_object()
      .field("collections", c.collections)
      .field("collections_with_cycles", c.collections_with_cycles)
      .field("cycles", c.cycles)
      .field("objects", c.objects)
      .field("bytes", c.bytes)
      .field("listed", c.kept.size())
      .end_object();
  w.end_object().finish();
}

void cycles_text(const CyclesResult& r, Output& out) {
  OnCycles on = on_cycles(r);
  out.write(fmt::format("Unreachable {}: {} {}, {}\n", point_text(r.at), grouped(r.unreachable_objects),
                        plural(r.unreachable_objects, "object", "objects"), human_bytes(r.unreachable_bytes)));
  out.write(fmt::format("  {} {} of {} {}, {}; {} more on no cycle, {}\n", grouped(r.cycles.size()),
                        plural(r.cycles.size(), "cycle", "cycles"), grouped(on.objects),
                        plural(on.objects, "object", "objects"), human_bytes(on.bytes),
                        grouped(r.unreachable_objects - on.objects), human_bytes(r.unreachable_bytes - on.bytes)));
  size_t shown = 0;
  for (const CycleDetail& d : r.cycles) {
    if (r.limit != 0 && shown == r.limit) {
      out.write(fmt::format("\n... {} more cycles (--limit N; 0 shows all)\n", grouped(r.cycles.size() - shown)));
      break;
    }
    out.write("\n" + cycle_text(++shown, d, r.names));
  }
  if (!r.other.empty()) {
    std::string s = "\n" + wrap_prose(fmt::format(
        "Unreachable, on no cycle and held by none ({} {}, {}; refcount 0 but never freed, or held only by such "
        "objects):", grouped(r.other.size()), plural(r.other.size(), "object", "objects"),
        human_bytes(r.other_bytes))) + "\n";
    for (size_t k = 0; k < r.other.size() && k < kTextHeld; ++k) s += "     " + object_text(r.other[k], r.names) + '\n';
    if (r.other.size() > kTextHeld) s += fmt::format("     ... {} more\n", grouped(r.other.size() - kTextHeld));
    out.write(s);
  }
  const CollectedSummary& c = r.collected;
  if (c.collections == 0) {
    out.write("\nCollected by CPython's collector before that point: no collections (no G..g records)\n");
    return;
  }
  out.write("\n" + wrap_prose(fmt::format(
      "Collected by CPython's collector before that point: {} {} ({} {} with what they held, {}) in {} of {} {}",
      grouped(c.cycles), plural(c.cycles, "cycle", "cycles"), grouped(c.objects), plural(c.objects, "object", "objects"),
      human_bytes(c.bytes), grouped(c.collections_with_cycles), grouped(c.collections),
      plural(c.collections, "collection", "collections"))) + "\n");
  size_t listed = 0;
  for (const CycleDetail& d : c.kept) {
    if (r.limit != 0 && listed == r.limit) break;
    out.write(fmt::format("\ncollection at line {} (generation {}), ", d.gc_line, d.generation));
    out.write(cycle_text(++listed, d, r.names));
  }
  if (listed < c.cycles)
    out.write(fmt::format("\n... {} more collected cycles (--limit N, --max-collected N)\n", grouped(c.cycles - listed)));
}

void cycles_dot(const CyclesResult& r, Output& out) {
  out.write("digraph cycles {\n  node [shape=box, fontname=\"monospace\"];\n");
  auto label = [&](const ObjectRef& o) {
    std::string text = fmt::format("{}\n{}\n{}", object_name(o.addr, o.line), r.names[o.type], human_bytes(o.size));
    if (o.name != Names::kNone) text += "\n" + r.names[o.name];
    return text + "\n" + r.names[o.site];
  };
  auto emit = [&](const CycleDetail& d, const std::string& name, const std::string& title) {
    out.write(fmt::format("  subgraph {} {{\n    label={};\n", dot_quote(name), dot_quote(title)));
    for (const ObjectRef& o : d.objects) out.write("  " + dot_node(o.addr, o.line, label(o)));
    for (const ObjectRef& o : d.held) out.write("  " + dot_node(o.addr, o.line, label(o), ", style=dashed"));
    out.write("  }\n");
    for (size_t e = 0; e < d.edges.size(); ++e) {
      auto [from, to] = d.edges[e];
      uint32_t via = e < d.edge_labels.size() ? d.edge_labels[e] : Names::kNone;
      out.write(dot_edge(d.at(from).addr, d.at(from).line, d.at(to).addr, d.at(to).line,
                         via == Names::kNone ? std::string() : ", label=" + dot_quote(r.names[via])));
    }
  };
  size_t shown = 0;
  for (const CycleDetail& d : r.cycles) {
    if (r.limit != 0 && shown == r.limit) break;
    ++shown;
    emit(d, fmt::format("cluster_cycle_{}", shown),
         fmt::format("cycle {}: {} {}, {}", shown, d.objects.size(), plural(d.objects.size(), "object", "objects"),
                     human_bytes(d.bytes)));
  }
  size_t listed = 0;
  for (const CycleDetail& d : r.collected.kept) {
    if (r.limit != 0 && listed == r.limit) break;
    ++listed;
    emit(d, fmt::format("cluster_collected_{}", listed),
         fmt::format("collected at line {}: {} {}, {}", d.gc_line, d.objects.size(),
                     plural(d.objects.size(), "object", "objects"), human_bytes(d.bytes)));
  }
  out.write("}\n");
}

}  // namespace refscope
