#pragma once
// Shared formatting for reports: how addresses, object names and sizes are written, and a column table that renders
// as aligned text or as TSV. Every command uses these, so the same figure reads the same everywhere.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace refscope {

// "0x7f0000001000": lowercase, no leading zeros.
std::string hex_address(uint64_t addr);
// "0x7f0000001000@12": an object by address and the line that made it known.
std::string object_name(uint64_t addr, uint64_t line);
// "1.5 MiB", "312 B": for people; JSON and TSV carry exact byte counts.
std::string human_bytes(uint64_t bytes);
// "12,345,678"
std::string grouped(uint64_t n);
// "1 object", "12,345 objects": a count with its noun in the right number.
std::string counted(uint64_t n, std::string_view one, std::string_view many);

// A table of strings with a header. Text: columns aligned, numbers right-aligned, two spaces apart, no trailing
// blanks. TSV: a header line, tabs between fields, tabs and line ends in fields replaced by spaces. In both, cells
// are escaped (util/printable.h): a cell may hold a name straight from the trace.
class Table {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string name;
    Align align = Align::Left;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }
  std::string text(std::string_view indent = "  ") const;
  std::string tsv() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace refscope
