#include "trace_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace refscope_bench {

TraceWriter::TraceWriter(int fd, std::string_view name, std::size_t buffer_bytes)
    : fd_(fd), name_(name), buffer_(buffer_bytes), pos_(buffer_.data()), end_(buffer_.data() + buffer_.size()) {}

TraceWriter::~TraceWriter() {
  try {
    flush();
  } catch (...) {
    // The error was reported where it was found; nothing more to do while unwinding.
  }
}

void TraceWriter::flush() {
  const char* p = buffer_.data();
  while (p < pos_) {
    ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pos_ - p));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + name_ + ": " + std::strerror(errno));
    }
    p += n;
  }
  flushed_ += static_cast<uint64_t>(pos_ - buffer_.data());
  pos_ = buffer_.data();
}

void TraceWriter::line(std::string_view text) {
  if (text.size() + 1 > buffer_.size()) throw std::runtime_error("line longer than the output buffer");
  char* p = reserve(text.size() + 1);
  std::memcpy(p, text.data(), text.size());
  finish(p + text.size());
}

void TraceWriter::refcount_immortal(uint64_t addr) {
  char* p = reserve(40);
  *p++ = 'R';
  *p++ = ' ';
  p = put_hex(p, addr);
  std::memcpy(p, " immortal", 9);
  finish(p + 9);
}

void TraceWriter::marker(std::string_view label) {
  char* p = reserve(label.size() + 3);
  *p++ = 'M';
  *p++ = ' ';
  std::memcpy(p, label.data(), label.size());
  finish(p + label.size());
}

void TraceWriter::marker(std::string_view prefix, uint64_t n) {
  char* p = reserve(prefix.size() + 24);
  *p++ = 'M';
  *p++ = ' ';
  std::memcpy(p, prefix.data(), prefix.size());
  finish(put_dec(p + prefix.size(), n));
}

void TraceWriter::gc_start(unsigned generation) {
  char* p = reserve(8);
  *p++ = 'G';
  *p++ = ' ';
  finish(put_dec(p, generation));
}

void TraceWriter::gc_end(uint64_t collected, uint64_t uncollectable) {
  char* p = reserve(48);
  *p++ = 'g';
  *p++ = ' ';
  p = put_dec(p, collected);
  *p++ = ' ';
  finish(put_dec(p, uncollectable));
}

}  // namespace refscope_bench
