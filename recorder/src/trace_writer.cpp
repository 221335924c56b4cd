#include "trace_writer.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace refscope::recorder {

namespace {
// How many buffers may wait for the disk before the recording thread waits too: memory stays bounded when the
// disk (or the compressor) is slower than the program.
constexpr size_t kMaxInFlight = 4;
// Room kept under the cap for the last record, `E cap N bytes` (a zstd frame of its own when compressed).
constexpr uint64_t kEndReserve = 128;

// The length of the longest prefix of data[0, limit) that ends with a line end (0 if none).
size_t whole_lines(const char* data, size_t limit) {
  if (limit == 0) return 0;
  const void* nl = memrchr(data, '\n', limit);
  return nl == nullptr ? 0 : static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
}

// The binary records of the recorder's rare text lines (the header, @, T, S, L, N, M, G, g, E), appended to out.
// The lines are the recorder's own: one blank between fields, no line end inside a text.
void encode_lines(std::string_view lines, std::string& out) {
  namespace bin = refscope::binary;
  unsigned char buf[3 * bin::kMaxVarint + 1];
  auto number = [&](std::string_view& rest) {
    size_t sp = rest.find(' ');
    std::string_view w = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    uint64_t v = 0;
    for (char c : w) v = v * 10 + static_cast<uint64_t>(c - '0');
    out.append(reinterpret_cast<char*>(buf), static_cast<size_t>(bin::put_varint(buf, v) - buf));
  };
  auto text = [&](std::string_view s) {
    out.append(reinterpret_cast<char*>(buf), static_cast<size_t>(bin::put_varint(buf, s.size()) - buf));
    out.append(s);
  };
  auto word = [&](std::string_view& rest) {
    size_t sp = rest.find(' ');
    text(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  };
  while (!lines.empty()) {
    size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view() : lines.substr(nl + 1);
    if (line.empty()) continue;
    if (line.rfind("refscope-trace ", 0) == 0) {
      out.append(reinterpret_cast<const char*>(bin::kMagic), sizeof bin::kMagic);
      out.push_back(static_cast<char>(line.back() - '0'));
      out.push_back(static_cast<char>(bin::kRevision));
      continue;
    }
    std::string_view rest = line.size() > 2 ? line.substr(2) : std::string_view();
    switch (line[0]) {
      case '@': out.push_back(static_cast<char>(bin::kMeta)); word(rest); text(rest); break;
      case 'T': out.push_back(static_cast<char>(bin::kType)); number(rest); text(rest); break;
      case 'L': out.push_back(static_cast<char>(bin::kLabelDef)); number(rest); text(rest); break;
      case 'N': out.push_back(static_cast<char>(bin::kRootDef)); number(rest); text(rest); break;
      case 'S':
        out.push_back(static_cast<char>(bin::kStack));
        number(rest);
        number(rest);
        number(rest);
        word(rest);
        text(rest);
        break;
      case 'M': out.push_back(static_cast<char>(bin::kMarker)); text(rest); break;
      case 'G': out.push_back(static_cast<char>(bin::kGcStart)); number(rest); break;
      case 'g': out.push_back(static_cast<char>(bin::kGcEnd)); number(rest); number(rest); break;
      case 'E': out.push_back(static_cast<char>(bin::kEnd)); word(rest); text(rest); break;
      default: break;  // not one of the recorder's records
    }
  }
}
}  // namespace

void TraceWriter::commit_text(char* start, char* end) {
  if (!binary_) {
    commit(end);
    return;
  }
  encoded_.clear();
  encode_lines(std::string_view(start, static_cast<size_t>(end - start)), encoded_);
  std::memcpy(start, encoded_.data(), encoded_.size());
  commit(start + encoded_.size());
}

// The binary whole_lines: the length of the longest prefix of data[0, limit) made of whole records (a buffer
// holds whole records only, the first one the header before them).
size_t TraceWriter::whole_records(const char* data, size_t limit) const {
  namespace bin = refscope::binary;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const unsigned char* const end = p + limit;
  size_t good = 0;
  if (limit >= bin::kHeaderSize && bin::has_magic(data, limit)) good = bin::kHeaderSize;
  const unsigned char* q = p + good;
  while (q < end) {
    unsigned numbers = 0, texts = 0;
    if (!bin::shape(*q, numbers, texts)) break;
    ++q;
    uint64_t v = 0;
    bool whole = true;
    for (unsigned i = 0; i < numbers + texts && whole; ++i) {
      size_t k = bin::get_varint(q, end, v);
      if (k == 0 || k > bin::kMaxVarint) whole = false;
      else q += k;
      if (whole && i >= numbers) {
        if (static_cast<uint64_t>(end - q) < v) whole = false;
        else q += v;
      }
    }
    if (!whole) break;
    good = static_cast<size_t>(q - p);
  }
  return good;
}

TraceWriter::~TraceWriter() { close(); }

bool TraceWriter::open(const std::string& path, int zstd_level, uint64_t max_bytes, bool binary, std::string& error) {
  close();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  fd_ = fd;
  binary_ = binary;
  previous_address_ = 0;
  path_ = path;
  zstd_level_ = zstd_level;
  max_bytes_ = max_bytes;
  if (max_bytes != 0 && max_bytes < kMinCap) max_bytes_ = kMinCap;
  stopped_ = false;
  capped_ = false;
  lines_out_ = 0;
  stop_reported_ = false;
  error_.clear();
  bytes_in_ = 0;
  bytes_out_ = 0;
  closing_ = false;
  in_flight_ = 0;
  if (zstd_level_ > 0) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, zstd_level_);
    zstd_ = cctx;
    zout_.resize(ZSTD_compressBound(kBufferSize));
  }
  if (!scratch_) scratch_.reset(new char[kBufferSize]);
  start_buffer();
  thread_ = new std::thread([this] { worker(); });
  return true;
}

