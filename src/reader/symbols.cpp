#include "refscope/reader/symbols.h"

namespace refscope {

SymbolTable::SymbolTable() {
  types_.push_back({"?", 0});
  stacks_.push_back({});
  stack_lines_.push_back(0);
  type_ids_.push_back(0);
  stack_ids_.push_back(0);
  root_trace_ids_.push_back(0);
  root_ids_.push_back(0);
  labels_.push_back({"", 0});
  label_ids_.push_back(0);
}

uint32_t SymbolTable::lookup_big(const std::unordered_map<uint32_t, uint32_t>& big, uint32_t id) {
  if (id < kDenseLimit) return kMissing;
  auto it = big.find(id);
  return it == big.end() ? kMissing : it->second;
}

void SymbolTable::assign(std::vector<uint32_t>& dense, std::unordered_map<uint32_t, uint32_t>& big, uint32_t id,
                         uint32_t index) {
  if (id < kDenseLimit) {
    if (id >= dense.size()) dense.resize(id + 1, 0);
    dense[id] = index;
  } else {
    big[id] = index;
  }
}

bool SymbolTable::define_type(uint32_t trace_id, std::string_view name, uint64_t line, uint64_t& previous_line) {
  uint32_t existing = find_type(trace_id);
  if (existing != kMissing) {
    previous_line = types_[existing].line;
    return types_[existing].name == name;
  }
  assign(type_ids_, type_big_, trace_id, static_cast<uint32_t>(types_.size()));
  types_.push_back({std::string(name), line});
  return true;
}

bool SymbolTable::define_stack(uint32_t trace_id, StackNode node, uint64_t line, uint64_t& previous_line) {
  uint32_t existing = find_stack(trace_id);
  if (existing != kMissing) {
    const StackNode& old = stacks_[existing];
    previous_line = stack_lines_[existing];
    return old.parent == node.parent && old.line == node.line && old.function == node.function &&
           old.file == node.file;
  }
  assign(stack_ids_, stack_big_, trace_id, static_cast<uint32_t>(stacks_.size()));
  node.trace_id = trace_id;
  stacks_.push_back(std::move(node));
  stack_lines_.push_back(line);
  return true;
}

bool SymbolTable::define_label(uint32_t trace_id, std::string_view text, uint64_t line, uint64_t& previous_line) {
  uint32_t existing = find_label(trace_id);
  if (existing != kMissing) {
    previous_line = labels_[existing].line;
    return labels_[existing].name == text;
  }
  assign(label_ids_, label_big_, trace_id, static_cast<uint32_t>(labels_.size()));
  labels_.push_back({std::string(text), line});
  return true;
}

RootIdx SymbolTable::define_root(uint32_t trace_id) {
  uint32_t existing = find_root(trace_id);
  if (existing != kMissing) return RootIdx(existing);
  auto index = static_cast<uint32_t>(root_trace_ids_.size());
  assign(root_ids_, root_big_, trace_id, index);
  root_trace_ids_.push_back(trace_id);
  return RootIdx(index);
}

void SymbolTable::declare(const Event& ev) {
  uint64_t previous = 0;
  if (ev.kind == RecordKind::Type)
    define_type(ev.id, ev.text, ev.line, previous);
  else if (ev.kind == RecordKind::Stack)
    define_stack(ev.id, StackNode{ev.parent, ev.extra, std::string(ev.text), std::string(ev.text2), 0}, ev.line,
                 previous);
  else if (ev.kind == RecordKind::RootDef)
    define_root(static_cast<uint32_t>(ev.extra));
  else if (ev.kind == RecordKind::LabelDef)
    define_label(ev.id, ev.text, ev.line, previous);
}

std::string SymbolTable::site_label(StackIdx s) const {
  if (s.value == 0) return "?";
  const StackNode& n = stacks_[s.value];
  return n.file + ":" + std::to_string(n.line) + " in " + n.function;
}

std::vector<StackIdx> SymbolTable::frames(StackIdx s) const {
  std::vector<StackIdx> out;
  // Parents are always defined before their children, so the chain ends; the bound guards against a bug.
  while (s.value != 0 && out.size() < stacks_.size()) {
    out.push_back(s);
    s = stacks_[s.value].parent;
  }
  return out;
}

}  // namespace refscope
