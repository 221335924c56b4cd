#include "refscope/report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "refscope/report/format.h"
#include "refscope/report/html_assets.h"
#include "refscope/report/leak_report.h"
#include "refscope/report/objects.h"
#include "refscope/report/svg_graph.h"

namespace refscope {
namespace {

// Bounds on what the page draws, so that its size follows what a person can read, not the trace's size. Every
// figure left out is counted on the page.
constexpr size_t kMarkerRows = 200;      // the markers table
constexpr size_t kMarkerLabels = 24;     // marker labels written on the chart (more: ticks only)
constexpr size_t kGroupRows = 500;       // rows of the leak groups table
constexpr size_t kGroupObjects = 20;     // objects shown when a group opens
constexpr size_t kIcicleFrames = 2000;   // frames of the icicle graph
constexpr size_t kRingMembers = 24;      // members of one cycle drawn round its ring
constexpr size_t kHeldDrawn = 12;        // objects a cycle holds, drawn on its outer ring

std::string esc(std::string_view s) { return html_escape(s); }

std::string kind_badge(std::string_view kind) {
  return fmt::format("<span class=\"kind kind-{0}\">{0}</span>", esc(kind));
}

// A site shortened as text reports show it (site_display), the whole path on hover.
std::string site_html(std::string_view site) {
  return fmt::format("<span class=\"site\" title=\"{}\">{}</span>", esc(site), esc(site_display(site)));
}

// "0x1000@17 builtins.module (module app) 1.2 KiB, app.py:3 in f": the object's own name (format 2) after its type;
// its size counts what it owns where the trace says (format 2's Z records).
std::string object_html(const ObjectRef& o, const Names& names) {
  std::string name = o.name == Names::kNone ? ""
                                            : fmt::format(" <span class=\"name\">({})</span>", esc(names[o.name]));
  return fmt::format("<code>{}</code> {}{} <span class=\"muted\" data-size=\"{}\">{}, {}</span>",
                     object_name(o.addr, o.line), esc(names[o.type]), name, o.size, human_bytes(o.size),
                     site_html(names[o.site]));
}

std::string object_anchor(const ObjectRef& o) { return fmt::format("obj-{:x}-{}", o.addr, o.line); }

std::string figure(const std::string& value, const std::string& what, const std::string& key) {
  return fmt::format("<div class=\"figure\" data-figure=\"{}\"><b>{}</b><span>{}</span></div>", key, value, what);
}

// ---- the trace at a glance ----

std::string chart_svg(const HtmlReportResult& r) {
  const TimelineResult& t = r.timeline;
  constexpr double W = 1000, H = 250, L = 70, R = 70, T = 30, B = 34;
  uint64_t last = std::max<uint64_t>(1, t.samples.empty() ? 1 : t.samples.back().line);
  double max_b = static_cast<double>(std::max<uint64_t>(1, t.peak_bytes));
  double max_o = static_cast<double>(std::max<uint64_t>(1, t.peak_objects));
  auto x = [&](uint64_t line) { return L + (W - L - R) * static_cast<double>(line) / static_cast<double>(last); };
  auto yb = [&](uint64_t b) { return T + (H - T - B) * (1 - static_cast<double>(b) / max_b); };
  auto yo = [&](uint64_t o) { return T + (H - T - B) * (1 - static_cast<double>(o) / max_o); };
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"timeline\" width=\"100%\" viewBox=\"0 0 {} {}\" "
      "preserveAspectRatio=\"xMinYMin meet\" data-samples=\"{}\" data-markers=\"{}\" role=\"img\" "
      "aria-label=\"live objects and bytes over the trace\">",
      W, H, t.samples.size(), t.markers.size());
  // The window, shaded.
  const Window& w = r.leaks.window;
  if (w.from.line > 0)
    out += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"#1f6feb\" opacity=\"0.07\">"
                       "<title>the window: objects allocated after line {}</title></rect>",
                       x(w.from.line), T, std::max(0.0, x(w.to.line) - x(w.from.line)), H - T - B, w.from.line);
  // Axes and grid.
  for (int k = 0; k <= 4; ++k) {
    double y = T + (H - T - B) * k / 4.0;
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e7eb\"/>", L, W - R, y, y);
    auto bytes = static_cast<uint64_t>(max_b * (4 - k) / 4.0), objects = static_cast<uint64_t>(max_o * (4 - k) / 4.0);
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" font-size=\"11\" fill=\"#1f6feb\">{}</text>",
                       L - 6, y + 4, human_bytes(bytes));
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" fill=\"#c0392b\">{}</text>", W - R + 6, y + 4,
                       grouped(objects));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#5b6670\">line 0</text>", L, H - 10);
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#5b6670\" text-anchor=\"end\">line {}</text>",
                     W - R, H - 10, grouped(last));
  // Markers: a dashed line each; labels while they fit.
  bool labels = t.markers.size() <= kMarkerLabels;
  double label_end[2] = {-1e9, -1e9};  // where the last label of each of two rows ends: labels must not overlap
  for (size_t i = 0; i < t.markers.size(); ++i) {
    const TimelineMarker& m = t.markers[i];
    double mx = x(m.line);
    out += fmt::format(
        "<g class=\"marker\" data-label=\"{0}\" data-line=\"{1}\"><title>marker '{0}' at line {2}: {3} objects, "
        "{4}</title><line x1=\"{5:.1f}\" x2=\"{5:.1f}\" y1=\"{6}\" y2=\"{7}\" stroke=\"#5b6670\" "
        "stroke-dasharray=\"3 3\"/>",
        esc(m.label), m.line, grouped(m.line), grouped(m.objects), human_bytes(m.bytes), mx, T - 4, H - B);
    std::string label = m.label.substr(0, 18);
    double half = 3.0 * static_cast<double>(label.size()) + 3;
    int row = mx - half > label_end[0] ? 0 : mx - half > label_end[1] ? 1 : -1;
    if (labels && row >= 0) {
      label_end[row] = mx + half;
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" fill=\"#2d3a45\" text-anchor=\"middle\">{}</text>",
                         mx, T - 8 - 10 * row, esc(label));
    }
    out += "</g>";
  }
  // The two series.
  std::string pb, po;
  for (const TimelineSample& s : t.samples) {
    pb += fmt::format("{:.1f},{:.1f} ", x(s.line), yb(s.bytes));
    po += fmt::format("{:.1f},{:.1f} ", x(s.line), yo(s.objects));
  }
  out += fmt::format("<polyline class=\"series-bytes\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\" "
                     "points=\"{}\"/>", pb);
  out += fmt::format("<polyline class=\"series-objects\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" "
                     "stroke-dasharray=\"5 3\" points=\"{}\"/>", po);
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#1f6feb\" text-anchor=\"end\">live bytes "
                     "(left, solid)</text>", W / 2 - 10, H - 10);
  out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#c0392b\">live objects (right, dashed)</text>",
                     W / 2 + 10, H - 10);
  out += "</svg>";
  return out;
}

