#pragma once
// Small graphs drawn as SVG by refscope itself, for the HTML report's cycles: no graphviz, no script. The layout is
// fixed and simple, because a garbage cycle is a ring: its members go round a circle in the order of the cycle's
// closed path, so that the path reads clockwise; the objects it holds sit on an outer ring, each near the first
// member that holds it. An edge is a straight arrow between box borders, bent to one side when the opposite edge
// exists too (two objects holding each other), and a loop for an object that holds itself. Edge labels (the
// attribute or key a reference is held under, where the trace names it) sit at the middle of their edge.
//
//        +-------+
//        | Node  | ----.
//        +-------+      v
//     ^             +-------+      +------+
//     |             | dict  | ---> | str  |   (held, outer ring)
//     |             +-------+      +------+
//     +-------+         |
//     | Node  | <-------'
//     +-------+
#include <cstdint>
#include <string>
#include <vector>

namespace refscope {

struct PictureNode {
  std::string title;     // first line: the type
  std::string subtitle;  // second line: address, size
  std::string tooltip;   // full description
  bool held = false;     // on the outer ring: held by the cycle, not on it
  std::string address;   // "0x7f...": the box's data-address
};

struct PictureEdge {
  uint32_t from = 0, to = 0;  // indices into GraphPicture::nodes
  std::string label;          // empty: drawn without one
};

struct GraphPicture {
  std::vector<PictureNode> nodes;  // the ring's members first, in the order round the ring, then the held objects
  std::vector<PictureEdge> edges;
};

// The SVG element (no XML prologue) for the picture; `id` keeps its marker definitions apart from other pictures'
// on the same page. Text is escaped for HTML and XML.
std::string graph_svg(const GraphPicture& picture, const std::string& id);

// Escapes text for HTML and XML content and attribute values; control characters are shown as \xNN (as a
// terminal would show them) rather than passed on.
std::string html_escape(std::string_view text);

}  // namespace refscope
