#pragma once
// The binary encoding of trace formats 1 and 2 (man refscope-trace(5), BINARY ENCODING): the same records as the
// text, a byte for the record's kind and its numbers as varints, addresses as the difference from the address
// before them. Header-only and free of the rest of refscope, so that the recorder writes it with the same code
// the reader checks it against.
//
//   header   89 52 53 42  VERSION  REVISION          "\x89RSB", the trace format (1 or 2), this encoding (1)
//   record   KIND  FIELDS...                          one byte, then the kind's fields in the order of the text
//
// Numbers are unsigned LEB128 (7 bits a byte, least significant first, at most 10 bytes). An address field is
// zigzag(ADDR - previous address field), modulo 2^64: every ADDR and OWNER of the trace, in order, is coded
// against the one before it (the first against 0). A text field is its length as a number, then its bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace refscope::binary {

inline constexpr unsigned char kMagic[4] = {0x89, 'R', 'S', 'B'};
inline constexpr size_t kHeaderSize = 6;  // magic, format version, encoding revision
inline constexpr unsigned kRevision = 1;
inline constexpr size_t kMaxVarint = 10;
inline constexpr uint64_t kMaxText = 64u << 20;   // bytes in one text field
inline constexpr uint64_t kMaxSkip = 1u << 30;    // lines in one skip record

// The kind byte. Variants of one text record (with or without OWNER, LABEL, `immortal`, `?`) have kinds of their
// own, so that no record carries a flag byte.
enum Kind : unsigned char {
  kAlloc = 0x01,         // A  ADDR SIZE TYPE SITE
  kIncref = 0x02,        // I  ADDR                    (held from outside the traced heap)
  kIncrefOwner = 0x03,   // I  ADDR OWNER
  kIncrefLabel = 0x04,   // I  ADDR OWNER LABEL        (version 2)
  kDecref = 0x05,        // D  ADDR
  kDecrefOwner = 0x06,   // D  ADDR OWNER
  kFree = 0x07,          // F  ADDR
  kRefcount = 0x08,      // R  ADDR COUNT
  kImmortal = 0x09,      // R  ADDR immortal
  kRootRef = 0x0a,       // P  ADDR ROOT               (version 2)
  kRootRefLabel = 0x0b,  // P  ADDR ROOT LABEL         (version 2)
  kRootUnref = 0x0c,     // U  ADDR ROOT               (version 2)
  kResize = 0x0d,        // Z  ADDR SIZE               (version 2)
  kResizeUnmeasured = 0x0e,  // Z ADDR SIZE ?          (version 2)
  kName = 0x0f,          // K  ADDR LABEL              (version 2)
  kGcStart = 0x10,       // G  GENERATION
  kGcEnd = 0x11,         // g  COLLECTED UNCOLLECTABLE
  kMeta = 0x20,          // @  "KEY" "VALUE"
  kType = 0x21,          // T  ID "NAME"
  kStack = 0x22,         // S  ID PARENT LINE "FUNCTION" "FILE"
  kMarker = 0x23,        // M  "LABEL"
  kRootDef = 0x24,       // N  ID "NAME"               (version 2)
  kLabelDef = 0x25,      // L  ID "TEXT"               (version 2)
  kEnd = 0x26,           // E  "REASON" "DETAIL"       (version 2)
  kSkip = 0x30,          // COUNT: lines of the text form that hold no record (comments, blank lines)
};

// The longest record without a text field: a kind byte and four numbers.
inline constexpr size_t kMaxFixedRecord = 1 + 4 * kMaxVarint;

// How many numbers (addresses included) and then texts a record of `kind` has; false for a byte that is no kind.
inline bool shape(unsigned char kind, unsigned& numbers, unsigned& texts) {
  texts = 0;
  switch (kind) {
    case kIncref: case kDecref: case kFree: case kImmortal: case kGcStart: case kSkip: numbers = 1; return true;
    case kIncrefOwner: case kDecrefOwner: case kRefcount: case kRootRef: case kRootUnref: case kResize:
    case kResizeUnmeasured: case kName: case kGcEnd: numbers = 2; return true;
    case kIncrefLabel: case kRootRefLabel: numbers = 3; return true;
    case kAlloc: numbers = 4; return true;
    case kMeta: case kEnd: numbers = 0; texts = 2; return true;
    case kType: case kRootDef: case kLabelDef: numbers = 1; texts = 1; return true;
    case kStack: numbers = 3; texts = 2; return true;
    case kMarker: numbers = 0; texts = 1; return true;
    default: return false;
  }
}

inline uint64_t zigzag(uint64_t delta) { return (delta << 1) ^ (0 - (delta >> 63)); }
inline uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

// Writes v at p (room for kMaxVarint bytes) and returns the end.
inline unsigned char* put_varint(unsigned char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return p;
}

// Codes ADDR against the previous address field, which it becomes.
inline unsigned char* put_address(unsigned char* p, uint64_t addr, uint64_t& previous) {
  p = put_varint(p, zigzag(addr - previous));
  previous = addr;
  return p;
}

inline unsigned char* put_text(unsigned char* p, std::string_view s) {
  p = put_varint(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Reads a number from [p, end). Returns the bytes it took; 0 when the data ends inside it (`end` reached with the
// continuation bit set); kMaxVarint + 1 when it is malformed (more than 10 bytes, or more than 64 bits).
inline size_t get_varint(const unsigned char* p, const unsigned char* end, uint64_t& out) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMaxVarint; ++i) {
    if (p + i >= end) return 0;
    const uint64_t byte = p[i];
    if (i == kMaxVarint - 1 && byte > 1) return kMaxVarint + 1;
    v |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      out = v;
      return i + 1;
    }
  }
  return kMaxVarint + 1;
}

inline bool has_magic(const char* p, size_t n) {
  return n >= sizeof kMagic && std::memcmp(p, kMagic, sizeof kMagic) == 0;
}

}  // namespace refscope::binary