std::string glance_section(const HtmlReportResult& r) {
  const SummaryResult& s = r.summary;
  const LeakAnalysis& a = r.leaks.leaks;
  std::string out = "<section id=\"glance\"><h2>The trace at a glance</h2><div class=\"figures\">";
  out += figure(grouped(s.live_objects), "live objects at the end of the window", "live_objects");
  out += figure(human_bytes(s.live_bytes), "live bytes (" + grouped(s.live_bytes) + ")", "live_bytes");
  if (s.trace.version >= 2)
    out += figure(grouped(s.unmeasured_objects), "live objects owning memory their size leaves out", "unmeasured");
  out += figure(human_bytes(s.peak_bytes), "peak bytes, at line " + grouped(s.peak_bytes_line), "peak_bytes");
  out += figure(grouped(a.total_objects()), "leaked objects in the window, " + human_bytes(a.total_bytes()),
                "leaked_objects");
  out += figure(grouped(r.cycles.cycles.size()), "garbage cycles at the end", "cycles");
  out += figure(grouped(r.timeline.markers_total), "markers", "markers");
  out += figure(grouped(s.anomalies.total), "anomalies", "anomalies");
  out += "</div>";
  if (s.trace.version >= 2)
    out += fmt::format("<p class=\"note\" id=\"owned-bytes\" data-unmeasured=\"{}\">Byte figures count what "
                       "objects own where the trace measured it (a list's item array, a dict's tables, a "
                       "bytearray's buffer: <code>sys.getsizeof</code>). {}</p>",
                       s.unmeasured_objects,
                       s.unmeasured_objects == 0
                           ? std::string("Every live object was measured.")
                           : counted(s.unmeasured_objects, "live object owns", "live objects own") +
                                 " memory its size leaves out (a <code>__sizeof__</code> written in Python, or a type "
                                 "whose owned memory cannot be known): those figures are too low.");
  out += "<h3>Live objects and bytes over the trace</h3>";
  out += chart_svg(r);
  out += "<p class=\"note\">Sampled every few thousand records and at every marker (dashed lines); the shaded part is "
         "the window whose leaks this page shows.</p>";
  // Markers.
  out += fmt::format("<h3>Markers</h3>");
  if (r.timeline.markers.empty()) {
    out += "<p class=\"muted\">The trace has no markers.</p>";
  } else {
    out += "<table class=\"sortable\" id=\"markers\"><thead><tr><th data-key=\"label\">label</th>"
           "<th class=\"num\" data-key=\"line\">line</th><th class=\"num\" data-key=\"objects\">live objects</th>"
           "<th class=\"num\" data-key=\"bytes\">live bytes</th></tr></thead><tbody>";
    for (size_t i = 0; i < r.timeline.markers.size() && i < kMarkerRows; ++i) {
      const TimelineMarker& m = r.timeline.markers[i];
      out += fmt::format("<tr><td><code>{}</code></td><td class=\"num\" data-value=\"{}\">{}</td>"
                         "<td class=\"num\" data-value=\"{}\">{}</td><td class=\"num\" data-value=\"{}\">{}</td></tr>",
                         esc(m.label), m.line, grouped(m.line), m.objects, grouped(m.objects), m.bytes,
                         human_bytes(m.bytes));
    }
    out += "</tbody></table>";
    if (r.timeline.markers_total > std::min(r.timeline.markers.size(), kMarkerRows))
      out += fmt::format("<p class=\"note\">{} markers in all; the first {} are listed.</p>",
                         grouped(r.timeline.markers_total), std::min(r.timeline.markers.size(), kMarkerRows));
  }
  // Anomalies.
  out += "<h3>Anomalies</h3>";
  if (s.anomalies.total == 0) {
    out += "<p class=\"muted\" id=\"anomalies\" data-total=\"0\">None: every record made sense.</p>";
  } else {
    out += fmt::format("<table id=\"anomalies\" data-total=\"{}\"><thead><tr><th>kind</th><th class=\"num\">count"
                       "</th></tr></thead><tbody>", s.anomalies.total);
    for (size_t k = 0; k < kAnomalyKinds; ++k)
      if (s.anomalies.by_kind[k])
        out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                           anomaly_name(static_cast<AnomalyKind>(k)), grouped(s.anomalies.by_kind[k]));
    out += "</tbody></table><details><summary>The first ones, with their lines</summary><ul>";
    for (const AnomalyRow& row : s.anomalies.first)
      out += fmt::format("<li>line {}: <b>{}</b> {}</li>", grouped(row.line), anomaly_name(row.kind),
                         esc(row.message));
    out += "</ul></details>";
  }
  out += "</section>";
  return out;
}

