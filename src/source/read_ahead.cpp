// Decompression on a thread of its own (read_ahead.h).
//
// A gzip or zstd trace costs its decoder about as much CPU as the parsing of what comes out, and both used to run
// on the reader's thread, one after the other. Here the decoder runs a few chunks ahead of the reader:
//
//   decoder thread:  [decode chunk 1][decode chunk 2][decode chunk 3] ...
//   reader thread:                   [parse chunk 1 ][parse chunk 2 ] ...
//
// Chunks cycle through a fixed ring of kChunks, so memory stays bounded whatever the trace. Each chunk carries what
// happened after its bytes: the end of the data (and whether it came mid-frame) or the error that stopped the
// decoder. The reader meets them in order, after every byte before them, as it would have reading inline.
#include <array>
#include <cstdint>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "refscope/source/read_ahead.h"

namespace refscope {
namespace {

class ReadAheadSource final : public ByteSource {
 public:
  explicit ReadAheadSource(std::unique_ptr<ByteSource> inner)
      : inner_(std::move(inner)), encoding_(inner_->encoding()) {
    for (Chunk& c : chunks_) c.data.resize(kChunkBytes);
    thread_ = std::thread([this] { produce(); });
  }

  ~ReadAheadSource() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  ReadAheadSource(const ReadAheadSource&) = delete;
  ReadAheadSource& operator=(const ReadAheadSource&) = delete;

  size_t read(char* buffer, size_t capacity) override {
    size_t copied = 0;
    while (copied < capacity) {
      if (!holding_) {
        if (copied > 0 && !ready()) break;  // give what there is rather than wait for the decoder
        take();
      }
      Chunk& c = chunks_[consumed_ % kChunks];
      size_t n = std::min(capacity - copied, c.size - offset_);
      std::memcpy(buffer + copied, c.data.data() + offset_, n);
      copied += n;
      offset_ += n;
      bytes_in_ = c.bytes_in;
      if (offset_ < c.size) break;  // the caller's buffer is full
      if (c.last) {
        // Every byte before the end (or the error) has been given: the error comes with the next call.
        truncated_ = c.truncated;
        if (c.error && copied == 0) std::rethrow_exception(c.error);
        break;
      }
      give_back();
    }
    return copied;
  }

  bool truncated() const override { return truncated_; }
  // As of the chunk being read: what the decoder had taken from the file once it had filled it.
  uint64_t bytes_in() const override { return bytes_in_; }
  const char* encoding() const override { return encoding_; }

 private:
  static constexpr size_t kChunks = 4;
  static constexpr size_t kChunkBytes = 1 << 20;

  struct Chunk {
    std::vector<char> data;
    size_t size = 0;
    uint64_t bytes_in = 0;   // the source's bytes_in() once this chunk was filled
    bool last = false;       // nothing follows this chunk's bytes: the end of the data, or `error`
    bool truncated = false;  // last: the data ended in the middle of a compressed frame
    std::exception_ptr error;
  };

  // The decoder's side: fills chunks in order until the data ends or the decoder fails.
  void produce() {
    for (uint64_t produced = 0;; ++produced) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || produced - released_ < kChunks; });
        if (stop_) return;
      }
      Chunk& c = chunks_[produced % kChunks];
      c.size = 0;
      try {
        while (c.size < kChunkBytes) {
          size_t n = inner_->read(c.data.data() + c.size, kChunkBytes - c.size);
          if (n == 0) {
            c.last = true;
            c.truncated = inner_->truncated();
            break;
          }
          c.size += n;
        }
      } catch (...) {
        c.error = std::current_exception();
        c.last = true;
      }
      c.bytes_in = inner_->bytes_in();
      {
        std::lock_guard lock(mutex_);
        ++published_;
      }
      cv_.notify_all();
      if (c.last) return;
    }
  }

  bool ready() {
    std::lock_guard lock(mutex_);
    return published_ > consumed_;
  }

  // Waits for the next chunk in order.
  void take() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return published_ > consumed_; });
    holding_ = true;
    offset_ = 0;
  }

  // The chunk held is read to its end: back to the decoder.
  void give_back() {
    holding_ = false;
    ++consumed_;
    {
      std::lock_guard lock(mutex_);
      released_ = consumed_;
    }
    cv_.notify_all();
  }

  std::unique_ptr<ByteSource> inner_;
  const char* encoding_;
  std::array<Chunk, kChunks> chunks_;

  // The reader's side (only its thread touches these).
  uint64_t consumed_ = 0;  // chunks read to their end
  bool holding_ = false;   // chunks_[consumed_ % kChunks] is being read, from offset_
  size_t offset_ = 0;
  bool truncated_ = false;
  uint64_t bytes_in_ = 0;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t published_ = 0;  // chunks the decoder has filled
  uint64_t released_ = 0;   // chunks the reader has given back
  bool stop_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> read_ahead(std::unique_ptr<ByteSource> source) {
  if (std::strcmp(source->encoding(), "plain") == 0) return source;
  return std::make_unique<ReadAheadSource>(std::move(source));
}

}  // namespace refscope
