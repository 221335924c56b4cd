#pragma once
// Points in a trace, chosen by marker: `LABEL` is the first marker with that label, `LABEL#N` the N-th (1-based),
// unless a marker is literally labelled `LABEL#N`, which wins.
#include <cstdint>
#include <optional>
#include <string>

namespace refscope {

struct PointSpec {
  std::string text;        // as the user wrote it; also the literal label it may match
  std::string label;       // without the #N suffix
  uint32_t occurrence = 1;  // N of LABEL#N; 1 without a suffix
  bool has_occurrence = false;

  bool matches_literal(std::string_view marker) const { return marker == text; }
};

// Parses `LABEL` or `LABEL#N`. An empty text is a usage error.
PointSpec parse_point(const std::string& text);

}  // namespace refscope
