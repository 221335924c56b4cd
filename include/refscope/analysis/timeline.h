#pragma once
// Live objects and bytes over the course of a replay, for the HTML report's chart: sampled at the end of every
// batch of records and at every marker, kept in bounded memory. When the samples fill their room, every other one
// is dropped and the spacing doubles, so a trace of any length gives at most kMaxSamples evenly spread points
// (plus one per marker kept), and the memory stays fixed however many events the trace holds.
#include <cstdint>
#include <string>
#include <vector>

#include "refscope/replay/replay.h"

namespace refscope {

struct TimelineSample {
  uint64_t line = 0, objects = 0, bytes = 0;
};

struct TimelineMarker {
  std::string label;
  uint64_t line = 0, objects = 0, bytes = 0;
};

struct TimelineResult {
  std::vector<TimelineSample> samples;  // by line
  std::vector<TimelineMarker> markers;  // the first kMaxMarkers, by line
  uint64_t markers_total = 0;
  uint64_t peak_objects = 0, peak_bytes = 0;  // over the samples and markers
};

class Timeline final : public ReplaySampler {
 public:
  static constexpr size_t kMaxSamples = 1024;
  static constexpr size_t kMaxMarkers = 2000;

  void sample(const Model& model, const Event* marker) override;
  // Takes a last sample of the model as it stands (the point the report describes) and returns the result.
  TimelineResult finish(const Model& model);

 private:
  void add(const TimelineSample& s);
  TimelineResult r_{{TimelineSample{}}, {}, 0, 0, 0};  // the trace starts with nothing live, at line 0
  uint64_t stride_ = 1, seen_ = 0;  // keep every stride_-th batch sample
};

}  // namespace refscope
