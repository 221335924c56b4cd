#pragma once
// Allocation sites as `S` stack nodes: a trie of (parent node, function, file, line).
//
// The recorder holds no reference to any code object: taking one kept code compiled at run time (eval, exec,
// namedtuple, dataclasses) alive for as long as the recording ran. So a frame is resolved to its function, file
// and line once, when its (parent, code object, instruction offset) is first seen, and the hot path finds the
// node again by that key alone: a pointer and an offset, a hash lookup. Keys name code objects by address only,
// so when the allocator frees a code object (forget_code) its keys go: a code object allocated later at the same
// address makes keys of its own, and never inherits a dead one's nodes. Nodes themselves are identified by what
// they say, so code compiled again and again from the same source (a template, a namedtuple) shares its nodes,
// and the table grows with the distinct sites, not with the code objects made.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "frame_reader.h"
#include "trace_writer.h"

namespace refscope::recorder {

class StackTable {
 public:
  explicit StackTable(TraceWriter& writer);

  // The innermost node of the current thread's stack, up to `depth` frames; 0 when no Python frame runs.
  uint32_t current(int depth);
  // Writes the `S` records of `node` and its parents not yet in the trace (inline: nearly always they are).
  void ensure_written(uint32_t node) {
    if (node == 0 || node >= nodes_.size() || nodes_[node].written) return;
    write_chain(node);
  }
  // Makes every `S` to be written again (a new trace after fork).
  void reset_written();
  // The block at `address` is being freed: if it is a code object some key names, those keys go.
  void forget_code(uintptr_t address) {
    if (!codes_.empty()) forget_code_slow(address);
  }
  // How many code objects keys name now (for tests of the recorder itself).
  size_t codes_known() const { return codes_.size(); }

 private:
  struct Node {
    uint32_t parent = 0;
    uint32_t names = 0;  // index into names_
    uint32_t line = 0;
    bool written = false;
  };
  // (parent node, code object, instruction offset) -> node. `code` is 0 once the code object is freed.
  struct Key {
    uint32_t parent;
    int lasti;
    uintptr_t code;
    uint32_t node;
    uint32_t next_of_code;  // the next key of the same code object, 0 = none (key 0 is unused)
  };
  struct Code {
    uint32_t names;
    uint32_t first_key;
  };
  uint32_t intern(uint32_t parent, const FrameKey& frame);
  uint32_t node_for(uint32_t parent, uint32_t names, uint32_t line);
  uint32_t names_of(void* code);
  void forget_code_slow(uintptr_t address);
  void rebuild_key_slots(size_t capacity);
  void write_chain(uint32_t node);
  void write_node(uint32_t id);

  TraceWriter& writer_;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;  // "FUNCTION FILE", as the `S` record ends
  std::unordered_map<std::string, uint32_t> names_index_;
  struct NodeKey {
    uint32_t parent, names, line;
    bool operator==(const NodeKey&) const = default;
  };
  struct NodeKeyHash {
    size_t operator()(const NodeKey& k) const {
      return static_cast<size_t>(((uint64_t{k.parent} << 32 | k.names) * 0x9E3779B97F4A7C15ull) ^ k.line);
    }
  };
  std::unordered_map<NodeKey, uint32_t, NodeKeyHash> node_index_;
  std::vector<Key> keys_;
  std::vector<uint32_t> key_slots_;  // open addressing over keys_, 0 = empty
  size_t dead_keys_ = 0;
  std::unordered_map<uintptr_t, Code> codes_;  // live code objects that keys name
  // Depth 1 is the common case: a direct-mapped cache in front of the keys.
  struct CacheEntry {
    uintptr_t code;
    int lasti;
    uint32_t node;
  };
  CacheEntry cache_[1024] = {};
};

}  // namespace refscope::recorder
