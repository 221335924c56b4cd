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
#include "refscope/replay/point.h"

namespace refscope {

struct ReplayOptions {
  ModelOptions model;
  bool progress = false;  // a progress line on stderr (the CLI sets it only when stderr is a terminal)
};

class Replay {
 public:
  // `watch` lists every point the command will ask for, so that occurrences are counted from the start of the
  // trace and a point passed too early can be told apart from one that does not exist.
  Replay(const std::string& path, std::vector<PointSpec> watch, ReplayOptions options = {});
  ~Replay();

  // Applies records up to and including the marker `p` names and returns that marker's line. Throws UsageError
  // when the trace has no such marker, or when it was passed already (it came before an earlier point).
  uint64_t advance_to(const PointSpec& p);
  // Applies every remaining record; returns the last line.
  uint64_t advance_to_end();

  Model& model() { return model_; }
  const Model& model() const { return model_; }
  const TraceReader& reader() const { return *reader_; }
  const TraceInfo& info() const { return reader_->info(); }
  const SymbolTable& symbols() const { return reader_->symbols(); }

  // The line a watched point resolved at, if the replay has passed it.
  std::optional<uint64_t> resolved_line(const PointSpec& p) const;

 private:
  void on_marker(const Event& ev);
  bool step();
  bool fill_batch();
  void show_progress();
  void literal_prescan();

  // Records are decoded a batch ahead of the model, so the cache lines they will touch can be fetched while the
  // next lines are parsed (the address map and object table of a large live set do not fit in cache). A record
  // that carries text ends its batch: its text points into the reader's buffer, valid until the next read.
  static constexpr size_t kBatch = 64;
  std::vector<Event> batch_ = std::vector<Event>(kBatch);
  size_t batch_pos_ = 0, batch_len_ = 0;

  std::unique_ptr<TraceReader> reader_;
  Model model_;
  ReplayOptions options_;
  std::vector<PointSpec> watch_;
  std::vector<std::optional<uint64_t>> resolved_;
  std::vector<bool> literal_exists_;  // from a pre-scan of a seekable file: a marker literally labelled LABEL#N
  std::unordered_map<std::string, uint32_t> seen_;  // occurrences so far of each watched label
  int last_hit_ = -1;
  bool ended_ = false;
  uint64_t file_size_ = 0;
  uint64_t next_progress_check_ = 0;
  double started_ = 0, last_progress_ = 0;
  bool progress_shown_ = false;
};

}  // namespace refscope