// ---- leaks ----

using GroupKey = std::tuple<std::string, std::string, std::string>;  // type, site, kind

GroupKey key_of(const LeakObject& x, const Names& names) {
  return {names[x.object.type], names[x.object.site], std::string(leak_kind_name(x.kind))};
}

// The path from the older root to the object, a step a line; each step after the first says what the reference to
// it is (its label, format 2), as the text report's path does.
std::string path_html(const LeakObject& x, const Names& names) {
  if (x.path.empty()) return "";
  std::string out = "<ol class=\"path\">";
  std::vector<std::string> holds = hold_texts(x.path_root, names);
  for (size_t k = 0; k < x.path.size(); ++k) {
    const ObjectRef& step = x.path[k];
    out += fmt::format("<li data-address=\"{}\"", hex_address(step.addr));
    if (step.via != Names::kNone) out += fmt::format(" data-via=\"{}\"", esc(names[step.via]));
    out += ">";
    if (step.via != Names::kNone) out += "<code class=\"via\">" + esc(names[step.via]) + "</code> ";
    out += object_html(step, names);
    if (k == 0 && !holds.empty()) {
      std::string joined;
      for (const std::string& h : holds) joined += (joined.empty() ? "" : ", ") + h;
      out += " <span class=\"muted\">(" + esc(joined) + ")</span>";
    }
    out += "</li>";
  }
  return out + "</ol>";
}

