#pragma once
// Graphviz output for the commands whose answer is a graph (`cycles`, `why`): quoting, and one node and edge
// style, so that pictures from different commands read alike.
#include <cstdint>
#include <string>
#include <string_view>

namespace refscope {

// A double-quoted DOT string: backslashes and quotes escaped, line breaks as \n, other control bytes dropped.
std::string dot_quote(std::string_view text);
// A node statement: `  "0x..@N" [label="0x..@N\ntype\nsize..."<extra>];`, named by the object's name.
std::string dot_node(uint64_t addr, uint64_t line, std::string_view label, std::string_view extra = {});
std::string dot_edge(uint64_t from_addr, uint64_t from_line, uint64_t to_addr, uint64_t to_line,
                     std::string_view extra = {});

}  // namespace refscope
