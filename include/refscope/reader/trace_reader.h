#pragma once
// The pull reader for trace formats 1 and 2. `read_batch` decodes the next few thousand records at once
// (record_batch.h); `next(ev)` gives them one at a time. It keeps nothing per record, so memory stays flat however
// long the trace. Declarations (header, metadata, T and S) are checked and kept here; everything that changes the
// heap is handed to the caller for the model to apply.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "refscope/reader/event.h"
#include "refscope/reader/record_batch.h"
#include "refscope/reader/symbols.h"
#include "refscope/reader/trace_info.h"
#include "refscope/source/byte_source.h"

namespace refscope {

struct LineParser;

class TraceReader {
 public:
  // Opens the trace and reads up to its header. Throws TraceError for a file that cannot be opened or is not a
  // trace of format 1 or 2.
  explicit TraceReader(const std::string& path);
  // Reads from an already opened source (tests, the fuzzer).
  TraceReader(std::unique_ptr<ByteSource> source, std::string path);
  ~TraceReader();

  // Decodes the next records into `batch` (at most RecordBatch::kCapacity), with what came after them: the end of
  // the trace, or the error that stopped the reading (a TraceError naming file and line), and the warnings met on
  // the way. After a batch with `end` or `error` there is nothing more to read.
  void read_batch(RecordBatch& batch);

  // Decodes the next record into `ev`: text fields stay valid until a later call. Returns false at the end; throws
  // the TraceError of a bad line when the records before it have been given. Warnings go to the log.
  bool next(Event& ev);

  // As far as the reader has read (with next(), it reads a batch ahead).
  const TraceInfo& info() const { return info_; }
  const SymbolTable& symbols() const { return symbols_; }

  // Throws TraceError for the current line, showing `text` under the message.
  [[noreturn]] void fail(const std::string& message, std::string_view text) const;

 private:
  struct TextSpan {  // where an Event's text fields were copied in the batch's text
    uint32_t event, at, size, at2, size2;
  };

  void decode(RecordBatch& b, size_t& decoded);
  bool decode_line(std::string_view line, RecordBatch& b, size_t& n);
  bool next_line(std::string_view& line);
  void read_header();
  void warn(const std::string& message);
  bool parse(std::string_view line, Event& ev);
  void parse_meta(std::string_view rest, Event& ev, std::string_view line);
  void parse_definition(std::string_view rest, Event& ev, std::string_view line);  // T and L
  void parse_stack(std::string_view rest, Event& ev, std::string_view line);
  void parse_root(std::string_view rest, Event& ev, std::string_view line);
  // Fails for a record that the header's format version does not have.
  void need_version(int version, char record, std::string_view line) const;
  LabelIdx label_field(LineParser& p, std::string_view line);
  void parse_end(std::string_view rest, std::string_view line);
  void check_end();
  // The binary encoding (src/reader/binary_decoder.cpp, binary_format.h): told from text by its first bytes.
  size_t fill(size_t need);
  void read_more(size_t capacity);  // compact, grow to `capacity` if smaller, read; sets eof_ at the end
  void read_binary_header();
  void decode_binary(RecordBatch& b, size_t& decoded);
  void decode_one(RecordBatch& b, size_t& n);
  void binary_end(std::string_view reason, std::string_view detail, std::string_view text);
  void end_of_data(RecordBatch& b);

  std::unique_ptr<ByteSource> source_;
  TraceInfo info_;
  SymbolTable symbols_;
  std::vector<char> buffer_;  // the data is buffer_[begin_, end_), with slack bytes for wide reads at both ends
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_ = 0;
  uint64_t read_total_ = 0;         // bytes the source has given
  bool heap_records_seen_ = false;  // an A, I, D, F, R, P, U, Z or K was read: `@ refs` may no longer change
  uint64_t gc_open_line_ = 0;       // line of the open G, 0 when none is open
  bool end_checked_ = false;
  bool binary_ = false;          // the trace is in the binary encoding: messages name records, not lines
  uint64_t previous_address_ = 0;  // binary: the last address field decoded
  uint64_t record_offset_ = 0;     // binary: where the record being decoded starts in the trace's bytes
  RecordBatch* filling_ = nullptr;  // the batch read_batch fills: its warnings go there
  std::vector<TextSpan> texts_;
  std::unique_ptr<RecordBatch> single_;  // next()'s batch
  size_t single_pos_ = 0;
  bool single_done_ = false;
};

}  // namespace refscope
