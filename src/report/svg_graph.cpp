#include "refscope/report/svg_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <utility>

#include "refscope/util/printable.h"

namespace refscope {
namespace {

constexpr double kBoxW = 150, kBoxH = 36;
constexpr double kMargin = 28;
constexpr double kHeldGap = 120;  // from the ring to the outer ring
constexpr size_t kTitleChars = 22;

struct Point2 {
  double x = 0, y = 0;
};

std::string shorten(const std::string& s, size_t chars) {
  if (s.size() <= chars) return s;
  // Keep the end of a dotted name ("...collections.OrderedDict" -> "…ns.OrderedDict"); cut on a UTF-8 boundary.
  size_t from = s.size() - (chars - 1);
  while (from < s.size() && (static_cast<unsigned char>(s[from]) & 0xC0) == 0x80) ++from;
  return "\u2026" + s.substr(from);
}

// Where the segment from the box's centre towards `to` leaves the box.
Point2 box_exit(Point2 c, Point2 to, double pad) {
  double dx = to.x - c.x, dy = to.y - c.y;
  if (dx == 0 && dy == 0) return c;
  double hw = kBoxW / 2 + pad, hh = kBoxH / 2 + pad;
  double t = std::min(dx != 0 ? hw / std::abs(dx) : 1e18, dy != 0 ? hh / std::abs(dy) : 1e18);
  return {c.x + dx * t, c.y + dy * t};
}

std::vector<Point2> layout(const GraphPicture& p, size_t ring) {
  std::vector<Point2> at(p.nodes.size());
  constexpr double pi = std::numbers::pi;
  // Neighbours on the ring a box's width and a margin apart (the chord between them).
  double radius = ring <= 1 ? 0 : std::max(110.0, (kBoxW + 36) / (2 * std::sin(pi / static_cast<double>(ring))));
  if (ring == 2) radius = 110;
  for (size_t i = 0; i < ring; ++i) {
    double a = -pi / 2 + 2 * pi * static_cast<double>(i) / static_cast<double>(ring);
    at[i] = {radius * std::cos(a), radius * std::sin(a)};
  }
  // Held objects: near the first ring member that holds them, spread over the outer ring.
  std::vector<double> angle(p.nodes.size(), -pi / 2);
  for (size_t i = 0; i < ring; ++i) angle[i] = -pi / 2 + 2 * pi * static_cast<double>(i) / static_cast<double>(std::max<size_t>(ring, 1));
  std::vector<bool> placed(p.nodes.size(), false);
  for (size_t i = 0; i < ring; ++i) placed[i] = true;
  std::vector<size_t> order;
  for (int pass = 0; pass < 8 && order.size() + ring < p.nodes.size(); ++pass)
    for (const PictureEdge& e : p.edges)
      if (placed[e.from] && !placed[e.to]) {
        placed[e.to] = true;
        angle[e.to] = angle[e.from];
        order.push_back(e.to);
      }
  for (size_t i = ring; i < p.nodes.size(); ++i)
    if (!placed[i]) order.push_back(i);
  size_t held = order.size();
  if (held == 0) return at;
  double outer = radius + kHeldGap + (ring <= 1 ? 40 : 0);
  // Spread: keep each near its holder's angle but at least a box's width apart round the circle.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return angle[a] < angle[b]; });
  double step = std::max((kBoxW + 16) / outer, 2 * pi / static_cast<double>(held) * 0.9);
  if (step * static_cast<double>(held) > 2 * pi) {
    outer = static_cast<double>(held) * (kBoxW + 16) / (2 * pi);
    step = 2 * pi / static_cast<double>(held);
  }
  double prev = -1e9;
  for (size_t k = 0; k < held; ++k) {
    double a = std::max(angle[order[k]], prev + step);
    prev = a;
    at[order[k]] = {outer * std::cos(a), outer * std::sin(a)};
  }
  return at;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string safe = printable(text);
  std::string out;
  out.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string graph_svg(const GraphPicture& p, const std::string& id) {
  size_t ring = 0;
  while (ring < p.nodes.size() && !p.nodes[ring].held) ++ring;
  std::vector<Point2> at = layout(p, ring);
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  for (const Point2& q : at) {
    x0 = std::min(x0, q.x - kBoxW / 2);
    x1 = std::max(x1, q.x + kBoxW / 2);
    y0 = std::min(y0, q.y - kBoxH / 2);
    y1 = std::max(y1, q.y + kBoxH / 2);
  }
  x0 -= kMargin, y0 -= kMargin + 14, x1 += kMargin, y1 += kMargin;  // room above for a self-loop
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cycle-picture\" id=\"{0}\" width=\"{3:.0f}\" "
      "height=\"{4:.0f}\" viewBox=\"{1:.1f} {2:.1f} {3:.1f} {4:.1f}\" data-nodes=\"{5}\" data-edges=\"{6}\">"
      "<defs><marker id=\"{0}-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
      "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#51606d\"/>"
      "</marker></defs>",
      id, x0, y0, x1 - x0, y1 - y0, p.nodes.size(), p.edges.size());

  std::set<std::pair<uint32_t, uint32_t>> present;
  for (const PictureEdge& e : p.edges) present.emplace(e.from, e.to);
  std::string labels;
  for (const PictureEdge& e : p.edges) {
    if (e.from >= at.size() || e.to >= at.size()) continue;
    Point2 a = at[e.from], b = at[e.to];
    Point2 mid;
    std::string d;
    if (e.from == e.to) {  // a loop over the box's top edge
      double top = a.y - kBoxH / 2;
      d = fmt::format("M{:.1f},{:.1f} C{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}", a.x - 20, top, a.x - 30, top - 40,
                      a.x + 30, top - 40, a.x + 20, top);
      mid = {a.x, top - 32};
    } else if (present.count({e.to, e.from})) {  // both ways: bend each to its own side
      double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
      Point2 n{-dy / len * 26, dx / len * 26};
      Point2 c{(a.x + b.x) / 2 + n.x, (a.y + b.y) / 2 + n.y};
      Point2 s = box_exit(a, c, 0), t = box_exit(b, c, 2);
      d = fmt::format("M{:.1f},{:.1f} Q{:.1f},{:.1f} {:.1f},{:.1f}", s.x, s.y, c.x, c.y, t.x, t.y);
      mid = {(s.x + 2 * c.x + t.x) / 4, (s.y + 2 * c.y + t.y) / 4};
    } else {
      Point2 s = box_exit(a, b, 0), t = box_exit(b, a, 2);
      d = fmt::format("M{:.1f},{:.1f} L{:.1f},{:.1f}", s.x, s.y, t.x, t.y);
      mid = {(s.x + t.x) / 2, (s.y + t.y) / 2};
    }
    out += fmt::format("<path class=\"edge\" data-from=\"{}\" data-to=\"{}\"", e.from, e.to);
    if (!e.label.empty()) out += fmt::format(" data-label=\"{}\"", html_escape(e.label));
    out += fmt::format(" d=\"{}\" marker-end=\"url(#{}-arrow)\">", d, id);
    if (!e.label.empty()) out += "<title>" + html_escape(e.label) + "</title>";
    out += "</path>";
    if (!e.label.empty())
      labels += fmt::format(
          "<text class=\"edge-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" paint-order=\"stroke\" "
          "stroke=\"#fff\" stroke-width=\"3\">{}</text>",
          mid.x, mid.y - 3, html_escape(shorten(e.label, 24)));
  }
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const PictureNode& n = p.nodes[i];
    out += fmt::format(
        "<g class=\"{}\" data-index=\"{}\" data-address=\"{}\"><title>{}</title><rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{}\" "
        "height=\"{}\" rx=\"5\"/><text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#5b6670\">{}</text></g>",
        n.held ? "held" : "node", i, html_escape(n.address), html_escape(n.tooltip), at[i].x - kBoxW / 2, at[i].y - kBoxH / 2, kBoxW, kBoxH,
        at[i].x, at[i].y - 3, html_escape(shorten(n.title, kTitleChars)), at[i].x, at[i].y + 12,
        html_escape(shorten(n.subtitle, 26)));
  }
  out += labels;
  out += "</svg>";
  return out;
}

}  // namespace refscope
