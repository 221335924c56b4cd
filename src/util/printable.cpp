#include "refscope/util/printable.h"

#include <cstdint>

namespace refscope {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void escape_byte(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// The length of the valid UTF-8 sequence at the start of `s` (2 to 4), or 0 when it is not one.
size_t utf8_sequence(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xc0) == 0x80; };
  unsigned char c = byte(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && byte(1) >= 0xa0) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && byte(1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && byte(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string printable(std::string_view text) {
  bool plain = true;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  if (plain) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {  // C0 controls and DEL
      escape_byte(out, c);
      ++i;
      continue;
    }
    size_t n = utf8_sequence(text.substr(i));
    if (n == 0) {
      escape_byte(out, c);
      ++i;
      continue;
    }
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {  // C1 controls
      out += "\\u00";
      unsigned char cp = static_cast<unsigned char>(text[i + 1]);
      out += kHex[cp >> 4];
      out += kHex[cp & 15];
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace refscope
