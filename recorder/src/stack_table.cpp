#include "stack_table.h"

#include <Python.h>

#include <string>

#include "python_text.h"
#include "record_format.h"

namespace refscope::recorder {

namespace {
size_t hash_key(uint32_t parent, const void* code, int lasti) {
  uint64_t h = reinterpret_cast<uintptr_t>(code) ^ (uint64_t{parent} << 40) ^ static_cast<uint64_t>(lasti) * 0x9E37;
  return static_cast<size_t>((h * 0x9E3779B97F4A7C15ull) >> 24);
}
constexpr int kMaxDepth = 128;
}  // namespace

StackTable::~StackTable() = default;  // code references are left to the interpreter's finalization

uint32_t StackTable::current(int depth) {
  if (depth <= 0) return 0;
  if (depth > kMaxDepth) depth = kMaxDepth;
  FrameKey frames[kMaxDepth];
  int n = capture_frames(frames, depth);
  if (n == 0) return 0;
  if (n == 1) {
    CacheEntry& c = cache_[(reinterpret_cast<uintptr_t>(frames[0].code) >> 4 ^ static_cast<unsigned>(frames[0].lasti)) & 1023];
    if (c.code == frames[0].code && c.lasti == frames[0].lasti && c.node != 0) return c.node;
    uint32_t node = intern(0, frames[0]);
    c = CacheEntry{frames[0].code, frames[0].lasti, node};
    return node;
  }
  uint32_t node = 0;
  for (int i = n - 1; i >= 0; --i) node = intern(node, frames[i]);
  return node;
}

uint32_t StackTable::intern(uint32_t parent, const FrameKey& key) {
  size_t mask = slots_.size() - 1;
  size_t i = hash_key(parent, key.code, key.lasti) & mask;
  for (;;) {
    uint32_t id = slots_[i];
    if (id == 0) break;
    const Node& n = nodes_[id];
    if (n.parent == parent && n.code == key.code && n.lasti == key.lasti) return id;
    i = (i + 1) & mask;
  }
  auto id = static_cast<uint32_t>(nodes_.size());
  Py_INCREF(static_cast<PyObject*>(key.code));
  nodes_.push_back(Node{parent, key.code, key.lasti, false});
  slots_[i] = id;
  if (nodes_.size() * 2 > slots_.size()) grow();
  return id;
}

void StackTable::grow() {
  slots_.assign(slots_.size() * 2, 0);
  size_t mask = slots_.size() - 1;
  for (uint32_t id = 1; id < nodes_.size(); ++id) {
    const Node& n = nodes_[id];
    size_t i = hash_key(n.parent, n.code, n.lasti) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = id;
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
  auto* code = static_cast<PyCodeObject*>(node.code);
  std::string function;
  append_utf8(function, code->co_qualname, 512);
  std::string file;
  append_utf8(file, code->co_filename, 2048);
  sanitize_line(file);
  // FUNCTION is one field: blanks inside a qualified name (rare: `<lambda>` has none) become '_'.
  sanitize_line(function);
  for (char& c : function) {
    if (c == ' ' || c == '\t') c = '_';
  }
  char* p = writer_.reserve(function.size() + file.size() + 64);
  p = put_text(p, "S ");
  p = put_dec(p, id);
  p = put_char(p, ' ');
  p = put_dec(p, node.parent);
  p = put_char(p, ' ');
  p = put_dec(p, static_cast<uint64_t>(line_of(node.code, node.lasti)));
  p = put_char(p, ' ');
  p = put_text(p, function);
  p = put_char(p, ' ');
  p = put_text(p, file);
  p = put_char(p, '\n');
  writer_.commit(p);
  node.written = true;
}

void StackTable::reset_written() {
  for (Node& n : nodes_) n.written = false;
}

}  // namespace refscope::recorder