// The icicle graph: leaked bytes by allocation stack, outermost frame at the top.
struct Frame {
  std::string name;
  uint64_t bytes = 0, objects = 0;
  std::map<std::string, size_t> children;  // by name: index into frames
};

std::string icicle_svg(const LeakAnalysis& stacks) {
  std::vector<Frame> frames(1);
  frames[0].name = "all leaked bytes";
  for (const LeakGroup& g : stacks.groups) {
    frames[0].bytes += g.bytes;
    frames[0].objects += g.objects;
    std::vector<std::string> chain = g.names.stack.value_or(std::vector<std::string>{});
    if (chain.empty()) chain.push_back("?");
    size_t at = 0;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {  // outermost first
      auto found = frames[at].children.find(*it);
      size_t next;
      if (found != frames[at].children.end()) {
        next = found->second;
      } else {
        if (frames.size() >= kIcicleFrames) break;
        next = frames.size();
        frames[at].children.emplace(*it, next);
        frames.push_back({*it, 0, 0, {}});
      }
      frames[next].bytes += g.bytes;
      frames[next].objects += g.objects;
      at = next;
    }
  }
  if (frames[0].bytes == 0) return "";
  constexpr double W = 1200, RowH = 20;
  std::string body;
  size_t depth_max = 0;
  // Depth first; children largest first, then by name.
  struct Item {
    size_t frame;
    double x;
    size_t depth;
  };
  std::vector<Item> stack{{0, 0.0, 0}};
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    const Frame& f = frames[it.frame];
    double w = static_cast<double>(f.bytes) / static_cast<double>(frames[0].bytes);
    depth_max = std::max(depth_max, it.depth);
    double px = it.x * W, pw = w * W;
    size_t fits = pw > 8 ? static_cast<size_t>((pw - 6) / 6.5) : 0;
    std::string label = f.name.size() <= fits ? f.name : fits > 2 ? f.name.substr(0, fits - 1) + "\u2026" : "";
    unsigned hue = 20 + static_cast<unsigned>(std::hash<std::string>{}(f.name) % 30);
    body += fmt::format(
        "<g class=\"frame\" data-label=\"{0}\" data-x=\"{1:.6f}\" data-w=\"{2:.6f}\" data-depth=\"{3}\" "
        "data-bytes=\"{4}\" data-objects=\"{5}\"><title>{0}: {6}, {7} objects</title><rect x=\"{8:.2f}\" "
        "y=\"{9:.1f}\" width=\"{10:.2f}\" height=\"{11}\" fill=\"hsl({12},85%,{13}%)\"/><text x=\"{14:.2f}\" "
        "y=\"{15:.1f}\">{16}</text></g>",
        esc(f.name), it.x, w, it.depth, f.bytes, f.objects, human_bytes(f.bytes), grouped(f.objects), px,
        static_cast<double>(it.depth) * RowH, std::max(pw - 0.5, 0.5), RowH - 1, hue,
        it.depth == 0 ? 80 : 62 + static_cast<int>(it.depth % 3) * 6, px + 3,
        static_cast<double>(it.depth) * RowH + 14, esc(label));
    std::vector<size_t> kids;
    for (const auto& [name, index] : f.children) kids.push_back(index);
    std::stable_sort(kids.begin(), kids.end(), [&](size_t a, size_t b) { return frames[a].bytes > frames[b].bytes; });
    double cx = it.x;
    std::vector<Item> next;
    for (size_t k : kids) {
      next.push_back({k, cx, it.depth + 1});
      cx += static_cast<double>(frames[k].bytes) / static_cast<double>(frames[0].bytes);
    }
    for (auto n = next.rbegin(); n != next.rend(); ++n) stack.push_back(*n);
  }
  return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flame\" id=\"icicle\" width=\"100%\" "
                     "viewBox=\"0 0 {} {}\" data-width=\"{}\" data-frames=\"{}\" data-bytes=\"{}\">{}</svg>",
                     W, static_cast<double>(depth_max + 1) * RowH, W, frames.size(), frames[0].bytes, body);
}

