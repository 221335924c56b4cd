#include "refscope/report/cycle_report.h"

#include <fmt/format.h>

#include "refscope/report/dot_writer.h"
#include "refscope/report/output.h"

namespace refscope {
namespace {

// Text shows at most this many steps of a cycle's path and this many held objects; JSON shows everything.
constexpr size_t kTextPathSteps = 64;
constexpr size_t kTextHeld = 16;

const char* plural(uint64_t n, const char* one, const char* many) { return n == 1 ? one : many; }

Json object_json(const CycleObject& o, const SymbolTable& s) {
  return {{"address", hex_address(o.addr)},
          {"line", o.line},
          {"type", s.type_name(o.type)},
          {"size", o.size},
          {"site", s.site_label(o.site)}};
}

Json cycle_json(const CycleDetail& d, const SymbolTable& s, bool collected) {
  Json objects = Json::array(), held = Json::array(), edges = Json::array(), path = Json::array();
  for (const CycleObject& o : d.objects) objects.push_back(object_json(o, s));
  for (const CycleObject& o : d.held) held.push_back(object_json(o, s));
  auto at = [&](uint32_t i) -> const CycleObject& {
    return i < d.objects.size() ? d.objects[i] : d.held[i - d.objects.size()];
  };
  for (auto [from, to] : d.edges) edges.push_back({hex_address(at(from).addr), hex_address(at(to).addr)});
  for (uint32_t i : d.path) path.push_back(hex_address(d.objects[i].addr));
  Json j = Json::object();
  if (collected) {
    j["gc_line"] = d.gc_line;
    j["generation"] = d.generation;
  }
  j["objects"] = objects;
  j["edges"] = edges;
  j["bytes"] = d.bytes;
  j["path"] = path;
  j["held"] = held;
  j["held_bytes"] = d.held_bytes;
  j["total_bytes"] = d.bytes + d.held_bytes;
  return j;
}

std::string object_line(const CycleObject& o, const SymbolTable& s) {
  return fmt::format("{}  {}  {}  {}", object_name(o.addr, o.line), s.type_name(o.type), human_bytes(o.size),
                     s.site_label(o.site));
}

std::string cycle_text(size_t number, const CycleDetail& d, const SymbolTable& s) {
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
    const CycleObject& o = d.objects[d.path[k]];
    if (k == 0)
      out += "     " + object_line(o, s) + '\n';
    else if (k + 1 == d.path.size())
      out += fmt::format("  -> {} (back to the start)\n", object_name(o.addr, o.line));
    else
      out += "  -> " + object_line(o, s) + '\n';
  }
  if (d.path.size() < d.objects.size() + 1)
    out += fmt::format("  ({} objects in all: the path above is the shortest closed one through the first)\n",
                       grouped(d.objects.size()));
  if (!d.held.empty()) {
    out += "  holds:\n";
    for (size_t k = 0; k < d.held.size() && k < kTextHeld; ++k) out += "     " + object_line(d.held[k], s) + '\n';
    if (d.held.size() > kTextHeld) out += fmt::format("     ... {} more\n", grouped(d.held.size() - kTextHeld));
  }
  return out;
}

std::string where(const CycleReport& r) {
  return r.at.empty() ? fmt::format("at the end of the trace (line {})", r.at_line)
                      : fmt::format("at marker '{}' (line {})", r.at, r.at_line);
}

const char* const kLivePlaceholder = "\x01refscope-live-cycles\x01";
const char* const kCollectedPlaceholder = "\x01refscope-collected-cycles\x01";

// The report with each list of cycles either in full or, for streaming, as one placeholder string.
Json cycles_document(const CycleReport& r, const SymbolTable& s, bool placeholders) {
  Json cycles = Json::array(), collected = Json::array(), other = Json::array();
  uint64_t on_cycles = 0, cycle_bytes = 0;
  for (const CycleDetail& d : r.cycles) {
    if (!placeholders) cycles.push_back(cycle_json(d, s, false));
    on_cycles += d.objects.size();
    cycle_bytes += d.bytes;
  }
  if (placeholders && !r.cycles.empty()) cycles.push_back(kLivePlaceholder);
  for (const CycleObject& o : r.other) other.push_back(object_json(o, s));
  Json doc = {{"schema", "refscope.cycles/1"},
              {"at", r.at.empty() ? Json(nullptr) : Json(r.at)},
              {"at_line", r.at_line},
              {"unreachable", {{"objects", r.unreachable_objects}, {"bytes", r.unreachable_bytes}}},
              {"cycle_count", r.cycles.size()},
              {"cycle_objects", on_cycles},
              {"cycle_bytes", cycle_bytes},
              {"cycles", cycles},
              {"other_unreachable", {{"objects", other}, {"bytes", r.other_bytes}}}};
  if (r.collected) {
    if (!placeholders)
      for (const CycleDetail& d : r.collected->kept()) collected.push_back(cycle_json(d, s, true));
    if (placeholders && !r.collected->kept().empty()) collected.push_back(kCollectedPlaceholder);
    doc["collected"] = collected;
    doc["collected_totals"] = {{"collections", r.collected->collections()},
                               {"collections_with_cycles", r.collected->collections_with_cycles()},
                               {"cycles", r.collected->cycles()},
                               {"objects", r.collected->objects()},
                               {"bytes", r.collected->bytes()},
                               {"listed", r.collected->kept().size()}};
  }
  return doc;
}

// Writes `text` up to the placeholder, each cycle dumped on its own (so the whole document never sits in memory as
// JSON values: nlohmann's take about 2 KB an object), then the rest. Indented as dump(2) indents the whole.
std::string_view stream_list(std::string_view text, const char* placeholder, const std::vector<CycleDetail>& list,
                             const SymbolTable& s, bool collected) {
  std::string token = Json(placeholder).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  size_t at = text.find(token);
  if (at == std::string_view::npos) return text;
  write_out(text.substr(0, at));
  for (size_t i = 0; i < list.size(); ++i) {
    std::string item = cycle_json(list[i], s, collected).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(item.size() + item.size() / 8);
    for (char c : item) {
      out += c;
      if (c == '\n') out += "    ";
    }
    if (i + 1 < list.size()) out += ",\n    ";
    write_out(out);
  }
  return text.substr(at + token.size());
}

}  // namespace

