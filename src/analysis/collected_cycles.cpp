#include "refscope/analysis/collected_cycles.h"

#include <algorithm>
#include <unordered_map>

#include "refscope/util/checked.h"

namespace refscope {
namespace {

uint64_t key(uint32_t slot, uint32_t gen) { return (uint64_t{slot} << 32) | gen; }

}  // namespace

void CollectedCycles::on_gc_start(const Event& ev) {
  if (open_) close_bracket();  // the reader rejects a G inside a G; this only guards the invariant
  open_ = true;
  ++s_.collections;
  gc_line_ = ev.line;
  generation_ = ev.size;
}

void CollectedCycles::on_gc_end(const Event&) {
  if (open_) close_bracket();
}

void CollectedCycles::finish() {
  if (open_) close_bracket();
}

void CollectedCycles::before_free(ObjSlot slot) {
  if (!open_) return;
  const Object& o = model_.object(slot);
  freed_.push_back({namer_.ref(o), slot.value, o.gen});
  model_.for_each_stored_edge(slot, [&](ObjSlot target, uint32_t gen, uint32_t) {
    refs_.push_back({slot.value, o.gen, target.value, gen});
  });
}

void CollectedCycles::on_edge_removed(ObjSlot owner, ObjSlot target) {
  if (!open_) return;
  refs_.push_back({owner.value, model_.object(owner).gen, target.value, model_.object(target).gen});
}

void CollectedCycles::close_bracket() {
  open_ = false;
  std::unordered_map<uint64_t, uint32_t> index;
  index.reserve(freed_.size());
  for (uint32_t i = 0; i < freed_.size(); ++i) index.emplace(key(freed_[i].slot, freed_[i].gen), i);
  std::vector<std::pair<uint32_t, uint32_t>> edges;
  for (const Ref& r : refs_) {
    auto from = index.find(key(r.owner_slot, r.owner_gen));
    auto to = index.find(key(r.target_slot, r.target_gen));
    if (from != index.end() && to != index.end()) edges.emplace_back(from->second, to->second);
  }
  uint32_t n = static_cast<uint32_t>(freed_.size());
  Graph g = Graph::from_edges(n, edges, std::vector<uint8_t>(n, 0));
  CycleSet set = find_cycles(g, std::vector<uint8_t>(n, 1), [&](uint32_t v) {
    const ObjectRef& o = freed_[v].object;
    return NodeFacts{o.addr, o.line, o.size};
  });
  if (!set.cycles.empty()) ++s_.collections_with_cycles;
  for (const CycleGroup& grp : set.cycles) {
    ++s_.cycles;
    s_.objects += grp.members.size() + grp.held.size();
    // What one collection frees was live at once, so its sum is bounded; the sum over a whole trace is not.
    s_.bytes = checked_add(s_.bytes, grp.bytes + grp.held_bytes, "the bytes of the collected cycles");
    if (s_.kept.size() >= s_.keep) continue;
    CycleDetail d = describe_cycle(g, grp, [&](uint32_t v) { return freed_[v].object; });
    d.gc_line = gc_line_;
    d.generation = generation_;
    s_.kept.push_back(std::move(d));
  }
  freed_.clear();
  refs_.clear();
}

}  // namespace refscope
