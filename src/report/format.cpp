#include "refscope/report/format.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>

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


std::string counted(uint64_t n, std::string_view one, std::string_view many) {
  return grouped(n) + " " + std::string(n == 1 ? one : many);
}

namespace {

// The current directory with a trailing slash, once: "" when it cannot be known.
const std::string& cwd_prefix() {
  static const std::string prefix = [] {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr) return std::string();
    std::string p(buf);
    if (p.empty() || p == "/") return std::string();
    return p + "/";
  }();
  return prefix;
}

// The trace's project root with a trailing slash, or "" (set_site_root).
std::string& site_root_prefix() {
  static std::string prefix;
  return prefix;
}

// Where a site's file name ends: before ":LINE" (then the end or " in FUNCTION").
size_t path_end(std::string_view site) {
  for (size_t colon = site.rfind(':'); colon != std::string_view::npos && colon > 0;
       colon = site.rfind(':', colon - 1)) {
    size_t k = colon + 1;
    while (k < site.size() && site[k] >= '0' && site[k] <= '9') ++k;
    if (k > colon + 1 && (k == site.size() || site.substr(k, 4) == " in ")) return colon;
    if (colon == 0) break;
  }
  return site.size();
}

// "python3.11/" in ".../lib/python3.11/...": where the standard library's part of the path starts.
size_t stdlib_start(std::string_view path) {
  for (size_t at = path.find("/lib/python3."); at != std::string_view::npos; at = path.find("/lib/python3.", at + 1)) {
    size_t k = at + 13;
    while (k < path.size() && path[k] >= '0' && path[k] <= '9') ++k;
    if (k > at + 13 && k < path.size() && path[k] == '/') return at + 5;
  }
  return std::string_view::npos;
}

}  // namespace

std::string wrap_prose(std::string_view line, std::string_view indent) {
  std::string out;
  std::string_view prefix;  // "" for the first line
  while (prefix.size() + line.size() > kTextColumns) {
    size_t room = kTextColumns - std::min(kTextColumns, prefix.size());
    size_t at = line.rfind(' ', room);
    if (at == std::string_view::npos || at == 0) at = line.find(' ', room);  // a word longer than a line
    if (at == std::string_view::npos) break;
    out += std::string(prefix) + std::string(line.substr(0, at)) + "\n";
    line.remove_prefix(at + 1);
    prefix = indent;
  }
  return out + std::string(prefix) + std::string(line);
}

void set_site_root(std::string_view dir) {
  std::string prefix(dir);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  site_root_prefix() = prefix.empty() || prefix.front() != '/' || prefix == "/" ? std::string() : prefix + "/";
}

std::string site_display(std::string_view site) {
  if (site.empty() || site.front() != '/') return std::string(site);
  size_t end = path_end(site);
  std::string_view path = site.substr(0, end), rest = site.substr(end);
  const std::string& root = site_root_prefix();
  if (!root.empty() && path.size() > root.size() && path.substr(0, root.size()) == root)
    return std::string(path.substr(root.size())) + std::string(rest);
  const std::string& cwd = cwd_prefix();
  if (!cwd.empty() && path.size() > cwd.size() && path.substr(0, cwd.size()) == cwd)
    return std::string(path.substr(cwd.size())) + std::string(rest);
  for (std::string_view dir : {"/site-packages/", "/dist-packages/"})
    if (size_t at = path.rfind(dir); at != std::string_view::npos)
      return std::string(path.substr(at + 1)) + std::string(rest);
  if (size_t at = stdlib_start(path); at != std::string_view::npos)
    return std::string(path.substr(at)) + std::string(rest);
  return std::string(site);
}

std::string elide_middle(std::string_view text, size_t width) {
  if (text.size() <= width) return std::string(text);
  if (width <= 3) return std::string(text.substr(0, width));
  // The end says more than the start (a site's file, line and function; a name's last part): it keeps two thirds.
  size_t keep = width - 3, head = keep / 3, tail_at = text.size() - (keep - head);
  // Never cut a UTF-8 character in two.
  auto continuation = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  while (head > 0 && continuation(head)) --head;
  while (continuation(tail_at)) ++tail_at;
  return std::string(text.substr(0, head)) + "..." + std::string(text.substr(tail_at));
}

std::string Table::text(std::string_view indent) const {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(rows_.size());
  for (const auto& row : rows_) {
    std::vector<std::string>& shown = rows.emplace_back();
    for (size_t c = 0; c < row.size(); ++c)
      shown.push_back(printable(c < columns_.size() && columns_[c].site ? site_display(row[c]) : row[c]));
  }
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width[c] = columns_[c].name.size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
  // Too wide for the terminal: cut the widest site or name column a little at a time, sites down to 32 characters
  // and names (types, groups) down to 24. Figures and messages are never cut.
  auto narrowest = [&](size_t c) -> size_t { return columns_[c].site ? 32 : columns_[c].cut ? 24 : SIZE_MAX; };
  size_t total = indent.size();
  for (size_t c = 0; c < width.size(); ++c) total += width[c] + (c + 1 < width.size() ? 2 : 0);
  bool cut = false;
  while (total > kTextColumns) {
    size_t widest = width.size();
    for (size_t c = 0; c < width.size(); ++c)
      if (width[c] > narrowest(c) && (widest == width.size() || width[c] > width[widest])) widest = c;
    if (widest == width.size()) break;
    --width[widest];
    --total;
    cut = true;
  }
  if (cut)
    for (auto& row : rows)
      for (size_t c = 0; c < row.size() && c < width.size(); ++c)
        if (row[c].size() > width[c]) row[c] = elide_middle(row[c], width[c]);
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
