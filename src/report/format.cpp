#include "refscope/report/format.h"

#include <fmt/format.h>

#include <algorithm>

#include "refscope/util/printable.h"

namespace refscope {

std::string hex_address(uint64_t addr) { return fmt::format("0x{:x}", addr); }

std::string object_name(uint64_t addr, uint64_t line) { return fmt::format("0x{:x}@{}", addr, line); }

std::string human_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  if (v < 10) return fmt::format("{:.2f} {}", v, units[u]);
  if (v < 100) return fmt::format("{:.1f} {}", v, units[u]);
  return fmt::format("{:.0f} {}", v, units[u]);
}

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string counted(uint64_t n, std::string_view one, std::string_view many) {
  return grouped(n) + " " + std::string(n == 1 ? one : many);
}

std::string Table::text(std::string_view indent) const {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& row : rows_) {
    std::vector<std::string>& shown = rows.emplace_back();
    for (const std::string& cell : row) shown.push_back(printable(cell));
  }
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width[c] = columns_[c].name.size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line(indent);
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      size_t pad = width[c] - std::min(width[c], cell.size());
      bool right = columns_[c].align == Align::Right;
      if (right) line.append(pad, ' ');
      line += cell;
      if (c + 1 < columns_.size()) {
        if (!right) line.append(pad, ' ');
        line += "  ";
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  std::vector<std::string> header;
  for (const auto& col : columns_) header.push_back(col.name);
  emit(header);
  for (const auto& row : rows) emit(row);
  return out;
}

std::string Table::tsv() const {
  auto clean = [](std::string s) {
    std::replace_if(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return printable(s);
  };
  std::string out;
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (c) out += '\t';
    out += clean(columns_[c].name);
  }
  out += '\n';
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out += '\t';
      out += clean(row[c]);
    }
    out += '\n';
  }
  return out;
}

}  // namespace refscope
