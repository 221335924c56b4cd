#pragma once
// Shared formatting for reports: how addresses, object names and sizes are written, and a column table that renders
// as aligned text or as TSV. Every command uses these, so the same figure reads the same everywhere.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "refscope/util/digits.h"  // grouped(): "12,345,678"

namespace refscope {

// "0x7f0000001000": lowercase, no leading zeros.
std::string hex_address(uint64_t addr);
// "0x7f0000001000@12": an object by address and the line that made it known.
std::string object_name(uint64_t addr, uint64_t line);
// "1.5 MiB", "312 B": for people; JSON and TSV carry exact byte counts.
std::string human_bytes(uint64_t bytes);
// "1 object", "12,345 objects": a count with its noun in the right number.
std::string counted(uint64_t n, std::string_view one, std::string_view many);

// A site ("FILE:LINE in FUNCTION") as text reports show it, shorter: a file under the trace's project root (see
// set_site_root) or else under the current directory relative to it ("examples/app.py:12 in f"), one of the standard
// library from its "python3.N/" directory ("python3.11/json/decoder.py:353 in raw_decode"), one of an installed
// package from its "site-packages/" or "dist-packages/" directory. JSON and TSV keep the path as the trace has it.
std::string site_display(std::string_view site);
// The project root that site_display shows files relative to, before the current directory: the directory the
// trace was recorded in (its `@ path root`, or `@ path cwd`), or --root. An absolute directory; "" for none.
// Set once a trace's header is read, before a report is rendered.
void set_site_root(std::string_view dir);

// Cuts text to at most `width` bytes by putting "..." in it, a third of the way in (the end keeps two thirds), never
// inside a UTF-8 character.
std::string elide_middle(std::string_view text, size_t width);

// Text reports fit this many columns: tables shorten their widest text cells to fit.
inline constexpr size_t kTextColumns = 100;

// A line of prose (a verdict, a heading with figures) that fits kTextColumns: broken at the last space that fits,
// the lines after the first starting with `indent`. A word longer than a line is left whole. No line end is added.
std::string wrap_prose(std::string_view line, std::string_view indent = "  ");

// A table of strings with a header. Text: columns aligned, numbers right-aligned, two spaces apart, no trailing
// blanks. TSV: a header line, tabs between fields, tabs and line ends in fields replaced by spaces. In both, cells
// are escaped (util/printable.h): a cell may hold a name straight from the trace. Text fits kTextColumns where sites
// or names make it wider: the widest of those columns is cut (elide_middle) until the table fits, sites to no less
// than 32 characters, names to no less than 24; a table of figures and messages keeps its width.
class Table {
 public:
  enum class Align { Left, Right };
  struct Column {
    std::string name;
    Align align = Align::Left;
    bool site = false;  // sites: text shows them as site_display does, and cuts them to fit
    bool cut = false;   // names (types, groups): text may cut them to fit
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
