#include "refscope/analysis/leak_groups.h"

#include <algorithm>
#include <unordered_map>

#include "refscope/util/error.h"
#include "refscope/util/words.h"

namespace refscope {

GroupBy parse_group_by(const std::vector<std::string>& values) {
  GroupBy by;
  bool any = false;
  for (const std::string& value : values) {
    for (const std::string& word : comma_words(value)) {
      if (word == "type") by.type = true;
      else if (word == "site") by.site = true;
      else if (word == "stack") by.stack = true;
      else throw UsageError("--by: expected type, site or stack, not '" + word + "'");
      any = true;
    }
  }
  if (!any) by.type = by.site = true;
  return by;
}

std::vector<std::string> group_by_names(const GroupBy& by) {
  std::vector<std::string> out;
  if (by.type) out.push_back("type");
  if (by.site) out.push_back("site");
  if (by.stack) out.push_back("stack");
  return out;
}

SiteCanon::SiteCanon(const SymbolTable& symbols) {
  size_t n = symbols.stack_count();
  site_.resize(n);
  stack_.resize(n);
  std::unordered_map<std::string, uint32_t> sites;
  std::unordered_map<std::string, uint32_t> stacks;
  for (uint32_t i = 0; i < n; ++i) {
    std::string label = symbols.site_label(StackIdx(i));
    site_[i] = sites.emplace(label, i).first->second;
    // Parents are defined before their children, so the parent's canonical stack is known by now.
    uint32_t parent = i == 0 ? 0 : stack_[symbols.stack(StackIdx(i)).parent.value];
    std::string key = std::to_string(i == 0 ? UINT32_MAX : parent) + '\n' + label;
    stack_[i] = stacks.emplace(key, i).first->second;
  }
}

size_t LeakGrouper::KeyHash::operator()(const LeakGroupKey& k) const noexcept {
  uint64_t h = k.type * 0x9E3779B97F4A7C15ull;
  h ^= (k.site + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
  h ^= (k.stack + 0x165667B19E3779F9ull) * 0x27D4EB2F165667C5ull;
  h ^= static_cast<uint64_t>(k.kind) << 7;
  return static_cast<size_t>(h ^ (h >> 29));
}

LeakGroupKey LeakGrouper::key_of(const Object& o, LeakKind kind) const {
  LeakGroupKey key;
  if (by_.type) key.type = o.type.value;
  if (by_.site) key.site = canon_->site(o.site);
  if (by_.stack) key.stack = canon_->stack(o.site);
  key.kind = kind;
  return key;
}

void LeakGrouper::grow() {
  size_t cap = table_.empty() ? 64 : table_.size() * 2;
  table_.assign(cap, 0);
  KeyHash hash;
  for (uint32_t i = 0; i < groups_.size(); ++i) {
    size_t at = hash(groups_[i].key) & (cap - 1);
    while (table_[at] != 0) at = (at + 1) & (cap - 1);
    table_[at] = i + 1;
  }
}

void LeakGrouper::add(const Object& o, LeakKind kind) {
  if ((groups_.size() + 1) * 2 > table_.size()) grow();
  LeakGroupKey key = key_of(o, kind);
  size_t mask = table_.size() - 1;
  size_t at = KeyHash{}(key) & mask;
  while (table_[at] != 0 && !(groups_[table_[at] - 1].key == key)) at = (at + 1) & mask;
  if (table_[at] == 0) {
    LeakGroup fresh;
    fresh.key = key;
    groups_.push_back(std::move(fresh));
    table_[at] = static_cast<uint32_t>(groups_.size());
  }
  LeakGroup& g = groups_[table_[at] - 1];
  ++g.objects;
  g.bytes += o.size;
  if (o.addr < g.first_addr || (o.addr == g.first_addr && o.line < g.first_line)) {
    g.first_addr = o.addr;
    g.first_line = o.line;
  }
}

void sort_leak_groups(std::vector<LeakGroup>& groups) {
  std::sort(groups.begin(), groups.end(), [](const LeakGroup& a, const LeakGroup& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    if (a.objects != b.objects) return a.objects > b.objects;
    if (a.first_addr != b.first_addr) return a.first_addr < b.first_addr;
    if (a.first_line != b.first_line) return a.first_line < b.first_line;
    return a.id < b.id;
  });
}

std::vector<LeakGroup> LeakGrouper::take() {
  std::vector<LeakGroup> out = std::move(groups_);
  groups_.clear();
  table_.clear();
  sort_leak_groups(out);
  return out;
}

GroupNames group_names(const LeakGroupKey& key, const SymbolTable& symbols) {
  GroupNames n;
  n.kind = std::string(leak_kind_name(key.kind));
  if (key.type != LeakGroupKey::kAny) {
    n.type = key.type == 0 ? std::string("?") : symbols.type_name(TypeIdx(key.type));
  }
  if (key.site != LeakGroupKey::kAny) n.site = symbols.site_label(StackIdx(key.site));
  if (key.stack != LeakGroupKey::kAny) {
    std::vector<std::string> frames;
    for (StackIdx f : symbols.frames(StackIdx(key.stack))) frames.push_back(symbols.site_label(f));
    n.stack = std::move(frames);
  }
  return n;
}

GroupNames portable_group_names(const LeakGroupKey& key, const SymbolTable& symbols, const SourcePaths& paths) {
  GroupNames n;
  n.kind = std::string(leak_kind_name(key.kind));
  if (key.type != LeakGroupKey::kAny) n.type = key.type == 0 ? std::string("?") : symbols.type_name(TypeIdx(key.type));
  if (key.site != LeakGroupKey::kAny) n.site = frame_key(symbols, StackIdx(key.site), paths);
  if (key.stack != LeakGroupKey::kAny) {
    std::vector<std::string> frames;
    for (StackIdx f : symbols.frames(StackIdx(key.stack))) frames.push_back(frame_key(symbols, f, paths));
    n.stack = std::move(frames);
  }
  return n;
}

void name_group(LeakGroup& g, const SymbolTable& symbols, const SourcePaths& paths) {
  g.names = group_names(g.key, symbols);
  g.id = group_identity(g.names);
  g.portable = portable_group_names(g.key, symbols, paths);
  g.portable_id = group_identity(g.portable);
  // The innermost frame of a stack is the stack's own node.
  uint32_t site = g.key.site != LeakGroupKey::kAny ? g.key.site : g.key.stack;
  if (site != LeakGroupKey::kAny && site != 0) {
    const StackNode& node = symbols.stack(StackIdx(site));
    g.site_file = paths.in_project(node.file).value_or(node.file);
    g.site_line = node.line;
  }
}

std::string group_identity(const GroupNames& names) {
  // Fields joined by a byte that names never hold; a missing dimension differs from any present one.
  std::string id = names.kind;
  id += '\x1f';
  id += names.type ? "t:" + *names.type : "-";
  id += '\x1f';
  id += names.site ? "s:" + *names.site : "-";
  id += '\x1f';
  if (names.stack) {
    id += "k:";
    for (const std::string& f : *names.stack) id += f + '\x1e';
  } else {
    id += "-";
  }
  return id;
}

std::string group_label(const GroupNames& names) {
  std::string label;
  if (names.type) label = *names.type;
  if (names.site) label += (label.empty() ? "" : " at ") + *names.site;
  if (names.stack) {
    std::string chain;
    for (const std::string& f : *names.stack) chain += (chain.empty() ? "" : " < ") + f;
    if (chain.empty()) chain = "?";
    label += (label.empty() ? "" : " from ") + chain;
  }
  if (label.empty()) label = "all";
  return label;
}

}  // namespace refscope
