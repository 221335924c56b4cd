// Writes format-1 trace records fast enough for 100M-record traces.
//
// One big buffer, flushed with write(2); numbers formatted by hand (hex addresses without "0x", lowercase, decimal
// everything else). iostream per field costs several times more than the whole generation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace refscope_bench {

class TraceWriter {
 public:
  // fd: where to write (not closed). name: used in error messages.
  TraceWriter(int fd, std::string_view name, std::size_t buffer_bytes = std::size_t{4} << 20);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // A line as it is (without its "\n"); for the header, metadata, type and stack records. Not counted as a record
  // until counting starts.
  void line(std::string_view text);

  void alloc(uint64_t addr, uint64_t size, uint32_t type, uint32_t site) {
    char* p = reserve(80);
    *p++ = 'A';
    *p++ = ' ';
    p = put_hex(p, addr);
    *p++ = ' ';
    p = put_dec(p, size);
    *p++ = ' ';
    p = put_dec(p, type);
    if (site != 0) {
      *p++ = ' ';
      p = put_dec(p, site);
    }
    finish(p);
  }
  void incref(uint64_t addr) { one_addr('I', addr); }
  void incref(uint64_t addr, uint64_t owner) { two_addr('I', addr, owner); }
  void decref(uint64_t addr) { one_addr('D', addr); }
  void decref(uint64_t addr, uint64_t owner) { two_addr('D', addr, owner); }
  void free(uint64_t addr) { one_addr('F', addr); }
  void refcount(uint64_t addr, uint64_t count) {
    char* p = reserve(48);
    *p++ = 'R';
    *p++ = ' ';
    p = put_hex(p, addr);
    *p++ = ' ';
    p = put_dec(p, count);
    finish(p);
  }
  void refcount_immortal(uint64_t addr);
  void marker(std::string_view label);
  void marker(std::string_view prefix, uint64_t n);
  void gc_start(unsigned generation);
  void gc_end(uint64_t collected, uint64_t uncollectable);

  // Records written since the last start_counting() (or since construction).
  uint64_t records() const { return records_; }
  void start_counting() { records_ = 0; }
  uint64_t bytes() const { return flushed_ + static_cast<uint64_t>(pos_ - buffer_.data()); }
  void flush();

 private:
  static char* put_hex(char* p, uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    int bits = 64 - __builtin_clzll(v | 1);
    char* end = p + (bits + 3) / 4;
    for (char* q = end; q > p; v >>= 4) *--q = kDigits[v & 15];
    return end;
  }
  static char* put_dec(char* p, uint64_t v) {
    char tmp[20];
    char* t = tmp + sizeof tmp;
    do {
      *--t = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (t < tmp + sizeof tmp) *p++ = *t++;
    return p;
  }
  char* reserve(std::size_t n) {
    if (static_cast<std::size_t>(end_ - pos_) < n) flush();
    return pos_;
  }
  void finish(char* p) {
    *p++ = '\n';
    pos_ = p;
    ++records_;
  }
  void one_addr(char kind, uint64_t addr) {
    char* p = reserve(24);
    *p++ = kind;
    *p++ = ' ';
    p = put_hex(p, addr);
    finish(p);
  }
  void two_addr(char kind, uint64_t addr, uint64_t owner) {
    char* p = reserve(40);
    *p++ = kind;
    *p++ = ' ';
    p = put_hex(p, addr);
    *p++ = ' ';
    p = put_hex(p, owner);
    finish(p);
  }

  int fd_;
  std::string name_;
  std::vector<char> buffer_;
  char* pos_;
  char* end_;
  uint64_t records_ = 0;
  uint64_t flushed_ = 0;
};

}  // namespace refscope_bench
