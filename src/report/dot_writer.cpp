#include "refscope/report/dot_writer.h"

#include <fmt/format.h>

#include "refscope/report/format.h"

namespace refscope {

std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string dot_node(uint64_t addr, uint64_t line, std::string_view label, std::string_view extra) {
  return fmt::format("  {} [label={}{}];\n", dot_quote(object_name(addr, line)), dot_quote(label), extra);
}

std::string dot_edge(uint64_t from_addr, uint64_t from_line, uint64_t to_addr, uint64_t to_line,
                     std::string_view extra) {
  return fmt::format("  {} -> {}{};\n", dot_quote(object_name(from_addr, from_line)),
                     dot_quote(object_name(to_addr, to_line)), extra);
}

}  // namespace refscope
