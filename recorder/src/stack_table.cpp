#include "stack_table.h"

#include <Python.h>

#include "python_text.h"
#include "record_format.h"

namespace refscope::recorder {

namespace {
size_t hash_key(uint32_t parent, uintptr_t code, int lasti) {
  uint64_t h = code ^ (uint64_t{parent} << 40) ^ static_cast<uint64_t>(lasti) * 0x9E37;
  return static_cast<size_t>((h * 0x9E3779B97F4A7C15ull) >> 24);
}
size_t cache_slot(uintptr_t code, int lasti) { return ((code >> 4) ^ static_cast<unsigned>(lasti)) & 1023; }
constexpr int kMaxDepth = 128;
}  // namespace

StackTable::StackTable(TraceWriter& writer) : writer_(writer) {
  nodes_.push_back(Node{});
  keys_.push_back(Key{});  // id 0: "no key"
  key_slots_.assign(1 << 12, 0);
}

uint32_t StackTable::current(int depth) {
  if (depth <= 0) return 0;
  if (depth > kMaxDepth) depth = kMaxDepth;
  FrameKey frames[kMaxDepth];
  int n = capture_frames(frames, depth);
  if (n == 0) return 0;
  if (n == 1) {
    auto code = reinterpret_cast<uintptr_t>(frames[0].code);
    CacheEntry& c = cache_[cache_slot(code, frames[0].lasti)];
    if (c.code == code && c.lasti == frames[0].lasti && c.node != 0) return c.node;
    uint32_t node = intern(0, frames[0]);
    c = CacheEntry{code, frames[0].lasti, node};
    return node;
  }
  uint32_t node = 0;
  for (int i = n - 1; i >= 0; --i) node = intern(node, frames[i]);
  return node;
}

uint32_t StackTable::intern(uint32_t parent, const FrameKey& frame) {
  auto code = reinterpret_cast<uintptr_t>(frame.code);
  size_t mask = key_slots_.size() - 1;
  size_t i = hash_key(parent, code, frame.lasti) & mask;
  for (;;) {
    uint32_t id = key_slots_[i];
    if (id == 0) break;
    const Key& k = keys_[id];
    if (k.code == code && k.parent == parent && k.lasti == frame.lasti) return k.node;
    i = (i + 1) & mask;
  }
  // A frame not seen before: resolve it now, while its code object is alive (the frame holds it).
  auto [it, added] = codes_.try_emplace(code, Code{0, 0});
  if (added) it->second.names = names_of(frame.code);
  auto line = static_cast<uint32_t>(line_of(frame.code, frame.lasti));
  uint32_t node = node_for(parent, it->second.names, line);
  auto key = static_cast<uint32_t>(keys_.size());
  keys_.push_back(Key{parent, frame.lasti, code, node, it->second.first_key});
  it->second.first_key = key;
  key_slots_[i] = key;
  if ((keys_.size() - dead_keys_) * 2 > key_slots_.size() || keys_.size() * 4 > key_slots_.size() * 3) {
    rebuild_key_slots(key_slots_.size() * ((keys_.size() - dead_keys_) * 2 > key_slots_.size() ? 2 : 1));
  }
  return node;
}

uint32_t StackTable::node_for(uint32_t parent, uint32_t names, uint32_t line) {
  auto [it, added] = node_index_.try_emplace(NodeKey{parent, names, line}, 0);
  if (added) {
    it->second = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(Node{parent, names, line, false});
  }
  return it->second;
}

uint32_t StackTable::names_of(void* code_object) {
  auto* code = static_cast<PyCodeObject*>(code_object);
  std::string function;
  append_utf8(function, code->co_qualname, 512);
  // FUNCTION is one field: blanks inside a qualified name (rare: `<lambda>` has none) become '_'.
  sanitize_line(function);
  for (char& c : function) {
    if (c == ' ' || c == '\t') c = '_';
  }
  std::string file;
  append_utf8(file, code->co_filename, 2048);
  sanitize_line(file);
  std::string text = function + ' ' + file;
  auto [it, added] = names_index_.try_emplace(std::move(text), static_cast<uint32_t>(names_.size()));
  if (added) names_.push_back(it->first);
  return it->second;
}

void StackTable::forget_code_slow(uintptr_t address) {
  auto it = codes_.find(address);
  if (it == codes_.end()) return;
  for (uint32_t k = it->second.first_key; k != 0; k = keys_[k].next_of_code) {
    keys_[k].code = 0;  // never matches a frame again; its slot goes at the next rebuild
    ++dead_keys_;
  }
  codes_.erase(it);
  for (CacheEntry& c : cache_) {
    if (c.code == address) c = CacheEntry{};
  }
  if (dead_keys_ * 2 > keys_.size() && keys_.size() > 4096) rebuild_key_slots(key_slots_.size());
}

// Drops the keys of freed code objects and rehashes the live ones into `capacity` slots.
void StackTable::rebuild_key_slots(size_t capacity) {
  if (dead_keys_ > 0) {
    std::vector<uint32_t> renumber(keys_.size(), 0);
    std::vector<Key> live;
    live.reserve(keys_.size() - dead_keys_);
    live.push_back(Key{});
    for (uint32_t k = 1; k < keys_.size(); ++k) {
      if (keys_[k].code == 0) continue;
      renumber[k] = static_cast<uint32_t>(live.size());
      live.push_back(keys_[k]);
    }
    for (Key& k : live) k.next_of_code = renumber[k.next_of_code];
    for (auto& [code, entry] : codes_) entry.first_key = renumber[entry.first_key];
    keys_.swap(live);
    dead_keys_ = 0;
  }
  while ((keys_.size() * 2) > capacity) capacity *= 2;
  key_slots_.assign(capacity, 0);
  size_t mask = capacity - 1;
  for (uint32_t id = 1; id < keys_.size(); ++id) {
    const Key& k = keys_[id];
    size_t i = hash_key(k.parent, k.code, k.lasti) & mask;
    while (key_slots_[i] != 0) i = (i + 1) & mask;
    key_slots_[i] = id;
  }
}

void StackTable::write_chain(uint32_t node) {
  // Parents first, iteratively: a deep recursion must not overflow our own stack.
  uint32_t chain[kMaxDepth + 1];
  int n = 0;
  for (uint32_t id = node; id != 0 && !nodes_[id].written && n <= kMaxDepth; id = nodes_[id].parent) chain[n++] = id;
  while (n > 0) write_node(chain[--n]);
}

void StackTable::write_node(uint32_t id) {
  Node& node = nodes_[id];
  const std::string& names = names_[node.names];
  char* start = writer_.reserve(names.size() + 64 + TraceWriter::kTextSlack);
  char* p = put_text(start, "S ");
  p = put_dec(p, id);
  p = put_char(p, ' ');
  p = put_dec(p, node.parent);
  p = put_char(p, ' ');
  p = put_dec(p, node.line);
  p = put_char(p, ' ');
  p = put_text(p, names);
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
  node.written = true;
}

void StackTable::reset_written() {
  for (Node& n : nodes_) n.written = false;
}

}  // namespace refscope::recorder