void TraceWriter::start_buffer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!spare_.empty()) {
      current_ = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  if (!current_.data) current_.data.reset(new char[kBufferSize]);
  current_.len = 0;
  pos_ = current_.data.get();
  end_ = pos_ + kBufferSize;
}

void TraceWriter::rotate() {
  if (fd_ >= 0 && stopped() && !stop_reported_) {
    stop_reported_ = true;
    if (on_stop_ != nullptr) on_stop_(on_stop_ctx_);
  }
  if (fd_ < 0 || stopped()) {
    // Nothing more goes to the file: records land in the scratch buffer and are dropped.
    if (!scratch_) scratch_.reset(new char[kBufferSize]);
    pos_ = scratch_.get();
    end_ = pos_ + kBufferSize;
    return;
  }
  current_.len = static_cast<size_t>(pos_ - current_.data.get());
  bytes_in_ += current_.len;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return in_flight_ < kMaxInFlight || stopped(); });
    full_.push_back(std::move(current_));
    ++in_flight_;
  }
  cv_.notify_all();
  current_ = Buffer{};
  start_buffer();
}

void TraceWriter::flush(bool wait) {
  if (fd_ < 0) return;
  if (pos_ != current_.data.get()) {
    rotate();
  }
  if (wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return in_flight_ == 0 || stopped(); });
  }
}

void TraceWriter::close() {
  if (fd_ < 0) return;
  flush();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_ != nullptr) {
    thread_->join();
    delete thread_;
    thread_ = nullptr;
  }
  if (zstd_ != nullptr) {
    ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_));
    zstd_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
  full_.clear();
  pos_ = end_ = nullptr;
}

void TraceWriter::abandon_after_fork() {
  // The parent's thread does not exist here and its mutex may be held by nobody we can wait for: leak them, and
  // start over with fresh state. The file descriptor belongs to the parent's trace; close our copy.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  thread_ = nullptr;  // leaked on purpose: destroying a joinable std::thread would terminate
  new (&mutex_) std::mutex();
  new (&cv_) std::condition_variable();
  zstd_ = nullptr;  // the parent's context: leaked for the same reason
  full_.clear();
  in_flight_ = 0;
  closing_ = false;
  pos_ = end_ = nullptr;
}

std::string TraceWriter::error() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mutex_));
  return error_;
}

void TraceWriter::fail(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_.empty()) error_ = why;
    stopped_ = true;
  }
  cv_.notify_all();
}

bool TraceWriter::write_all(const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write " + path_ + ": " + std::strerror(errno));
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
    bytes_out_ += static_cast<uint64_t>(w);
  }
  return true;
}

// Each buffer becomes one complete zstd frame (a file of concatenated frames is one zstd stream to every
// decoder). Compressing a whole buffer in one call spares the streaming API's copy of the input into its window
// (measured: 2% of the traced program's time), and every buffer that reaches the disk can be decoded even if
// the program dies before the next one.
size_t TraceWriter::compress(const char* data, size_t n) {
  auto* cctx = static_cast<ZSTD_CCtx*>(zstd_);
  size_t size = ZSTD_compress2(cctx, zout_.data(), zout_.size(), data, n);
  if (ZSTD_isError(size)) {
    fail(std::string("zstd: ") + ZSTD_getErrorName(size));
    return 0;
  }
  return size;
}

