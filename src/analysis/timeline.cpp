#include "refscope/analysis/timeline.h"

#include <algorithm>

namespace refscope {

void Timeline::add(const TimelineSample& s) {
  r_.peak_objects = std::max(r_.peak_objects, s.objects);
  r_.peak_bytes = std::max(r_.peak_bytes, s.bytes);
  if (!r_.samples.empty() && r_.samples.back().line == s.line) {
    r_.samples.back() = s;
    return;
  }
  r_.samples.push_back(s);
  if (r_.samples.size() < kMaxSamples) return;
  // Full: keep every other sample (the first and the latest stay), and from now on every other batch.
  size_t kept = 0;
  for (size_t i = 0; i < r_.samples.size(); i += 2) r_.samples[kept++] = r_.samples[i];
  if (r_.samples[kept - 1].line != s.line) r_.samples[kept++] = s;
  r_.samples.resize(kept);
  stride_ *= 2;
}

void Timeline::sample(const Model& model, const Event* marker) {
  TimelineSample s{model.last_line(), model.live_objects(), model.live_bytes()};
  if (marker) {
    ++r_.markers_total;
    if (r_.markers.size() < kMaxMarkers) r_.markers.push_back({std::string(marker->text), s.line, s.objects, s.bytes});
    r_.peak_objects = std::max(r_.peak_objects, s.objects);
    r_.peak_bytes = std::max(r_.peak_bytes, s.bytes);
    return;
  }
  if (seen_++ % stride_ == 0) add(s);
}

TimelineResult Timeline::finish(const Model& model) {
  add({model.last_line(), model.live_objects(), model.live_bytes()});
  return std::move(r_);
}

}  // namespace refscope