std::string leaks_section(const HtmlReportResult& r) {
  const LeakAnalysis& a = r.leaks.leaks;
  const Names& names = a.names;
  std::string out = "<section id=\"leaks\"><h2>Leaks</h2>";
  out += "<p>Window: " + esc(window_text(r.leaks.window)) + ".</p><div class=\"figures\">";
  for (size_t k = 0; k < kLeakKinds; ++k) {
    std::string kind(leak_kind_name(static_cast<LeakKind>(k)));
    out += fmt::format("<div class=\"figure\" data-kind=\"{0}\" data-objects=\"{1}\" data-bytes=\"{2}\">{3}<b>{4}"
                       "</b><span>objects, {5}</span></div>",
                       kind, a.objects[k], a.bytes[k], kind_badge(kind), grouped(a.objects[k]),
                       human_bytes(a.bytes[k]));
  }
  out += fmt::format("<div class=\"figure\" data-kind=\"total\" data-objects=\"{}\" data-bytes=\"{}\">total<b>{}</b>"
                     "<span>objects, {}</span></div></div>",
                     a.total_objects(), a.total_bytes(), grouped(a.total_objects()), human_bytes(a.total_bytes()));
  out += "<p class=\"note\"><b>unowned</b>: held by a reference no traced object owns (C code, a frame); "
         "<b>retained</b>: reachable from a root older than the window (a cache, a registry); <b>indirect</b>: "
         "reachable only through other leaks; <b>cyclic</b>: on a garbage cycle.</p>";
  if (a.groups.empty()) return out + "<p class=\"muted\" id=\"no-leaks\">No leaks in this window.</p></section>";

  // Objects by group, as far as they are listed; alike paths grouped as the text report groups them.
  std::map<GroupKey, std::vector<size_t>> members;
  for (size_t i = 0; i < a.listed.size(); ++i) members[key_of(a.listed[i], names)].push_back(i);
  PathGroups like = path_groups(a.listed, names);

  out += fmt::format("<h3>Groups</h3><p class=\"note\">By type, allocation site and kind, as <code>refscope leaks"
                     "</code> groups them. Click a header to sort; open a group for its largest objects and the "
                     "path that keeps each alive.</p><table class=\"sortable\" id=\"leak-groups\" data-groups=\"{}\">"
                     "<thead><tr><th data-key=\"kind\">kind</th><th data-key=\"type\">type</th><th data-key=\"site\">"
                     "site</th><th class=\"num\" data-key=\"objects\">objects</th><th class=\"num\" data-key=\"bytes\">"
                     "bytes</th></tr></thead><tbody>", a.groups.size());
  for (size_t i = 0; i < a.groups.size() && i < kGroupRows; ++i) {
    const LeakGroup& g = a.groups[i];
    std::string type = g.names.type.value_or("?"), site = g.names.site.value_or("?");
    auto found = members.find({type, site, g.names.kind});
    size_t shown = found == members.end() ? 0 : std::min(found->second.size(), kGroupObjects);
    out += fmt::format("<tr class=\"group\" data-type=\"{0}\" data-site=\"{1}\" data-kind=\"{2}\" data-objects=\"{3}\" "
                       "data-bytes=\"{4}\"><td data-value=\"{2}\">{5}</td><td>{0}</td><td><code>{8}</code></td>"
                       "<td class=\"num\" data-value=\"{3}\">{6}</td><td class=\"num\" data-value=\"{4}\">{7}</td></tr>",
                       esc(type), esc(site), esc(g.names.kind), g.objects, g.bytes, kind_badge(g.names.kind),
                       grouped(g.objects), grouped(g.bytes), site_html(site));
    out += "<tr class=\"group-objects\"><td colspan=\"5\"><details><summary>";
    if (shown == 0) {
      out += "objects: none among the largest listed</summary></details></td></tr>";
      continue;
    }
    out += fmt::format("{} largest of its {} objects</summary><ul>", shown, grouped(g.objects));
    for (size_t k = 0; k < shown; ++k) {
      size_t index = found->second[k];
      const LeakObject& x = a.listed[index];
      out += fmt::format("<li class=\"leak-object\" id=\"{}\" data-address=\"{}\" data-line=\"{}\">",
                         object_anchor(x.object), hex_address(x.object.addr), x.object.line);
      out += object_html(x.object, names);
      std::string why = root_description(x.state, names);
      if (!why.empty()) out += " <span class=\"muted\">(" + esc(why) + ")</span>";
      if (x.kind == LeakKind::Retained && !x.path.empty()) {
        if (like.first[index] != index) {
          const ObjectRef& first = a.listed[like.first[index]].object;
          out += fmt::format("<div class=\"path-like\" data-like=\"{0}\">kept alive by a path like that of "
                             "<a href=\"#{1}\"><code>{2}</code></a></div>",
                             hex_address(first.addr), object_anchor(first), object_name(first.addr, first.line));
        } else {
          out += "<div>kept alive by:</div>" + path_html(x, names);
          if (like.more[index] > 0)
            out += fmt::format("<div class=\"more-paths\" data-more=\"{}\">and {} more {} like it</div>",
                               like.more[index], grouped(like.more[index]), like.more[index] == 1 ? "path" : "paths");
        }
      }
      out += "</li>";
    }
    out += "</ul></details></td></tr>";
  }
  out += "</tbody></table>";
  if (a.groups.size() > kGroupRows)
    out += fmt::format("<p class=\"note\">{} groups in all; the {} largest are listed.</p>", grouped(a.groups.size()),
                       kGroupRows);
  out += fmt::format("<p class=\"note\">Objects are listed for the {} largest leaked objects of the window.</p>",
                     grouped(a.listed.size()));
  std::string icicle = icicle_svg(r.stacks);
  if (!icicle.empty())
    out += "<h3>Leaked bytes by allocation stack</h3><p class=\"note\">An icicle graph: the outermost frame at the "
           "top, each frame as wide as the bytes leaked below it. Click a frame to zoom in, the top bar to zoom "
           "out.</p>" + icicle;
  return out + "</section>";
}

