#pragma once
// Allocation sites as `S` stack nodes: a trie of (parent node, code object, instruction offset), interned on
// the hot path by pointer and offset only. Function, file and line are resolved when a node is first written,
// which happens only when an `A` record names it, so the cost per event is a frame walk and a hash lookup.
//
// A node keeps a reference to its code object: a code object freed and another allocated at the same address
// would otherwise inherit its nodes. Code objects live as long as their functions in nearly every program.
#include <cstdint>
#include <vector>

#include "frame_reader.h"
#include "trace_writer.h"

namespace refscope::recorder {

class StackTable {
 public:
  explicit StackTable(TraceWriter& writer) : writer_(writer) {
    nodes_.push_back(Node{});
    slots_.assign(1 << 12, 0);
  }
  ~StackTable();

  // The innermost node of the current thread's stack, up to `depth` frames; 0 when no Python frame runs.
  uint32_t current(int depth);
  // Writes the `S` records of `node` and its parents not yet in the trace (inline: nearly always they are).
  void ensure_written(uint32_t node) {
    if (node == 0 || node >= nodes_.size() || nodes_[node].written) return;
    write_chain(node);
  }
  // Makes every `S` to be written again (a new trace after fork).
  void reset_written();

 private:
  struct Node {
    uint32_t parent = 0;
    void* code = nullptr;
    int lasti = 0;
    bool written = false;
  };
  uint32_t intern(uint32_t parent, const FrameKey& key);
  void write_chain(uint32_t node);
  void write_node(uint32_t id);
  void grow();

  TraceWriter& writer_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> slots_;  // open addressing over node ids, 0 = empty
  // Depth 1 is the common case: a direct-mapped cache in front of the trie.
  struct CacheEntry {
    void* code;
    int lasti;
    uint32_t node;
  };
  CacheEntry cache_[1024] = {};
};

}  // namespace refscope::recorder
