// The reader's wide operations against plain loops: every length of hexadecimal field, both cases, every kind of
// non-digit in every position, and masks that match byte by byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "refscope/reader/wide_scan.h"

namespace refscope {
namespace {

// The n digits of `digits` placed so that they end at buf + 32, with other bytes before them.
struct Field {
  char buf[64];
  explicit Field(const std::string& digits, char filler = 'x') {
    std::fill(std::begin(buf), std::end(buf), filler);
    std::copy(digits.begin(), digits.end(), buf + 32 - digits.size());
  }
  const char* end() const { return buf + 32; }
};

bool reference_hex(const std::string& s, uint64_t& out) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

TEST(WideScan, Hex16DecodesEveryLengthAndBothCases) {
  std::mt19937_64 rng(7);
  for (unsigned n = 1; n <= 16; ++n) {
    for (int trial = 0; trial < 200; ++trial) {
      std::string digits;
      for (unsigned i = 0; i < n; ++i) digits += "0123456789abcdefABCDEF"[rng() % 22];
      uint64_t want = 0, got = 0;
      ASSERT_TRUE(reference_hex(digits, want));
      // Whatever stands before the field must not matter: digits, letters, blanks.
      for (char filler : {'x', 'f', '9', ' ', '\0'}) {
        Field f(digits, filler);
        ASSERT_TRUE(wide::hex16(f.end(), n, got)) << digits;
        EXPECT_EQ(got, want) << digits << " filler '" << filler << "'";
      }
    }
  }
}

TEST(WideScan, Hex16ExtremeValues) {
  uint64_t v = 0;
  ASSERT_TRUE(wide::hex16(Field("ffffffffffffffff").end(), 16, v));
  EXPECT_EQ(v, UINT64_MAX);
  ASSERT_TRUE(wide::hex16(Field("8000000000000000").end(), 16, v));
  EXPECT_EQ(v, 1ull << 63);
  ASSERT_TRUE(wide::hex16(Field("0").end(), 1, v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(wide::hex16(Field("0000000000000001").end(), 16, v));
  EXPECT_EQ(v, 1u);
}

TEST(WideScan, Hex16RejectsEveryNonDigitInEveryPosition) {
  const std::string bad = "gGzZ/:@`xX -\t\n\x80\xff";
  for (unsigned n = 1; n <= 16; ++n) {
    for (unsigned pos = 0; pos < n; ++pos) {
      for (char c : bad) {
        std::string digits(n, '7');
        digits[pos] = c;
        uint64_t v = 0;
        EXPECT_FALSE(wide::hex16(Field(digits).end(), n, v)) << "n=" << n << " pos=" << pos << " char " << int(c);
      }
    }
  }
}

TEST(WideScan, Masks32MatchesEachByte) {
  std::mt19937_64 rng(9);
  const char alphabet[] = "ab \t\n\r0x#";
  for (int trial = 0; trial < 1000; ++trial) {
    char buf[32];
    for (char& c : buf) c = alphabet[rng() % (sizeof alphabet - 1)];
    wide::Masks32 m = wide::masks32(buf);
    for (unsigned i = 0; i < 32; ++i) {
      EXPECT_EQ((m.newline >> i) & 1, buf[i] == '\n' ? 1u : 0u);
      EXPECT_EQ((m.blank >> i) & 1, buf[i] == ' ' || buf[i] == '\t' ? 1u : 0u);
    }
  }
}

}  // namespace
}  // namespace refscope
