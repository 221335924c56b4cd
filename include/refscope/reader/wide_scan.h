#pragma once
// Wide operations for the reader's fast path: a record line is found and split into fields from bit masks over 32
// bytes at a time, and a hexadecimal address is decoded from one 16-byte load, without a loop per character.
//
//   "I 7f3a00001230 7f3a00004560\n"   newline mask  ...0000 1 000000000000 0 000000000000 0 0   (bit 27)
//                                     blank mask    ...0000 0 000000000000 1 000000000000 1 0
//   fields: the runs of non-blanks before the newline; field k starts at the k-th bit of  nonblank & ~(nonblank << 1)
//   and ends at the k-th bit of  nonblank & ~(nonblank >> 1).
//
// SSE2 is part of every x86-64, so no dispatch is needed; elsewhere a plain loop computes the same masks. Every
// function reads whole 16- or 32-byte blocks: the caller keeps kSlackBefore bytes readable before and kSlackAfter
// after whatever it passes (the reader pads its buffer at both ends).
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace refscope::wide {

inline constexpr size_t kSlackBefore = 16;  // hex16 reads up to 15 bytes before a field that starts a line
inline constexpr size_t kSlackAfter = 32;   // masks32 reads 32 bytes from where it starts

struct Masks32 {
  uint32_t newline = 0;  // bit i: p[i] == '\n'
  uint32_t blank = 0;    // bit i: p[i] is a space or a tab
};

inline Masks32 masks32(const char* p) {
#if defined(__SSE2__)
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  const __m128i nl = _mm_set1_epi8('\n'), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  auto mask = [](__m128i x) { return static_cast<uint32_t>(_mm_movemask_epi8(x)); };
  Masks32 m;
  m.newline = mask(_mm_cmpeq_epi8(a, nl)) | mask(_mm_cmpeq_epi8(b, nl)) << 16;
  m.blank = mask(_mm_or_si128(_mm_cmpeq_epi8(a, sp), _mm_cmpeq_epi8(a, tab))) |
            mask(_mm_or_si128(_mm_cmpeq_epi8(b, sp), _mm_cmpeq_epi8(b, tab))) << 16;
  return m;
#else
  Masks32 m;
  for (unsigned i = 0; i < 32; ++i) {
    m.newline |= static_cast<uint32_t>(p[i] == '\n') << i;
    m.blank |= static_cast<uint32_t>(p[i] == ' ' || p[i] == '\t') << i;
  }
  return m;
#endif
}

namespace detail {
// 16 zero bytes, then 16 of 0xff: the 16 bytes at kKeep + n are 16 - n zeros, then n of 0xff.
alignas(64) inline constexpr unsigned char kKeep[32] = {0,    0,    0,    0,    0,    0,    0,    0,
                                                        0,    0,    0,    0,    0,    0,    0,    0,
                                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
}  // namespace detail

// The value of the n hexadecimal digits (either case) that end just before `end`, 1 <= n <= 16; false when one of
// them is not a hexadecimal digit. Reads the 16 bytes before `end`.
//
// The 16 bytes become 16 nibbles (those before the field zeroed), each pair of bytes one byte (first << 4 | second),
// packed into 8 bytes whose first is the most significant: a byte swap makes them the value.
[[gnu::always_inline]] inline bool hex16(const char* end, unsigned n, uint64_t& out) {
#if defined(__SSE2__)
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  // x < k unsigned, as a signed comparison of both sides shifted by 128.
  auto below = [&](__m128i x, int k) {
    return _mm_cmplt_epi8(_mm_xor_si128(x, bias), _mm_set1_epi8(static_cast<char>(k - 128)));
  };
  const __m128i digit = _mm_sub_epi8(c, _mm_set1_epi8('0'));
  const __m128i letter = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  const __m128i is_digit = below(digit, 10);
  const __m128i is_letter = below(letter, 6);
  const uint32_t ok = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)));
  const uint32_t want = (0xFFFFu << (16 - n)) & 0xFFFFu;
  if ((ok & want) != want) return false;
  __m128i v = _mm_or_si128(_mm_and_si128(is_digit, digit),
                           _mm_andnot_si128(is_digit, _mm_add_epi8(letter, _mm_set1_epi8(10))));
  v = _mm_and_si128(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(detail::kKeep + n)));
  const __m128i pairs = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(v, 4), _mm_srli_epi16(v, 8)), _mm_set1_epi16(0xFF));
  out = __builtin_bswap64(static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_packus_epi16(pairs, pairs))));
  return true;
#else
  uint64_t v = 0;
  for (const char* p = end - n; p < end; ++p) {
    unsigned c = static_cast<unsigned char>(*p), d;
    if (c - '0' < 10) d = c - '0';
    else if ((c | 0x20) - 'a' < 6) d = (c | 0x20) - 'a' + 10;
    else return false;
    v = v << 4 | d;
  }
  out = v;
  return true;
#endif
}

}  // namespace refscope::wide
