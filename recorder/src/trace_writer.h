#pragma once
// The buffered trace writer: records are formatted into a 1 MiB buffer on the recording thread (which holds the
// GIL); full buffers go to a background thread that compresses them (zstd, when the file name ends in `.zst`) and
// writes them. The traced program never waits for the disk unless the writer falls four buffers behind.
//
// A write that fails (disk full, a closed pipe) or a trace that reaches its size cap does not stop the program:
// the writer marks itself stopped, keeps the message for one warning, and discards what comes after. What was
// written is a valid prefix of the trace (whole lines; compressed, whole zstd frames, one a buffer). At the cap
// the writer keeps room for one last record: it writes as many whole lines of the buffer as fit, then
// `E cap BYTES bytes`, so that a reader knows where and why the trace was cut.
//
// The trace is written in the binary encoding (refscope/reader/binary_format.h) unless the recording asked for
// text. The hooks format their frequent records in either form themselves (put_address codes an address against
// the one before it); the rare ones (header, @, T, S, L, N, M, G, g, E) are formatted as text lines, which
// commit_text turns into binary records when the trace is binary. Under a cap, a binary buffer is cut after its
// last whole record as a text one is after its last whole line.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "refscope/reader/binary_format.h"

namespace refscope::recorder {

class TraceWriter {
 public:
  TraceWriter() = default;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  ~TraceWriter();

  // Opens PATH for writing (truncating it). zstd_level > 0 compresses. max_bytes caps the bytes written to the
  // file (0 = no cap; otherwise at least kMinCap). Returns false with `error` set when the file cannot be opened.
  bool open(const std::string& path, int zstd_level, uint64_t max_bytes, bool binary, std::string& error);

  // A pointer with room for at least n bytes (n <= kBufferSize); commit() says where the record ends. After the
  // writer stopped, it points into a scratch buffer that is thrown away.
  char* reserve(size_t n) {
    if (static_cast<size_t>(end_ - pos_) < n) rotate();
    return pos_;
  }
  void commit(char* p) { pos_ = p; }
  // Commits the whole text lines written from `start` to `end`: as they are, or as their binary records (which
  // take at most kTextSlack bytes more than the text: reserve that much more).
  void commit_text(char* start, char* end);
  static constexpr size_t kTextSlack = 16;

  bool binary() const { return binary_; }
  // Binary: an ADDR or OWNER field, coded against the address field before it.
  unsigned char* put_address(unsigned char* p, uint64_t address) {
    return refscope::binary::put_address(p, address, previous_address_);
  }

  // Hands the current buffer to the background thread; with `wait`, returns once everything is written (and,
  // compressed, as complete zstd frames), so a checkpoint survives a crash or os._exit() right after.
  void flush(bool wait = false);
  // Writes everything, ends the compressed frame, closes the file and joins the thread.
  void close();
  // In a child after fork(): forgets the parent's file, buffers and thread without touching them.
  void abandon_after_fork();

  // Called once, on the recording thread, when the writer notices that it stopped (to stop the recording too).
  void set_on_stop(void (*fn)(void*), void* ctx) {
    on_stop_ = fn;
    on_stop_ctx_ = ctx;
  }

  bool is_open() const { return fd_ >= 0; }
  // True once a write failed or the cap was reached; error() says why, and capped() which of the two.
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }
  bool capped() const { return capped_.load(std::memory_order_relaxed); }
  std::string error() const;
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }

  static constexpr size_t kBufferSize = 1 << 20;
  static constexpr uint64_t kMinCap = 4096;  // the header and the end record always fit

 private:
  void rotate();
  void start_buffer();
  void worker();
  bool write_all(const char* data, size_t n);
  size_t compress(const char* data, size_t n);  // into zout_; 0 on error (after fail())
  bool write_buffer(const char* data, size_t n);
  bool write_capped(const char* data, size_t n, uint64_t room);
  void count_lines(const char* data, size_t n);
  size_t whole_records(const char* data, size_t limit) const;  // the binary whole_lines
  void fail(const std::string& why);

  int fd_ = -1;
  bool binary_ = false;
  uint64_t previous_address_ = 0;  // binary: the last address field written (recording thread)
  std::string encoded_;            // binary: commit_text's records (recording thread)
  std::string path_;
  int zstd_level_ = 0;
  uint64_t max_bytes_ = 0;
  void* zstd_ = nullptr;  // ZSTD_CCtx*
  std::vector<char> zout_;

  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t len = 0;
  };
  Buffer current_;
  char* pos_ = nullptr;
  char* end_ = nullptr;
  std::unique_ptr<char[]> scratch_;
  uint64_t bytes_in_ = 0;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Buffer> full_;     // waiting to be written
  std::vector<Buffer> spare_;   // written, ready for reuse
  bool closing_ = false;
  size_t in_flight_ = 0;
  std::thread* thread_ = nullptr;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> capped_{false};
  uint64_t lines_out_ = 0;  // lines (binary: records, the header one) written, counted only under a cap (for the
                            // message saying where it cut)
  std::atomic<uint64_t> bytes_out_{0};
  std::string error_;
  void (*on_stop_)(void*) = nullptr;
  void* on_stop_ctx_ = nullptr;
  bool stop_reported_ = false;
};

}  // namespace refscope::recorder