void TraceWriter::count_lines(const char* data, size_t n) {
  if (binary_) {
    // Records, as the reader numbers them (the header is record 1).
    namespace bin = refscope::binary;
    const auto* q = reinterpret_cast<const unsigned char*>(data);
    const unsigned char* const end = q + n;
    if (n >= bin::kHeaderSize && bin::has_magic(data, n)) {
      q += bin::kHeaderSize;
      ++lines_out_;
    }
    while (q < end) {
      unsigned numbers = 0, texts = 0;
      if (!bin::shape(*q++, numbers, texts)) return;
      for (unsigned i = 0; i < numbers + texts; ++i) {
        uint64_t v = 0;
        size_t k = bin::get_varint(q, end, v);
        if (k == 0 || k > bin::kMaxVarint) return;
        q += k;
        if (i >= numbers) q += v;
      }
      ++lines_out_;
    }
    return;
  }
  const char* end = data + n;
  while ((data = static_cast<const char*>(std::memchr(data, '\n', static_cast<size_t>(end - data)))) != nullptr) {
    ++lines_out_;
    ++data;
  }
}

bool TraceWriter::write_buffer(const char* data, size_t n) {
  if (n == 0) return true;
  if (max_bytes_ != 0) {
    uint64_t out = bytes_out_.load();
    uint64_t room = max_bytes_ > out + kEndReserve ? max_bytes_ - out - kEndReserve : 0;
    return write_capped(data, n, room);
  }
  if (zstd_ == nullptr) return write_all(data, n);
  size_t size = compress(data, n);
  return size != 0 && write_all(zout_.data(), size);
}

// Under a cap: the whole buffer if it fits in `room`, else as many whole lines as fit, then `E cap`. Compressed,
// the largest prefix that fits is found by bisection (at most once per trace: the writer stops after it).
bool TraceWriter::write_capped(const char* data, size_t n, uint64_t room) {
  size_t keep = 0;
  if (zstd_ == nullptr) {
    keep = n <= room ? n : binary_ ? whole_records(data, static_cast<size_t>(room)) : whole_lines(data, static_cast<size_t>(room));
    if (keep != 0 && !write_all(data, keep)) return false;
  } else {
    size_t size = compress(data, n);
    if (size == 0) return false;
    if (size <= room) {
      keep = n;
    } else {
      size_t lo = 0, hi = n;  // a prefix of lo bytes fits (0 does), one of hi does not
      for (int i = 0; i < 24 && hi - lo > 256; ++i) {
        size_t mid = binary_ ? whole_records(data, lo + (hi - lo) / 2) : whole_lines(data, lo + (hi - lo) / 2);
        if (mid <= lo) break;
        size_t s = compress(data, mid);
        if (s == 0) return false;
        if (s <= room) lo = mid;
        else hi = mid;
      }
      keep = lo;
      size = keep == 0 ? 0 : compress(data, keep);
    }
    if (keep != 0 && (size == 0 || !write_all(zout_.data(), size))) return false;
  }
  count_lines(data, keep);
  if (keep == n) return true;
  std::string end = "E cap " + std::to_string(max_bytes_) + " bytes\n";
  if (binary_) {
    std::string record;
    encode_lines(end, record);
    end = record;
  }
  if (zstd_ == nullptr) {
    if (!write_all(end.data(), end.size())) return false;
  } else {
    size_t size = compress(end.data(), end.size());
    if (size == 0 || !write_all(zout_.data(), size)) return false;
  }
  capped_ = true;
  fail("the trace reached its size cap of " + std::to_string(max_bytes_) + " bytes: cut after " +
       (binary_ ? "record " : "line ") + std::to_string(lines_out_));
  return false;
}

void TraceWriter::worker() {
  for (;;) {
    Buffer buf;
    bool last = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return !full_.empty() || closing_; });
      if (full_.empty()) last = true;
      else {
        buf = std::move(full_.front());
        full_.pop_front();
      }
    }
    if (last) {
      return;  // every buffer was a complete frame: nothing to end
    }
    if (!stopped()) write_buffer(buf.data.get(), buf.len);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      spare_.push_back(std::move(buf));
      --in_flight_;
    }
    cv_.notify_all();
  }
}

}  // namespace refscope::recorder
