#include "refscope/analysis/suppressions.h"

#include <fnmatch.h>

#include "refscope/util/error.h"
#include "refscope/util/file_text.h"

namespace refscope {

bool glob_match(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

void SuppressionList::load(const std::string& path) {
  parse(read_text_file(path, "the suppression file"), path);
}

void SuppressionList::parse(std::string_view text, const std::string& name) {
  uint64_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!line.empty() && blank(line.front())) line.remove_prefix(1);
    while (!line.empty() && blank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      throw TraceError(name, line_no, "expected 'leak:PATTERN' (a # starts a comment)", std::string(line));
    std::string_view kind = line.substr(0, colon);
    std::string_view pattern = line.substr(colon + 1);
    if (kind != "leak")
      throw TraceError(name, line_no,
                       "refscope knows only 'leak:' suppressions, not '" + std::string(kind) + ":'",
                       std::string(line));
    if (pattern.empty()) throw TraceError(name, line_no, "'leak:' needs a pattern", std::string(line));
    list_.push_back({std::string(pattern), name, line_no});
    cache_.clear();
  }
}

int SuppressionList::match_uncached(TypeIdx type, StackIdx site, const SymbolTable& symbols) const {
  std::vector<StackIdx> frames = symbols.frames(site);
  std::vector<std::string> portable;  // each frame's file as a portable path, where it differs
  for (StackIdx f : frames) {
    const std::string& file = symbols.stack(f).file;
    portable.push_back(paths_ ? paths_->portable(file) : file);
  }
  for (size_t i = 0; i < list_.size(); ++i) {
    const std::string& p = list_[i].pattern;
    if (type.value != 0 && glob_match(p, symbols.type_name(type))) return static_cast<int>(i);
    for (size_t k = 0; k < frames.size(); ++k) {
      const StackNode& node = symbols.stack(frames[k]);
      if (glob_match(p, node.function) || glob_match(p, node.file)) return static_cast<int>(i);
      if (portable[k] != node.file && glob_match(p, portable[k])) return static_cast<int>(i);
    }
  }
  return -1;
}

int SuppressionList::match(TypeIdx type, StackIdx site, const SymbolTable& symbols) {
  if (list_.empty()) return -1;
  uint64_t key = (static_cast<uint64_t>(type.value) << 32) | site.value;
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  int m = match_uncached(type, site, symbols);
  cache_.emplace(key, m);
  return m;
}

bool SuppressionList::suppress(const Object& o, const SymbolTable& symbols) {
  int m = match(o.type, o.site, symbols);
  if (m < 0) return false;
  ++list_[m].objects;
  list_[m].bytes += o.size;
  return true;
}

void SuppressionList::reset_counts() {
  for (Suppression& s : list_) s.objects = s.bytes = 0;
}

}  // namespace refscope
