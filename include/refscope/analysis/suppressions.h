#pragma once
// Suppression files, as LeakSanitizer writes them: one `leak:PATTERN` a line, `#` comments, blank lines. PATTERN
// is a glob (`*`, `?`, `[...]`, as fnmatch(3) without flags; `*` also matches `/`) that must match the whole of
// the type name, or of some frame's function or file in the allocation stack. A file matches as the trace names it
// and, given the trace's directories (source_paths.h), as a portable path: `tests/helpers.py` under the project
// root, `<stdlib>/json/*`, `<site>/numpy/*`, so that one file works in every checkout. The first matching line wins,
// and each line counts the objects and bytes it suppressed.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "refscope/analysis/source_paths.h"
#include "refscope/model/object.h"
#include "refscope/reader/symbols.h"

namespace refscope {

struct Suppression {
  std::string pattern;
  std::string file;
  uint64_t line = 0;
  uint64_t objects = 0, bytes = 0;  // what it suppressed
};

class SuppressionList {
 public:
  // Reads one file; throws TraceError(file, line, ...) for a line it does not understand.
  void load(const std::string& path);
  void parse(std::string_view text, const std::string& name);

  bool empty() const { return list_.empty(); }
  // Files also match as portable paths under these directories (nullptr: only as the trace names them). The list
  // keeps the pointer; call again when the directories change.
  void set_paths(const SourcePaths* paths) {
    paths_ = paths;
    cache_.clear();
  }
  const std::vector<Suppression>& entries() const { return list_; }
  // The suppression matching an object of this type allocated at this site, or -1. Answers are cached per
  // (type, site), so a million objects from one site cost one match.
  int match(TypeIdx type, StackIdx site, const SymbolTable& symbols);
  // Matches and counts the object; returns whether it is suppressed.
  bool suppress(const Object& o, const SymbolTable& symbols);
  void reset_counts();

 private:
  int match_uncached(TypeIdx type, StackIdx site, const SymbolTable& symbols) const;
  std::vector<Suppression> list_;
  std::unordered_map<uint64_t, int> cache_;
  const SourcePaths* paths_ = nullptr;
};

// Whole-string glob match (fnmatch(3) semantics without flags).
bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace refscope
