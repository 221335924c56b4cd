#pragma once
// The cycles CPython's collector freed: reconstructed, as TRACE-FORMAT.md asks, from the graph as it stood when
// each collection began (the `G` record). In a sampled trace that graph is the one of the last checkpoint.
//
// The observer keeps nothing between collections. Inside a `G`..`g` bracket it notes, for each object freed, what
// it was and the references it held as it is freed, including those to objects freed before it in the same bracket
// (their edges are stale by then but still stored: Model::for_each_stored_edge); and it notes each reference a
// `D ADDR OWNER` removed inside the bracket (the collector's tp_clear). Objects are told apart by slot and
// generation, so a slot reused inside the bracket is no confusion. At `g` the references between the freed
// objects form a small graph; its cycles (cycle_finder.h), each with the acyclic freed objects it held, are the
// collected cycles. References taken inside the bracket (a finalizer's) are not seen: the model offers no hook
// for them, and the collector does not take any.
//
// Memory: what one bracket frees, plus the details of the first `keep` cycles; every cycle is counted. The bytes
// of all the collected cycles add up over the whole trace: a sum beyond 2^64 - 1 throws FigureOverflow.
#include <cstdint>
#include <vector>

#include "refscope/analysis/cycle_finder.h"
#include "refscope/model/model.h"

namespace refscope {

// What the collector freed before the point: the first cycles in detail, every one counted.
struct CollectedSummary {
  std::vector<CycleDetail> kept;  // in the order collected (within a collection, largest first)
  size_t keep = 0;
  uint64_t cycles = 0;
  uint64_t objects = 0;  // on the cycles and held by them
  uint64_t bytes = 0;
  uint64_t collections = 0;  // brackets seen (G records)
  uint64_t collections_with_cycles = 0;
};

class CollectedCycles : public ModelObserver {
 public:
  // Objects are named with `namer` as they are freed, when their names are known.
  CollectedCycles(const Model& model, Namer& namer, size_t keep) : model_(model), namer_(namer) { s_.keep = keep; }

  void on_gc_start(const Event& ev) override;
  void on_gc_end(const Event& ev) override;
  void before_free(ObjSlot slot) override;
  void on_edge_removed(ObjSlot owner, ObjSlot target) override;
  // Ends a collection still open where the analysis stops, so that what it freed so far counts.
  void finish();

  const std::vector<CycleDetail>& kept() const { return s_.kept; }
  size_t keep() const { return s_.keep; }
  uint64_t cycles() const { return s_.cycles; }
  uint64_t objects() const { return s_.objects; }
  uint64_t bytes() const { return s_.bytes; }
  uint64_t collections() const { return s_.collections; }
  uint64_t collections_with_cycles() const { return s_.collections_with_cycles; }
  // The summary so far; the kept cycles move out.
  CollectedSummary take() { return std::move(s_); }

 private:
  struct Freed {
    ObjectRef object;
    uint32_t slot, gen;
  };
  struct Ref {
    uint32_t owner_slot, owner_gen, target_slot, target_gen;
  };
  void close_bracket();

  const Model& model_;
  Namer& namer_;
  CollectedSummary s_;
  bool open_ = false;
  uint64_t gc_line_ = 0, generation_ = 0;
  std::vector<Freed> freed_;
  std::vector<Ref> refs_;
};

}  // namespace refscope
