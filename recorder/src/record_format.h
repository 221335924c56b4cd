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

namespace detail {
// "000102...ff" and "0001...99": two digits a lookup, so an address takes six steps instead of twelve.
struct DigitPairs {
  char hex[512];
  char dec[200];
  constexpr DigitPairs() : hex(), dec() {
    constexpr char digits[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      hex[2 * i] = digits[i >> 4];
      hex[2 * i + 1] = digits[i & 0xf];
    }
    for (int i = 0; i < 100; ++i) {
      dec[2 * i] = static_cast<char>('0' + i / 10);
      dec[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
inline constexpr DigitPairs kDigitPairs{};
}  // namespace detail

inline char* put_hex(char* p, uint64_t v) {
  int n = (64 - __builtin_clzll(v | 1) + 3) / 4;  // digits needed, written back to front
  char* end = p + n;
  char* q = end;
  while (v >= 0x100) {
    q -= 2;
    std::memcpy(q, detail::kDigitPairs.hex + 2 * (v & 0xff), 2);
    v >>= 8;
  }
  if (v >= 0x10) std::memcpy(q - 2, detail::kDigitPairs.hex + 2 * v, 2);
  else q[-1] = detail::kDigitPairs.hex[2 * v + 1];
  return end;
}

inline char* put_dec(char* p, uint64_t v) {
  // Sizes and type ids are mostly below 1000: no digit-counting loop for them.
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  if (v < 100) {
    std::memcpy(p, detail::kDigitPairs.dec + 2 * v, 2);
    return p + 2;
  }
  if (v < 1000) {
    *p = static_cast<char>('0' + v / 100);
    std::memcpy(p + 1, detail::kDigitPairs.dec + 2 * (v % 100), 2);
    return p + 3;
  }
  int n = 1;  // digits needed
  for (uint64_t t = v; t >= 10; t /= 10) ++n;
  char* end = p + n;
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, detail::kDigitPairs.dec + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) std::memcpy(q - 2, detail::kDigitPairs.dec + 2 * v, 2);
  else q[-1] = static_cast<char>('0' + v);
  return end;
}

// The lowercase hex digits of v (at least one) as 16 bytes, most significant digit first: the number's digits
// are the first `digits` bytes, the rest is filler. Computed in registers (no table, no loop), so that the same
// digits can be stored twice without reading them back from memory.
struct Hex16 {
  unsigned __int128 bytes;
  int digits;
};

inline uint64_t hex8_swar(uint32_t x) {
  uint64_t v = x;
  v = (v | (v << 16)) & 0x0000FFFF0000FFFFull;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FFull;
  v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0Full;  // nibble k in byte k
  uint64_t letters = ((v + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;  // 1 where nibble >= 10
  v += 0x3030303030303030ull + letters * ('a' - '0' - 10);
  return __builtin_bswap64(v);  // most significant digit first in memory
}

inline Hex16 hex16(uint64_t v) {
  int n = (64 - __builtin_clzll(v | 1) + 3) / 4;
  unsigned __int128 all = (static_cast<unsigned __int128>(hex8_swar(static_cast<uint32_t>(v))) << 64) |
                          hex8_swar(static_cast<uint32_t>(v >> 32));
  return Hex16{all >> (8 * (16 - n)), n};
}

// Stores all 16 bytes of h at p (the caller has room for them) and returns the end of its digits.
inline char* put_hex16(char* p, const Hex16& h) {
  std::memcpy(p, &h.bytes, 16);
  return p + h.digits;
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
