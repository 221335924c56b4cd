#pragma once
// Type names and stack nodes, defined by T and S records. Trace ids are whatever the recorder chose; the table
// maps them to dense indices so the model stores 32-bit indices into flat vectors.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "refscope/reader/event.h"
#include "refscope/util/ids.h"

namespace refscope {

struct StackNode {
  StackIdx parent;
  uint64_t line = 0;
  std::string function;
  std::string file;
  uint32_t trace_id = 0;
};

class SymbolTable {
 public:
  SymbolTable();

  // Index 0 is the unknown type / unknown site.
  const std::string& type_name(TypeIdx t) const { return types_[t.value].name; }
  const StackNode& stack(StackIdx s) const { return stacks_[s.value]; }
  size_t type_count() const { return types_.size(); }
  size_t stack_count() const { return stacks_.size(); }

  // Trace id -> index, or nullopt-like kMissing when the id was never defined. Id 0 maps to index 0.
  static constexpr uint32_t kMissing = UINT32_MAX;
  uint32_t find_type(uint32_t trace_id) const { return lookup(type_ids_, type_big_, trace_id); }
  uint32_t find_stack(uint32_t trace_id) const { return lookup(stack_ids_, stack_big_, trace_id); }
  uint32_t find_root(uint32_t trace_id) const { return lookup(root_ids_, root_big_, trace_id); }

  // Defines an id. Returns false when it was defined before with another meaning; `previous_line` then says where.
  bool define_type(uint32_t trace_id, std::string_view name, uint64_t line, uint64_t& previous_line);
  bool define_stack(uint32_t trace_id, StackNode node, uint64_t line, uint64_t& previous_line);
  // Named roots (format 2): an N record defines an id or renames it, so this never fails. Their names change
  // with time and live in the model; the table only maps ids to dense indices, 1 and up.
  RootIdx define_root(uint32_t trace_id);
  uint32_t root_trace_id(RootIdx r) const { return root_trace_ids_[r.value]; }
  // Labels (format 2): `L ID TEXT` defines an id once; the same id again must have the same text.
  uint32_t find_label(uint32_t trace_id) const { return lookup(label_ids_, label_big_, trace_id); }
  bool define_label(uint32_t trace_id, std::string_view text, uint64_t line, uint64_t& previous_line);
  // "" for LabelIdx 0 (no label).
  const std::string& label(LabelIdx l) const { return labels_[l.value].name; }
  size_t label_count() const { return labels_.size(); }
  // Defines what a T, S or N event that a reader has checked defines (its id, name or frame), at the index that
  // reader's own table gave it: tables given the same events in the same order agree.
  void declare(const Event& ev);

  // "file:line in function", innermost frame of the node; "?" for the unknown site.
  std::string site_label(StackIdx s) const;
  // The frames of a site, innermost first.
  std::vector<StackIdx> frames(StackIdx s) const;

 private:
  struct TypeEntry {
    std::string name;
    uint64_t line = 0;
  };
  static constexpr uint32_t kDenseLimit = 1u << 20;
  // Inline for the dense ids nearly every trace uses: the reader looks up two ids for every A record.
  static uint32_t lookup(const std::vector<uint32_t>& dense, const std::unordered_map<uint32_t, uint32_t>& big,
                         uint32_t id) {
    if (id < dense.size()) return id == 0 || dense[id] != 0 ? dense[id] : kMissing;
    return lookup_big(big, id);
  }
  static uint32_t lookup_big(const std::unordered_map<uint32_t, uint32_t>& big, uint32_t id);
  static void assign(std::vector<uint32_t>& dense, std::unordered_map<uint32_t, uint32_t>& big, uint32_t id,
                     uint32_t index);

  std::vector<TypeEntry> types_;
  std::vector<TypeEntry> labels_;
  std::vector<StackNode> stacks_;
  std::vector<uint64_t> stack_lines_;
  std::vector<uint32_t> root_trace_ids_;
  std::vector<uint32_t> type_ids_, stack_ids_, root_ids_, label_ids_;
  std::unordered_map<uint32_t, uint32_t> type_big_, stack_big_, root_big_, label_big_;
};

}  // namespace refscope