Json cycles_json(const CycleReport& r, const SymbolTable& s) { return cycles_document(r, s, false); }

void write_cycles_json(const CycleReport& r, const SymbolTable& s) {
  std::string text = cycles_document(r, s, true).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string_view rest = stream_list(text, kLivePlaceholder, r.cycles, s, false);
  if (r.collected) rest = stream_list(rest, kCollectedPlaceholder, r.collected->kept(), s, true);
  write_out(rest);
  write_out("\n");
}

std::string cycles_text(const CycleReport& r, const SymbolTable& s) {
  uint64_t on_cycles = 0, cycle_bytes = 0;
  for (const CycleDetail& d : r.cycles) {
    on_cycles += d.objects.size();
    cycle_bytes += d.bytes;
  }
  std::string out = fmt::format("Unreachable {}: {} {}, {}\n", where(r), grouped(r.unreachable_objects),
                                plural(r.unreachable_objects, "object", "objects"), human_bytes(r.unreachable_bytes));
  out += fmt::format("  {} {} of {} {}, {}; {} more on no cycle, {}\n", grouped(r.cycles.size()),
                     plural(r.cycles.size(), "cycle", "cycles"), grouped(on_cycles),
                     plural(on_cycles, "object", "objects"), human_bytes(cycle_bytes),
                     grouped(r.unreachable_objects - on_cycles), human_bytes(r.unreachable_bytes - cycle_bytes));
  size_t shown = 0;
  for (const CycleDetail& d : r.cycles) {
    if (r.limit != 0 && shown == r.limit) {
      out += fmt::format("\n... {} more cycles (--limit N; 0 shows all)\n", grouped(r.cycles.size() - shown));
      break;
    }
    out += '\n' + cycle_text(++shown, d, s);
  }
  if (!r.other.empty()) {
    out += fmt::format("\nUnreachable, on no cycle and held by none ({} {}, {}; refcount 0 but never freed, or held "
                       "only by such objects):\n",
                       grouped(r.other.size()), plural(r.other.size(), "object", "objects"),
                       human_bytes(r.other_bytes));
    for (size_t k = 0; k < r.other.size() && k < kTextHeld; ++k) out += "     " + object_line(r.other[k], s) + '\n';
    if (r.other.size() > kTextHeld) out += fmt::format("     ... {} more\n", grouped(r.other.size() - kTextHeld));
  }
  if (r.collected) {
    const CollectedCycles& c = *r.collected;
    if (c.collections() == 0) {
      out += "\nCollected by CPython's collector before that point: no collections (no G..g records)\n";
      return out;
    }
    out += fmt::format("\nCollected by CPython's collector before that point: {} {} ({} {} with what they held, {}) "
                       "in {} of {} {}\n",
                       grouped(c.cycles()), plural(c.cycles(), "cycle", "cycles"), grouped(c.objects()),
                       plural(c.objects(), "object", "objects"), human_bytes(c.bytes()),
                       grouped(c.collections_with_cycles()), grouped(c.collections()),
                       plural(c.collections(), "collection", "collections"));
    size_t listed = 0;
    for (const CycleDetail& d : c.kept()) {
      if (r.limit != 0 && listed == r.limit) break;
      out += fmt::format("\ncollection at line {} (generation {}), ", d.gc_line, d.generation);
      out += cycle_text(++listed, d, s);
    }
    if (listed < c.cycles())
      out += fmt::format("\n... {} more collected cycles (--limit N, --max-collected N)\n",
                         grouped(c.cycles() - listed));
  }
  return out;
}

