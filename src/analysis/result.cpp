#include "refscope/analysis/result.h"

namespace refscope {

const std::string& Names::operator[](uint32_t id) const {
  static const std::string unknown = "?";
  return id < text.size() ? text[id] : unknown;
}

uint32_t Namer::intern(std::vector<uint32_t>& ids, uint32_t index, std::string text) {
  if (index >= ids.size()) ids.resize(index + 1, 0);
  if (ids[index] == 0) {
    names_.text.push_back(std::move(text));
    ids[index] = static_cast<uint32_t>(names_.text.size());
  }
  return ids[index] - 1;
}

uint32_t Namer::type(TypeIdx t) {
  if (t.value < type_ids_.size() && type_ids_[t.value] != 0) return type_ids_[t.value] - 1;
  return intern(type_ids_, t.value, symbols_->type_name(t));
}

uint32_t Namer::site(StackIdx s) {
  if (s.value == 0) return Names::kUnknownSite;
  if (s.value < site_ids_.size() && site_ids_[s.value] != 0) return site_ids_[s.value] - 1;
  return intern(site_ids_, s.value, symbols_->site_label(s));
}

uint32_t Namer::label(LabelIdx l) {
  if (l.value == 0) return Names::kNone;
  if (l.value < label_ids_.size() && label_ids_[l.value] != 0) return label_ids_[l.value] - 1;
  return intern(label_ids_, l.value, symbols_->label(l));
}

std::vector<ObjectRef> Namer::path(const Model& model, const std::vector<ObjSlot>& slots) {
  std::vector<ObjectRef> steps;
  steps.reserve(slots.size());
  for (size_t k = 0; k < slots.size(); ++k) {
    steps.push_back(ref(model, slots[k]));
    if (k > 0) steps.back().via = label(model.edge_label(slots[k - 1], slots[k]));
  }
  return steps;
}

RefState Namer::state(const Model& model, const NamedRootHolders& holders, ObjSlot slot) {
  RefState s = RefState::of(model.object(slot));
  for (const RootHold& h : holders.of(slot)) {
    // A root's name can change over the trace (N renames it): it is interned as it stands now.
    const std::string& name = model.root(h.root).name;
    if (h.root.value >= root_names_.size()) root_names_.resize(h.root.value + 1, {UINT32_MAX, {}});
    auto& known = root_names_[h.root.value];
    if (known.first == UINT32_MAX || known.second != name) {
      names_.text.push_back(name);
      known = {static_cast<uint32_t>(names_.text.size() - 1), name};
    }
    s.named_roots.push_back({symbols_->root_trace_id(h.root), known.first, h.references, h.root.value,
                             label(model.root_edge_label(h.root, slot))});
  }
  return s;
}

Names Namer::take() {
  type_ids_.clear();
  site_ids_.clear();
  label_ids_.clear();
  root_names_.clear();
  return std::exchange(names_, {});
}

TraceFacts TraceFacts::of(const TraceInfo& info, const Model& model) {
  return {info.path, info.name, info.encoding, info.version, info.refs, info.truncated, info.metadata,
          model.anomalies().total()};
}

}  // namespace refscope
