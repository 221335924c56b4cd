#pragma once
// Drives a trace through the model, stopping at the points a command asks for. Commands pull: advance to the
// window's start, look, advance to its end, look; nothing of the past is kept but what the model keeps.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "refscope/model/model.h"
#include "refscope/reader/trace_reader.h"
#include "refscope/replay/event_pipe.h"
#include "refscope/replay/point.h"

namespace refscope {

// Told how the model stands as the replay goes: after each batch of records (about 8,192) and at each marker. The
// HTML report's chart of live objects and bytes over time is drawn from these samples.
class ReplaySampler {
 public:
  virtual ~ReplaySampler() = default;
  // `marker` is the marker record just applied, or null for the end of a batch.
  virtual void sample(const Model& model, const Event* marker) = 0;
};

struct ReplayOptions {
  ModelOptions model;
  bool progress = false;  // a progress line on stderr (the CLI sets it only when stderr is a terminal)
  bool threaded = true;   // decode on a second thread (EventPipe); the environment's REFSCOPE_THREADS=1 says no
  // The model's object slots from which records are worked on ahead (below, the model fits in a core's cache and
  // the lookahead costs more than it saves). Tests set 0 to have it always.
  uint32_t lookahead_from = 32768;
};

class Replay {
 public:
  // `watch` lists every point the command will ask for, so that occurrences are counted from the start of the
  // trace and a point passed too early can be told apart from one that does not exist.
  Replay(const std::string& path, std::vector<PointSpec> watch, ReplayOptions options = {});
  ~Replay();

  // Applies records up to and including the marker `p` names and returns that marker's line. Throws UsageError
  // when the trace has no such marker, or when it was passed already (it came before an earlier point). Both
  // advances throw TraceError when the live bytes went beyond Model::kMaxLiveBytes on the way.
  uint64_t advance_to(const PointSpec& p);
  // Applies every remaining record; returns the last line.
  uint64_t advance_to_end();

  Model& model() { return model_; }
  const Model& model() const { return model_; }
  // The trace's header, metadata and declarations as far as the model has got, not as far as the reader has read.
  const TraceInfo& info() const { return info_; }
  const SymbolTable& symbols() const { return symbols_; }

  // Samples the model as the replay goes (null: none). The sampler must outlive the replay or be unset.
  void set_sampler(ReplaySampler* sampler) { sampler_ = sampler; }

  // The line a watched point resolved at, if the replay has passed it.
  std::optional<uint64_t> resolved_line(const PointSpec& p) const;

 private:
  void on_marker(const Event& ev);
  void declare(const Event& ev);
  bool apply_until(size_t point);
  template <bool kLookahead>
  bool apply_batch(size_t point);
  bool next_batch();
  void show_progress();
  void literal_prescan();
  // Throws TraceError when the model's figures went beyond what 64 bits count (Model::bytes_overflow_line).
  void check_figures() const;

  // Records are applied a batch at a time (EventPipe). On a model too big for a core's cache, the cache lines a
  // record will touch are fetched ahead of it in three steps (Model::prefetch, resolve, prefetch_edges): kAhead
  // records before it is applied, then half and a quarter of that. The slots `resolve` finds are kept (hints_) so
  // that apply need not look them up again.
  static constexpr size_t kAhead = 32;
  std::unique_ptr<EventPipe> pipe_;
  const RecordBatch* batch_ = nullptr;
  size_t batch_pos_ = 0;
  bool lookahead_ = false;  // for the batch being applied
  std::vector<Model::Hint> hints_ = std::vector<Model::Hint>(RecordBatch::kCapacity);

  TraceInfo info_;
  SymbolTable symbols_;
  Model model_;
  ReplayOptions options_;
  std::vector<PointSpec> watch_;
  std::vector<std::optional<uint64_t>> resolved_;
  std::vector<bool> literal_exists_;  // from a pre-scan of a seekable file: a marker literally labelled LABEL#N
  std::unordered_map<std::string, uint32_t> seen_;  // occurrences so far of each watched label
  // The trace's marker labels so far, in order of first use, with their counts (the first kLabelsKept): an error
  // about a missing marker lists them.
  static constexpr size_t kLabelsKept = 1000;
  std::vector<std::pair<std::string, uint32_t>> labels_;
  std::unordered_map<std::string, uint32_t> label_index_;
  uint64_t labels_dropped_ = 0;
  std::string markers_text() const;
  int last_hit_ = -1;
  bool ended_ = false;
  uint64_t file_size_ = 0;
  uint64_t line_ = 0, source_bytes_ = 0;  // the reader's, as of the batch being applied (progress)
  uint64_t next_progress_check_ = 0;
  double last_progress_ = 0;
  ReplaySampler* sampler_ = nullptr;
};

}  // namespace refscope