std::string cycles_dot(const CycleReport& r, const SymbolTable& s) {
  std::string out = "digraph cycles {\n  node [shape=box, fontname=\"monospace\"];\n";
  auto label = [&](const CycleObject& o) {
    return fmt::format("{}\n{}\n{}", object_name(o.addr, o.line), s.type_name(o.type), human_bytes(o.size));
  };
  auto emit = [&](const CycleDetail& d, const std::string& name, const std::string& title) {
    out += fmt::format("  subgraph {} {{\n    label={};\n", dot_quote(name), dot_quote(title));
    for (const CycleObject& o : d.objects) out += "  " + dot_node(o.addr, o.line, label(o));
    for (const CycleObject& o : d.held) out += "  " + dot_node(o.addr, o.line, label(o), ", style=dashed");
    out += "  }\n";
    auto at = [&](uint32_t i) -> const CycleObject& {
      return i < d.objects.size() ? d.objects[i] : d.held[i - d.objects.size()];
    };
    for (auto [from, to] : d.edges) out += dot_edge(at(from).addr, at(from).line, at(to).addr, at(to).line);
  };
  size_t shown = 0;
  for (const CycleDetail& d : r.cycles) {
    if (r.limit != 0 && shown == r.limit) break;
    ++shown;
    emit(d, fmt::format("cluster_cycle_{}", shown),
         fmt::format("cycle {}: {} {}, {}", shown, d.objects.size(), plural(d.objects.size(), "object", "objects"),
                     human_bytes(d.bytes)));
  }
  if (r.collected) {
    size_t listed = 0;
    for (const CycleDetail& d : r.collected->kept()) {
      if (r.limit != 0 && listed == r.limit) break;
      ++listed;
      emit(d, fmt::format("cluster_collected_{}", listed),
           fmt::format("collected at line {}: {} {}, {}", d.gc_line, d.objects.size(),
                       plural(d.objects.size(), "object", "objects"), human_bytes(d.bytes)));
    }
  }
  out += "}\n";
  return out;
}

}  // namespace refscope
