#include "refscope/source/byte_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "refscope/util/error.h"

namespace refscope {
namespace {

constexpr size_t kChunk = 1 << 18;

// Reads a file descriptor (or, for tests and the fuzzer, bytes in memory), first handing back any bytes that were
// peeked to detect the encoding.
class FdReader {
 public:
  FdReader(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {}
  FdReader(std::string data, std::string name) : fd_(-1), name_(std::move(name)), owned_(false) {
    memory_ = std::move(data);
  }
  ~FdReader() {
    if (owned_) ::close(fd_);
  }
  FdReader(const FdReader&) = delete;
  FdReader& operator=(const FdReader&) = delete;

  size_t read(char* buffer, size_t capacity) {
    if (peek_pos_ < peeked_.size()) {
      size_t n = std::min(capacity, peeked_.size() - peek_pos_);
      std::memcpy(buffer, peeked_.data() + peek_pos_, n);
      peek_pos_ += n;
      return n;
    }
    return raw_read(buffer, capacity);
  }

  // Reads up to `n` bytes ahead without consuming them.
  const std::string& peek(size_t n) {
    while (peeked_.size() < n) {
      char buf[16];
      size_t got = raw_read(buf, std::min(sizeof buf, n - peeked_.size()));
      if (got == 0) break;
      peeked_.append(buf, got);
    }
    return peeked_;
  }

  const std::string& name() const { return name_; }
  uint64_t bytes_in() const { return bytes_in_; }

 private:
  size_t raw_read(char* buffer, size_t capacity) {
    if (fd_ < 0) {
      size_t n = std::min(capacity, memory_.size() - memory_pos_);
      std::memcpy(buffer, memory_.data() + memory_pos_, n);
      memory_pos_ += n;
      bytes_in_ += n;
      return n;
    }
    for (;;) {
      ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) {
        bytes_in_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      throw TraceError(name_, 0, std::string("cannot read: ") + std::strerror(errno));
    }
  }

  int fd_;
  std::string name_;
  bool owned_;
  std::string peeked_;
  size_t peek_pos_ = 0;
  std::string memory_;
  size_t memory_pos_ = 0;
  uint64_t bytes_in_ = 0;
};

class PlainSource final : public ByteSource {
 public:
  explicit PlainSource(std::unique_ptr<FdReader> in) : in_(std::move(in)) {}
  size_t read(char* buffer, size_t capacity) override { return in_->read(buffer, capacity); }
  uint64_t bytes_in() const override { return in_->bytes_in(); }
  const char* encoding() const override { return "plain"; }

 private:
  std::unique_ptr<FdReader> in_;
};

// gzip, including several members one after another (what `cat a.gz b.gz` makes).
class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<FdReader> in) : in_(std::move(in)), input_(kChunk) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw TraceError(in_->name(), 0, "cannot start gzip decoder");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  size_t read(char* buffer, size_t capacity) override {
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = static_cast<uInt>(capacity);
    while (zs_.avail_out == capacity && !done_) {
      // When the last call filled the caller's buffer, inflate may still hold output (the rest of a match) with
      // all input consumed: call it again before concluding from an empty input that the data ended.
      if (zs_.avail_in == 0 && !output_full_) {
        size_t n = in_->read(input_.data(), input_.size());
        if (n == 0) {
          // The input ended: cleanly between members, or in the middle of one.
          truncated_ = in_member_;
          done_ = true;
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(input_.data());
        zs_.avail_in = static_cast<uInt>(n);
      }
      in_member_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      output_full_ = zs_.avail_out == 0;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&zs_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw TraceError(in_->name(), 0,
                         std::string("corrupt gzip data: ") + (zs_.msg ? zs_.msg : "inflate failed"));
      }
    }
    return capacity - zs_.avail_out;
  }
  bool truncated() const override { return truncated_; }
  uint64_t bytes_in() const override { return in_->bytes_in(); }
  const char* encoding() const override { return "gzip"; }

 private:
  std::unique_ptr<FdReader> in_;
  std::vector<char> input_;
  z_stream zs_;
  bool in_member_ = false;
  bool output_full_ = false;
  bool done_ = false;
  bool truncated_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<FdReader> in)
      : in_(std::move(in)), input_(ZSTD_DStreamInSize()), ds_(ZSTD_createDStream()) {
    if (!ds_) throw TraceError(in_->name(), 0, "cannot start zstd decoder");
    ZSTD_initDStream(ds_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }

  size_t read(char* buffer, size_t capacity) override {
    ZSTD_outBuffer out{buffer, capacity, 0};
    while (out.pos == 0 && !done_) {
      // A call that filled the caller's buffer may leave decoded bytes inside the decoder with all input consumed:
      // flush them before reading more (or deciding the stream ended).
      if (in_buf_.pos == in_buf_.size && !output_full_) {
        size_t n = in_->read(input_.data(), input_.size());
        if (n == 0) {
          truncated_ = pending_ != 0;
          done_ = true;
          break;
        }
        in_buf_ = {input_.data(), n, 0};
      }
      pending_ = ZSTD_decompressStream(ds_, &out, &in_buf_);
      output_full_ = out.pos == out.size;
      if (ZSTD_isError(pending_))
        throw TraceError(in_->name(), 0, std::string("corrupt zstd data: ") + ZSTD_getErrorName(pending_));
    }
    return out.pos;
  }
  bool truncated() const override { return truncated_; }
  uint64_t bytes_in() const override { return in_->bytes_in(); }
  const char* encoding() const override { return "zstd"; }

 private:
  std::unique_ptr<FdReader> in_;
  std::vector<char> input_;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  ZSTD_DStream* ds_;
  size_t pending_ = 0;
  bool output_full_ = false;
  bool done_ = false;
  bool truncated_ = false;
};

}  // namespace

std::string display_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

namespace {

std::unique_ptr<ByteSource> detect(std::unique_ptr<FdReader> in) {
  const std::string& head = in->peek(4);
  auto starts = [&](std::initializer_list<unsigned char> magic) {
    if (head.size() < magic.size()) return false;
    size_t i = 0;
    for (unsigned char m : magic)
      if (static_cast<unsigned char>(head[i++]) != m) return false;
    return true;
  };
  if (starts({0x1f, 0x8b})) return std::make_unique<GzipSource>(std::move(in));
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return std::make_unique<ZstdSource>(std::move(in));
  return std::make_unique<PlainSource>(std::move(in));
}

}  // namespace

std::unique_ptr<ByteSource> open_source(const std::string& path) {
  std::string name = display_name(path);
  int fd = 0;
  bool owned = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw TraceError(name, 0, std::string("cannot open: ") + std::strerror(errno));
    owned = true;
  }
  return detect(std::make_unique<FdReader>(fd, name, owned));
}

std::unique_ptr<ByteSource> open_memory(std::string data, const std::string& name) {
  return detect(std::make_unique<FdReader>(std::move(data), name));
}

}  // namespace refscope
