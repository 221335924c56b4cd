#pragma once
// What a trace says about itself: where it came from, its format, its metadata, and how it ended.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "refscope/reader/event.h"

namespace refscope {

struct TraceInfo {
  std::string path;          // as given ("-" for stdin)
  std::string name;          // as messages show it
  std::string encoding;      // plain, gzip or zstd
  int version = 0;
  RefsMode refs = RefsMode::Exact;
  std::vector<std::pair<std::string, std::string>> metadata;  // in trace order, the first kMaxMetadata
  uint64_t metadata_total = 0;
  bool truncated = false;  // ended without a line end, mid-way through a compressed frame, or cut at a size cap
  // Format 2's end of the recording (`E REASON [DETAIL]`): empty reason and line 0 when the trace has none.
  std::string end_reason;  // exit, stop, detach, cap, ...
  std::string end_detail;
  uint64_t end_line = 0;
  uint64_t last_marker_line = 0;  // the last M record (a recorder writes one after each checkpoint)
  bool recorded = false;          // `@ recorder`: written by a recorder, which ends every trace it closes with E
  static constexpr size_t kMaxMetadata = 256;

  // Counts an `@` record and keeps it if fewer than kMaxMetadata are kept.
  void add_metadata(std::string_view key, std::string_view value) {
    ++metadata_total;
    if (metadata.size() < kMaxMetadata) metadata.emplace_back(std::string(key), std::string(value));
  }
};

}  // namespace refscope
