#pragma once
// Leak groups: the window's objects gathered by type, allocation site and/or whole stack (and always by kind),
// with their counts and bytes. A group is named by strings (type name, "file:line in function", frames), never by
// a trace's ids, so that groups of two traces, or of a trace and a stored baseline, can be matched.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "refscope/analysis/leak_classifier.h"
#include "refscope/analysis/source_paths.h"
#include "refscope/reader/symbols.h"

namespace refscope {

struct GroupBy {
  bool type = false, site = false, stack = false;
};
// From `--by` values: each "type", "site" or "stack", or a comma list of them. Empty: type and site.
GroupBy parse_group_by(const std::vector<std::string>& values);
std::vector<std::string> group_by_names(const GroupBy& by);

// Canonical ids of sites and stacks: two stack nodes with the same innermost frame share a site; two with the
// same chain of frames share a stack, whatever ids the trace gave them.
class SiteCanon {
 public:
  explicit SiteCanon(const SymbolTable& symbols);
  uint32_t site(StackIdx s) const { return site_[s.value]; }
  uint32_t stack(StackIdx s) const { return stack_[s.value]; }

 private:
  std::vector<uint32_t> site_, stack_;
};

struct LeakGroupKey {
  static constexpr uint32_t kAny = UINT32_MAX;  // a dimension the grouping leaves out
  uint32_t type = kAny;   // TypeIdx
  uint32_t site = kAny;   // canonical site (a StackIdx)
  uint32_t stack = kAny;  // canonical stack (a StackIdx)
  LeakKind kind = LeakKind::Unowned;
  bool operator==(const LeakGroupKey&) const = default;
};

// The strings naming a group, for reports and baselines.
struct GroupNames {
  std::optional<std::string> type, site;
  std::optional<std::vector<std::string>> stack;  // innermost frame first
  std::string kind;
};

struct LeakGroup {
  LeakGroupKey key;
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t first_addr = UINT64_MAX, first_line = 0;  // the group's lowest address (then line): ties in sorting
  GroupNames names;  // filled by whoever names the groups (name_group)
  std::string id;    // the names as one string (group_identity)
  // The names with each frame as frame_key (source_paths.h): what a baseline stores and matches, so that a
  // baseline written in one checkout matches in another, and after edits that move lines within a function.
  GroupNames portable;
  std::string portable_id;  // group_identity(portable)
  // The site (under --by stack, the innermost frame): its file relative to the project root when the root holds
  // it, else as the trace names it, and its line. Empty without a site.
  std::string site_file;
  uint64_t site_line = 0;
};

// Gathers objects into groups. Objects are added one at a time so that callers can filter (suppressions).
class LeakGrouper {
 public:
  LeakGrouper(GroupBy by, const SiteCanon& canon) : by_(by), canon_(&canon) {}
  void add(const Object& o, LeakKind kind);
  // Sorted by bytes, then objects, descending; ties by lowest address, then line.
  std::vector<LeakGroup> take();

 private:
  struct KeyHash {
    size_t operator()(const LeakGroupKey& k) const noexcept;
  };
  LeakGroupKey key_of(const Object& o, LeakKind kind) const;
  GroupBy by_;
  const SiteCanon* canon_;
  std::vector<LeakGroup> groups_;
  std::vector<uint32_t> table_;  // open addressing: index into groups_ + 1, 0 empty
  void grow();
};

void sort_leak_groups(std::vector<LeakGroup>& groups);

GroupNames group_names(const LeakGroupKey& key, const SymbolTable& symbols);
// The same with each frame as frame_key: files relative to the project root, stdlib and site directories, and the
// function rather than the line where the trace names it.
GroupNames portable_group_names(const LeakGroupKey& key, const SymbolTable& symbols, const SourcePaths& paths);
// Fills names, id, portable, portable_id, site_file and site_line.
void name_group(LeakGroup& g, const SymbolTable& symbols, const SourcePaths& paths);
// One string that identifies a group across traces: kind, type, site and stack joined.
std::string group_identity(const GroupNames& names);
// "app.Node at app.py:12 in main", for a line of text or a JUnit test name.
std::string group_label(const GroupNames& names);

}  // namespace refscope