// ---- cycles ----

GraphPicture picture_of(const CycleDetail& d, const Names& names) {
  GraphPicture p;
  std::vector<uint32_t> ring;  // indices into d.objects, in path order, then the rest
  std::vector<bool> on(d.objects.size(), false);
  for (size_t k = 0; k + 1 < d.path.size() && ring.size() < kRingMembers; ++k)
    if (!on[d.path[k]]) on[d.path[k]] = true, ring.push_back(d.path[k]);
  for (uint32_t i = 0; i < d.objects.size() && ring.size() < kRingMembers; ++i)
    if (!on[i]) on[i] = true, ring.push_back(i);
  std::vector<uint32_t> where(d.objects.size() + d.held.size(), UINT32_MAX);  // edge end -> picture node
  auto add = [&](const ObjectRef& o, bool held, uint32_t end) {
    where[end] = static_cast<uint32_t>(p.nodes.size());
    p.nodes.push_back({names[o.type], object_name(o.addr, o.line), object_text(o, names), held,
                       hex_address(o.addr)});
  };
  for (uint32_t i : ring) add(d.objects[i], false, i);
  for (uint32_t h = 0; h < d.held.size() && h < kHeldDrawn; ++h)
    add(d.held[h], true, static_cast<uint32_t>(d.objects.size() + h));
  for (size_t e = 0; e < d.edges.size(); ++e) {
    auto [from, to] = d.edges[e];
    if (where[from] == UINT32_MAX || where[to] == UINT32_MAX) continue;
    uint32_t label = e < d.edge_labels.size() ? d.edge_labels[e] : Names::kNone;
    p.edges.push_back({where[from], where[to], label == Names::kNone ? "" : names[label]});
  }
  return p;
}

