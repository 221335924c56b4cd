#include "refscope/replay/point.h"

#include "refscope/util/error.h"

namespace refscope {

PointSpec parse_point(const std::string& text) {
  if (text.empty()) throw UsageError("a marker label cannot be empty");
  PointSpec p;
  p.text = text;
  p.label = text;
  size_t hash = text.rfind('#');
  if (hash != std::string::npos && hash > 0 && hash + 1 < text.size()) {
    std::string digits = text.substr(hash + 1);
    bool numeric = digits.size() <= 9 && digits.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
      uint32_t n = static_cast<uint32_t>(std::stoul(digits));
      if (n == 0) throw UsageError("marker '" + text + "': occurrences count from 1 (LABEL#1 is the first)");
      p.label = text.substr(0, hash);
      p.occurrence = n;
      p.has_occurrence = true;
    }
  }
  return p;
}

}  // namespace refscope
