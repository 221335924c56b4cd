#pragma once
// The pull reader for trace formats 1 and 2: `next(ev)` decodes one record at a time and keeps nothing per record, so
// memory stays flat however long the trace. Declarations (header, metadata, T and S) are checked and kept here;
// everything that changes the heap is handed to the caller as an Event for the model to apply.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "refscope/reader/event.h"
#include "refscope/reader/symbols.h"
#include "refscope/source/byte_source.h"

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

struct LineParser;

class TraceReader {
 public:
  // Opens the trace and reads up to its header. Throws TraceError for a file that cannot be opened or is not a
  // trace of format 1 or 2.
  explicit TraceReader(const std::string& path);
  // Reads from an already opened source (tests, the fuzzer).
  TraceReader(std::unique_ptr<ByteSource> source, std::string path);

  // Decodes the next record into `ev`. Returns false at the end. Throws TraceError naming file and line.
  bool next(Event& ev);

  const TraceInfo& info() const { return info_; }
  const SymbolTable& symbols() const { return symbols_; }
  uint64_t line() const { return line_; }
  uint64_t bytes_consumed() const { return consumed_; }
  // Bytes taken from the file so far (compressed ones, for a compressed trace).
  uint64_t source_bytes() const { return source_->bytes_in(); }

  // Throws TraceError for the current line, showing `text` under the message.
  [[noreturn]] void fail(const std::string& message, std::string_view text) const;

  // Where warnings go (a trace cut short); by default the log. A reader on a thread of its own hands them to the
  // thread that applies the records, to be given when it gets there.
  void set_warning_handler(std::function<void(const std::string&)> handler) { warning_handler_ = std::move(handler); }

 private:
  bool next_line(std::string_view& line);
  void read_header();
  bool parse_fast(const char* p, unsigned len, uint32_t blanks, Event& ev);
  void warn(const std::string& message);
  bool parse(std::string_view line, Event& ev);
  void parse_meta(std::string_view rest, Event& ev, std::string_view line);
  void parse_type(std::string_view rest, Event& ev, std::string_view line);
  void parse_stack(std::string_view rest, Event& ev, std::string_view line);
  void parse_root(std::string_view rest, Event& ev, std::string_view line);
  // Fails for a record that the header's format version does not have.
  void need_version(int version, char record, std::string_view line) const;
  LabelIdx label_field(LineParser& p, std::string_view line);
  void parse_end(std::string_view rest, std::string_view line);
  void check_end();

  std::unique_ptr<ByteSource> source_;
  TraceInfo info_;
  SymbolTable symbols_;
  std::function<void(const std::string&)> warning_handler_;
  std::vector<char> buffer_;  // the data is buffer_[begin_, end_), with slack bytes for wide reads at both ends
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_ = 0;
  uint64_t consumed_ = 0;
  bool heap_records_seen_ = false;  // an A, I, D, F, R, P, U, Z or K was read: `@ refs` may no longer change
  uint64_t gc_open_line_ = 0;       // line of the open G, 0 when none is open
  bool end_checked_ = false;
};

}  // namespace refscope