std::string cycle_figure(const CycleDetail& d, const Names& names, const std::string& id, const std::string& title) {
  std::string out = fmt::format(
      "<figure class=\"cycle\" data-objects=\"{}\" data-bytes=\"{}\" data-held=\"{}\"><figcaption><b>{}</b>: {} "
      "{}, {}",
      d.objects.size(), d.bytes, d.held.size(), esc(title), grouped(d.objects.size()),
      d.objects.size() == 1 ? "object" : "objects", human_bytes(d.bytes));
  if (!d.held.empty())
    out += fmt::format("; holds {} more, {}", grouped(d.held.size()), human_bytes(d.held_bytes));
  out += "</figcaption>" + graph_svg(picture_of(d, names), id);
  if (d.objects.size() > kRingMembers || d.held.size() > kHeldDrawn)
    out += fmt::format("<p class=\"note\">Drawn: {} of the {} members, {} of the {} held objects "
                       "(<code>refscope cycles --format json</code> lists them all).</p>",
                       std::min(d.objects.size(), kRingMembers), grouped(d.objects.size()),
                       std::min(d.held.size(), kHeldDrawn), grouped(d.held.size()));
  return out + "</figure>";
}

std::string cycles_section(const HtmlReportResult& r) {
  const CyclesResult& c = r.cycles;
  std::string out = fmt::format("<section id=\"cycles\" data-cycles=\"{}\" data-collected=\"{}\"><h2>Cycles</h2>",
                                c.cycles.size(), c.collected.cycles);
  out += fmt::format("<p>Garbage {}: {} objects ({}) that no root reaches.</p>", esc(point_text(c.at)),
                     grouped(c.unreachable_objects), human_bytes(c.unreachable_bytes));
  if (c.cycles.empty()) out += "<p class=\"muted\">No garbage cycles.</p>";
  for (size_t i = 0; i < c.cycles.size() && i < r.cycle_pictures; ++i)
    out += cycle_figure(c.cycles[i], c.names, fmt::format("cycle-{}", i + 1), fmt::format("cycle {}", i + 1));
  if (c.cycles.size() > r.cycle_pictures)
    out += fmt::format("<p class=\"note\">{} garbage cycles in all; the {} largest are drawn.</p>",
                       grouped(c.cycles.size()), r.cycle_pictures);
  if (!c.other.empty())
    out += fmt::format("<p class=\"note\">{} more unreachable objects ({}) are on no cycle and held by none.</p>",
                       grouped(c.other.size()), human_bytes(c.other_bytes));
  out += fmt::format("<h3>Collected by CPython's collector</h3><p>{} ({}, {}) in {}.</p>",
                     counted(c.collected.cycles, "cycle", "cycles"), counted(c.collected.objects, "object", "objects"),
                     human_bytes(c.collected.bytes), counted(c.collected.collections, "collection", "collections"));
  for (size_t i = 0; i < c.collected.kept.size() && i < r.cycle_pictures; ++i) {
    const CycleDetail& d = c.collected.kept[i];
    out += cycle_figure(d, c.names, fmt::format("collected-{}", i + 1),
                        fmt::format("collected at line {} (generation {})", grouped(d.gc_line), d.generation));
  }
  return out + "</section>";
}

// ---- sharing: the dominator tree ----

