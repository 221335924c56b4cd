#pragma once
// Formatting of trace records (TRACE-FORMAT.md, version 1) straight into the writer's buffer.
//
// The allocator hooks format a record for every object freed, so these are hand-written: no locale, no
// snprintf, no allocation. Addresses go out as lowercase hex without `0x` (the format allows both): two bytes
// a record saved, which is most of what zstd is left with.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace refscope::recorder {

inline char* put_hex(char* p, uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  int n = (64 - __builtin_clzll(v | 1) + 3) / 4;  // digits needed, written back to front
  for (int i = n - 1; i >= 0; --i) {
    p[i] = digits[v & 0xf];
    v >>= 4;
  }
  return p + n;
}

inline char* put_dec(char* p, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *p++ = tmp[--n];
  return p;
}

inline char* put_char(char* p, char c) {
  *p = c;
  return p + 1;
}

inline char* put_text(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// The longest record the hooks write in one piece: "A " + 16 hex + 3 x (" " + 20 digits) + "\n" + "F " + 16 + "\n".
inline constexpr size_t kMaxFixedRecord = 128;

}  // namespace refscope::recorder