std::string sharing_section(const HtmlReportResult& r) {
  const RetentionResult& t = r.retention;
  std::string out = fmt::format("<section id=\"sharing\" data-top=\"{}\"><h2>Sharing: what keeps memory alive</h2>",
                                t.top_total);
  out += fmt::format("<p>Each object retains its own size and every object only it keeps alive (its dominator "
                     "subtree): what freeing it would free. {} live objects, {}. Open an object to see what it "
                     "retains, largest first.</p>", grouped(t.live_objects), human_bytes(t.live_bytes));
  if (t.nodes.empty()) return out + "<p class=\"muted\">No live objects.</p></section>";
  // Children of each node, in order (the nodes are breadth first, siblings largest first).
  std::vector<std::vector<uint32_t>> kids(t.nodes.size() + 1);
  for (uint32_t i = 0; i < t.nodes.size(); ++i)
    kids[t.nodes[i].parent == UINT32_MAX ? t.nodes.size() : t.nodes[i].parent].push_back(i);
  uint64_t scale = std::max<uint64_t>(1, t.nodes.front().retained);
  // Written depth first with an explicit stack (a deep tree must not need a deep C++ stack).
  struct Open {
    uint32_t parent;  // t.nodes.size() for the top
    size_t next = 0;
  };
  out += "<ul class=\"tree\" id=\"dominators\">";
  std::vector<Open> stack{{static_cast<uint32_t>(t.nodes.size())}};
  while (!stack.empty()) {
    Open& top = stack.back();
    const std::vector<uint32_t>& list = kids[top.parent];
    if (top.next == list.size()) {
      bool root = top.parent == t.nodes.size();
      uint64_t hidden = root ? t.top_hidden : t.nodes[top.parent].hidden;
      uint64_t hidden_bytes = root ? t.top_hidden_bytes : t.nodes[top.parent].hidden_bytes;
      if (hidden)
        out += fmt::format("<li class=\"muted\">{} more, retaining {}</li>", grouped(hidden), human_bytes(hidden_bytes));
      stack.pop_back();
      out += stack.empty() ? "</ul>" : "</ul></details></li>";
      continue;
    }
    uint32_t i = list[top.next++];
    const RetainedNode& n = t.nodes[i];
    double bar = 120.0 * static_cast<double>(n.retained) / static_cast<double>(scale);
    std::string line = fmt::format("<span class=\"bar\" style=\"width:{:.0f}px\"></span><b>{}</b> retained by {}",
                                   std::max(bar, 1.0), human_bytes(n.retained), object_html(n.object, t.names));
    if (n.children == 0) {
      out += fmt::format("<li class=\"dom\" data-retained=\"{}\">{}</li>", n.retained, line);
      continue;
    }
    out += fmt::format("<li class=\"dom\" data-retained=\"{}\"><details><summary>{} <span class=\"muted\">({} {})"
                       "</span></summary><ul class=\"tree\">",
                       n.retained, line, grouped(n.children), n.children == 1 ? "object below" : "objects below");
    stack.push_back({i});
  }
  return out + "</section>";
}

}  // namespace

void report_html(const HtmlReportResult& r, Output& out) {
  const TraceFacts& t = r.summary.trace;
  std::string meta;
  for (const auto& [key, value] : t.metadata)
    if (key == "python" || key == "argv" || key == "pid" || key == "recorder")
      meta += fmt::format(" &middot; {} <code>{}</code>", esc(key), esc(value));
  out.write(fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"refscope {0}\">"
      "<title>refscope report: {1}</title><style>{2}</style></head><body>"
      "<header><h1>refscope report: {1}</h1><p>{3} trace, {4} records ({5}), refs {6}{7}{8}</p></header>"
      "<nav><a href=\"#glance\">At a glance</a><a href=\"#leaks\">Leaks</a><a href=\"#cycles\">Cycles</a>"
      "<a href=\"#sharing\">Sharing</a></nav><main>",
      REFSCOPE_VERSION, esc(t.name), html_assets::kCss, esc(t.encoding), grouped(r.summary.lines),
      esc(point_text(r.summary.at)), t.refs == RefsMode::Sampled ? "sampled" : "exact", meta,
      t.truncated ? " &middot; <b>cut short</b>: read up to the cut" : ""));
  out.write(glance_section(r));
  out.write(leaks_section(r));
  out.write(cycles_section(r));
  out.write(sharing_section(r));
  out.write(fmt::format("</main><script>{}</script></body></html>\n", html_assets::kJs));
}

}  // namespace refscope
