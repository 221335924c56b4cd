#include "refscope/reader/trace_reader.h"

#include <cstring>

#include "refscope/reader/binary_format.h"
#include "refscope/reader/wide_scan.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"

namespace refscope {
namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr size_t kMaxLine = 64u << 20;  // longer than any sane record; guards memory against garbage input
constexpr uint64_t kMaxSize = 1ull << 48;
constexpr uint64_t kMaxRefcount = (1ull << 63) - 1;

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Walks the fields of one line. Every parse_* names the field it expects, so a message can say what was wrong.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  void skip_blanks() {
    while (p_ < end_ && is_blank(*p_)) ++p_;
  }
  bool at_end() {
    skip_blanks();
    return p_ == end_;
  }
  std::string_view field() {
    skip_blanks();
    const char* start = p_;
    while (p_ < end_ && !is_blank(*p_)) ++p_;
    return {start, static_cast<size_t>(p_ - start)};
  }
  // The rest of the line: starts after the separator, ends before trailing blanks.
  std::string_view rest() {
    skip_blanks();
    const char* e = end_;
    while (e > p_ && is_blank(e[-1])) --e;
    std::string_view out(p_, static_cast<size_t>(e - p_));
    p_ = end_;
    return out;
  }

 private:
  const char* p_;
  const char* end_;
};

enum class NumError { None, Empty, NotNumber, TooBig };

NumError parse_hex(std::string_view s, uint64_t& out) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty()) return NumError::NotNumber;
  uint64_t v = 0;
  size_t digits = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return NumError::NotNumber;
    if (v != 0 || d != 0) ++digits;
    if (digits > 16) return NumError::TooBig;
    v = (v << 4) | d;
  }
  out = v;
  return NumError::None;
}

NumError parse_dec(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return NumError::NotNumber;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return NumError::NotNumber;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (d > max || v > (max - d) / 10) return NumError::TooBig;  // d > max: `max - d` would wrap
    v = v * 10 + d;
  }
  out = v;
  return NumError::None;
}

std::string quoted(std::string_view s) {
  constexpr size_t kShown = 40;
  std::string out = "'";
  out.append(s.substr(0, kShown));
  if (s.size() > kShown) out += "...";
  return out + "'";
}

const char* record_name(char c) {
  switch (c) {
    case 'A': return "A (alloc)";
    case 'I': return "I (incref)";
    case 'D': return "D (decref)";
    case 'F': return "F (free)";
    case 'R': return "R (refcount)";
    case 'T': return "T (type)";
    case 'S': return "S (stack node)";
    case 'G': return "G (collection start)";
    case 'g': return "g (collection end)";
    case 'N': return "N (named root)";
    case 'P': return "P (reference held by a named root)";
    case 'U': return "U (reference released by a named root)";
    case 'E': return "E (end of the recording)";
    case 'Z': return "Z (size)";
    case 'L': return "L (label)";
    case 'K': return "K (object name)";
    default: return "record";
  }
}

// The fields of one short line after its record letter, from the line's non-blank mask: each call takes the next.
class MaskedFields {
 public:
  // `nonblank` has bit 0 set (the record letter) and bit 1 clear (the blank after it).
  MaskedFields(const char* p, uint32_t nonblank)
      : p_(p), starts_(nonblank & ~(nonblank << 1) & ~1u), ends_(nonblank & ~(nonblank >> 1) & ~1u) {}
  bool more() const { return starts_ != 0; }
  // An address: up to 16 hexadecimal digits, or "0x" and up to 16 (rare: tried only when the digits alone fail).
  [[gnu::always_inline]] bool hex(uint64_t& out) {
    if (!take()) return false;
    unsigned n = last_ - first_ + 1;
    if (n <= 16 && wide::hex16(p_ + last_ + 1, n, out)) [[likely]]
      return out != 0;
    return n > 2 && n <= 18 && p_[first_] == '0' && (p_[first_ + 1] | 0x20) == 'x' &&
           wide::hex16(p_ + last_ + 1, n - 2, out) && out != 0;
  }
  [[gnu::always_inline]] bool dec(uint64_t& out, uint64_t max) {
    if (!take() || last_ - first_ >= 15) return false;
    uint64_t v = 0;
    for (unsigned i = first_; i <= last_; ++i) {
      unsigned d = static_cast<unsigned>(p_[i] - '0');
      if (d >= 10) return false;
      v = v * 10 + d;
    }
    out = v;
    return v <= max;
  }
  // The field is exactly `word` (of 8 characters).
  [[gnu::always_inline]] bool word8(const char* word) {
    if (!take() || last_ - first_ != 7) return false;
    return std::memcmp(p_ + first_, word, 8) == 0;
  }

 private:
  [[gnu::always_inline]] bool take() {
    if (starts_ == 0) return false;
    first_ = static_cast<unsigned>(__builtin_ctz(starts_));  // not countr_zero: both are non-zero here, and
    last_ = static_cast<unsigned>(__builtin_ctz(ends_));     // without BMI countr_zero must also handle 0
    starts_ &= starts_ - 1;
    ends_ &= ends_ - 1;
    return true;
  }
  const char* p_;
  uint32_t starts_, ends_;
  unsigned first_ = 0, last_ = 0;
};

// The fast path for the records that make up nearly all of a trace (A, I, D, F, R), for a line of fewer than 32
// bytes (`len`, its end not included) whose blanks are `blanks`: its fields come from the mask, addresses from
// wide::hex16. Anything unusual (a long line, a CR before the line end, leading zeros past 16 digits, address 0, an
// undefined id, a stray field) returns false, and the general parser takes the line again, to accept it or to say
// exactly what is wrong. Sets every field of `r` its kind uses, but not its line.
[[gnu::always_inline]] inline bool decode_fast(const char* p, unsigned len, uint32_t blanks, const SymbolTable& symbols,
                                               HeapRecord& r) {
  const uint32_t nonblank = ~blanks & ((1u << len) - 1);  // len < 32
  if ((nonblank & 3) != 1) return false;                 // the record letter, then a blank
  MaskedFields f(p, nonblank);
  switch (p[0]) {
    case 'I':
    case 'D': {
      uint64_t owner = 0;
      if (!f.hex(r.addr)) return false;
      if (f.more() && (!f.hex(owner) || f.more())) return false;
      r.value = owner;
      r.a = 0;  // I: no label
      r.kind = p[0] == 'I' ? RecordKind::Incref : RecordKind::Decref;
      return true;
    }
    case 'A': {
      uint64_t type = 0, site = 0;
      if (!f.hex(r.addr) || !f.dec(r.value, kMaxSize) || !f.dec(type, UINT32_MAX)) return false;
      if (f.more() && (!f.dec(site, UINT32_MAX) || f.more())) return false;
      uint32_t t = symbols.find_type(static_cast<uint32_t>(type));
      uint32_t s = symbols.find_stack(static_cast<uint32_t>(site));
      if (t == SymbolTable::kMissing || s == SymbolTable::kMissing) return false;
      r.a = t;
      r.b = s;
      r.kind = RecordKind::Alloc;
      return true;
    }
    case 'F':
      if (!f.hex(r.addr) || f.more()) return false;
      r.kind = RecordKind::Free;
      return true;
    case 'R': {
      if (!f.hex(r.addr) || !f.more()) return false;
      MaskedFields count = f;
      if (count.dec(r.value, kMaxRefcount) && !count.more()) {
        r.immortal = false;
      } else if (f.word8("immortal") && !f.more()) {
        r.immortal = true;
        r.value = 0;
      } else {
        return false;
      }
      r.kind = RecordKind::Refcount;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

// Field-level helpers as members of a small parser bound to one line, so each can throw with the line's text.
struct LineParser {
  const TraceReader& reader;
  std::string_view line;
  Cursor cur;
  char record;

  [[noreturn]] void fail(const std::string& message) { reader.fail(message, line); }

  std::string_view required(const char* what) {
    std::string_view f = cur.field();
    if (f.empty())
      fail(std::string("missing field ") + what + " in " + record_name(record) + " record");
    return f;
  }
  uint64_t address(const char* what) {
    std::string_view f = required(what);
    uint64_t v = 0;
    switch (parse_hex(f, v)) {
      case NumError::None: break;
      case NumError::TooBig: fail(std::string(what) + " " + quoted(f) + " is longer than 64 bits");
      default: fail(std::string(what) + " " + quoted(f) + " is not a hexadecimal address");
    }
    if (v == 0) fail(std::string(what) + " is 0; addresses are never 0");
    return v;
  }
  uint64_t optional_address(const char* what) {
    if (cur.at_end()) return 0;
    return address(what);
  }
  uint64_t number(const char* what, uint64_t max, const char* limit) {
    std::string_view f = required(what);
    uint64_t v = 0;
    switch (parse_dec(f, max, v)) {
      case NumError::None: return v;
      case NumError::TooBig:
        fail(std::string(what) + " " + quoted(f) + " is out of range (at most " + limit + ")");
      default: fail(std::string(what) + " " + quoted(f) + " is not a decimal number");
    }
  }
  void end() {
    if (!cur.at_end())
      fail(std::string("extra field ") + quoted(cur.field()) + " in " + record_name(record) + " record");
  }
};

TraceReader::TraceReader(const std::string& path) : TraceReader(open_source(path), path) {}

TraceReader::TraceReader(std::unique_ptr<ByteSource> source, std::string path)
    : source_(std::move(source)), buffer_(wide::kSlackBefore + kBufferSize + wide::kSlackAfter) {
  begin_ = end_ = wide::kSlackBefore;
  info_.path = path;
  info_.name = display_name(path);
  info_.encoding = source_->encoding();
  const size_t first = fill(sizeof binary::kMagic);  // a binary trace is told by its first bytes
  if (binary::has_magic(buffer_.data() + begin_, first)) read_binary_header();
  else read_header();
}

TraceReader::~TraceReader() = default;

void TraceReader::fail(const std::string& message, std::string_view text) const {
  constexpr size_t kShown = 200;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  // A binary trace has no lines: its records are numbered as the lines of its text form would be.
  if (binary_)
    throw TraceError(info_.name, 0, fmt::format("record {} (byte {}): {}", line_, record_offset_, message), shown);
  throw TraceError(info_.name, line_, message, shown);
}

// Warnings go with the records read before them, to be given when those have been applied.
void TraceReader::warn(const std::string& message) {
  if (filling_) filling_->warnings.push_back(message);
  else log::warn("{}", message);
}

bool TraceReader::next_line(std::string_view& line) {
  for (;;) {
    if (begin_ < end_) {
      const char* start = buffer_.data() + begin_;
      const void* nl = std::memchr(start, '\n', end_ - begin_);
      if (nl) {
        size_t len = static_cast<size_t>(static_cast<const char*>(nl) - start);
        begin_ += len + 1;
        if (len > 0 && start[len - 1] == '\r') --len;
        line = {start, len};
        ++line_;
        return true;
      }
    }
    if (eof_) {
      if (begin_ < end_) {
        // A record cut short by a crash: everything before it is good, the fragment is not.
        ++line_;
        info_.truncated = true;
        warn(fmt::format("{}:{}: the trace ends without a line end (cut short?); ignoring the partial last line",
                         info_.name, line_));
        begin_ = end_;
      }
      if (source_->truncated() && !info_.truncated) {
        info_.truncated = true;
        warn(fmt::format("{}: the compressed stream ends in the middle of a frame (cut short?); read what it held",
                         info_.name));
      }
      check_end();
      return false;
    }
    // Keep the unfinished line, make room, read more. The data lives between the slack bytes at both ends of the
    // buffer (wide_scan.h).
    size_t pending = end_ - begin_;
    size_t room = buffer_.size() - wide::kSlackBefore - wide::kSlackAfter;
    if (pending == room && room >= kMaxLine) {
      ++line_;
      fail("line longer than " + std::to_string(kMaxLine >> 20) + " MiB; this is not a trace",
           std::string_view(buffer_.data() + begin_, 80));
    }
    read_more(pending + 1);
  }
}

// Moves the unread bytes to the front of the buffer (between the slack bytes at both ends, wide_scan.h), grows it
// to hold at least `capacity` bytes (doubling), and reads what the source gives into the rest.
void TraceReader::read_more(size_t capacity) {
  const size_t pending = end_ - begin_;
  const size_t room = buffer_.size() - wide::kSlackBefore - wide::kSlackAfter;
  if (capacity > room) buffer_.resize(wide::kSlackBefore + std::max(capacity, room * 2) + wide::kSlackAfter);
  if (begin_ > wide::kSlackBefore) {
    std::memmove(buffer_.data() + wide::kSlackBefore, buffer_.data() + begin_, pending);
    begin_ = wide::kSlackBefore;
    end_ = begin_ + pending;
  }
  size_t n = source_->read(buffer_.data() + end_, buffer_.size() - wide::kSlackAfter - end_);
  if (n == 0) eof_ = true;
  end_ += n;
  read_total_ += n;
}

void TraceReader::read_header() {
  std::string_view line;
  while (next_line(line)) {
    if (line.empty() || line[0] == '#' || Cursor(line).at_end()) continue;  // a line of blanks is a blank line
    Cursor cur(line);
    std::string_view magic = cur.field();
    if (magic != "refscope-trace")
      fail("not a refscope trace (the first line should be 'refscope-trace 1' or 'refscope-trace 2')", line);
    std::string_view version = cur.field();
    uint64_t v = 0;
    if (parse_dec(version, 1000000, v) != NumError::None || !cur.at_end())
      fail("malformed header; expected 'refscope-trace 1' or 'refscope-trace 2'", line);
    if (v != 1 && v != 2) fail("trace version " + std::to_string(v) + ", this refscope reads 1 and 2", line);
    info_.version = static_cast<int>(v);
    return;
  }
  throw TraceError(info_.name, 0, "not a refscope trace (empty: no 'refscope-trace 1' or 'refscope-trace 2' header)");
}

// Lines the batch may span: a record's line is kept as its distance from the batch's base line, in 32 bits. Only
// comments and blank lines could make a batch span more (records are at most kCapacity).
constexpr uint64_t kMaxSpan = uint64_t{UINT32_MAX} - RecordBatch::kCapacity;

void TraceReader::read_batch(RecordBatch& b) {
  // Records are overwritten in place, not constructed anew: decoding sets every field a record's kind uses.
  b.records.resize(RecordBatch::kCapacity);
  b.others.clear();
  b.text.clear();
  b.warnings.clear();
  b.end = false;
  b.error = nullptr;
  b.base_line = line_;
  texts_.clear();
  filling_ = &b;
  size_t n = 0;
  try {
    if (binary_) decode_binary(b, n);
    else decode(b, n);
  } catch (...) {
    b.error = std::current_exception();  // after the records before it
  }
  filling_ = nullptr;
  b.records.resize(n);
  for (const TextSpan& t : texts_) {
    Event& ev = b.others[t.event];
    ev.text = std::string_view(b.text).substr(t.at, t.size);
    ev.text2 = std::string_view(b.text).substr(t.at2, t.size2);
  }
  b.line = line_;
  b.bytes_consumed = read_total_ - (end_ - begin_);
  b.source_bytes = source_->bytes_in();
  if (b.end) b.end_info = info_;
}

// Decodes records into b.records until it is full or the trace ends (b.end); `decoded` counts them, also when a
// bad line throws. The fast loop keeps its place in locals: nearly every line is shorter than 32 bytes, and one
// mask finds its end and its fields at once. Anything else (a long line, the last bytes of the buffer, a line the
// fast path leaves to the general parser) is taken with the reader's members brought up to date.
void TraceReader::decode(RecordBatch& b, size_t& decoded) {
  HeapRecord* const out = b.records.data();
  const uint64_t base = b.base_line;
  size_t n = decoded;
  while (n < RecordBatch::kCapacity) {
    const char* const data = buffer_.data();
    const char* p = data + begin_;
    const char* const last = data + end_;  // kSlackAfter readable bytes follow it
    uint64_t line = line_;
    const size_t before = n;
    bool general = false;
    unsigned len = 0;
    while (n < RecordBatch::kCapacity && last - p >= 32) {
      const wide::Masks32 m = wide::masks32(p);
      if (m.newline == 0) break;  // a long line
      len = static_cast<unsigned>(__builtin_ctz(m.newline));
      ++line;
      HeapRecord& r = out[n];
      if (decode_fast(p, len, m.blank, symbols_, r)) [[likely]] {
        r.line = static_cast<uint32_t>(line - base);
        ++n;
        p += len + 1;
        continue;
      }
      general = true;  // a comment, a blank line, or a line the general parser must decide
      break;
    }
    if (n > before) heap_records_seen_ = true;
    begin_ = static_cast<size_t>(p - data);
    line_ = line;
    decoded = n;
    std::string_view text;
    if (general) {
      begin_ += len + 1;
      text = std::string_view(p, len);
      if (len > 0 && p[len - 1] == '\r') text.remove_suffix(1);
    } else {
      if (n == RecordBatch::kCapacity) break;
      // A long line, or fewer than 32 bytes left in the buffer: next_line finds it, refilling the buffer as needed.
      if (!next_line(text)) {
        b.end = true;
        break;
      }
      if (!text.empty() && text.size() < 32) {
        // A short one still takes the fast path, from a padded copy.
        alignas(16) char copy[wide::kSlackBefore + 32]{};
        std::memcpy(copy + wide::kSlackBefore, text.data(), text.size());
        HeapRecord& r = out[n];
        if (decode_fast(copy + wide::kSlackBefore, static_cast<unsigned>(text.size()),
                        wide::masks32(copy + wide::kSlackBefore).blank, symbols_, r)) {
          r.line = static_cast<uint32_t>(line_ - base);
          decoded = ++n;
          heap_records_seen_ = true;
          continue;
        }
      }
    }
    if (decode_line(text, b, n)) {
      decoded = n;
    } else if (line_ - base >= kMaxSpan) {
      break;  // nothing but comments and blank lines for four billion lines: the next batch takes it on
    }
  }
}

// One line through the general parser, which accepts it or throws what is wrong. Returns false for a line that
// holds no record (a comment, a blank line, or the E that ends the trace).
bool TraceReader::decode_line(std::string_view text, RecordBatch& b, size_t& n) {
  if (text.empty() || text[0] == '#') return false;
  Event ev;
  if (!parse(text, ev)) return false;
  HeapRecord& r = b.records[n++];
  if (names_object(ev.kind)) {
    r = HeapRecord::of(ev);
    r.line = static_cast<uint32_t>(line_ - b.base_line);
    return true;
  }
  r = HeapRecord{};
  r.kind = ev.kind;
  r.line = static_cast<uint32_t>(line_ - b.base_line);
  // A record that names no object: its Event, text and all, goes with the batch.
  r.a = static_cast<uint32_t>(b.others.size());
  if (!ev.text.empty() || !ev.text2.empty()) {
    TextSpan t{r.a, static_cast<uint32_t>(b.text.size()), static_cast<uint32_t>(ev.text.size()), 0,
               static_cast<uint32_t>(ev.text2.size())};
    b.text.append(ev.text);
    t.at2 = static_cast<uint32_t>(b.text.size());
    b.text.append(ev.text2);
    texts_.push_back(t);
  }
  ev.text = ev.text2 = {};
  b.others.push_back(ev);
  return true;
}

bool TraceReader::next(Event& ev) {
  if (!single_) single_ = std::make_unique<RecordBatch>();
  for (;;) {
    RecordBatch& b = *single_;
    if (single_pos_ < b.records.size()) {
      ev = b.event(b.records[single_pos_++]);
      return true;
    }
    for (const std::string& w : b.warnings) log::warn("{}", w);
    b.warnings.clear();
    if (b.error) {
      std::exception_ptr e = b.error;
      b.error = nullptr;
      single_done_ = true;
      std::rethrow_exception(e);
    }
    if (b.end || single_done_) {
      single_done_ = true;
      return false;
    }
    read_batch(b);
    single_pos_ = 0;
  }
}

bool TraceReader::parse(std::string_view line, Event& ev) {
  char record = line[0];
  if (is_blank(record)) {
    // A line of blanks is a blank line; a record indented by blanks is not a record.
    if (Cursor(line).at_end()) return false;
    fail("a record must start at the beginning of its line", line);
  }
  if (line.size() > 1 && !is_blank(line[1])) {
    fail("unknown record " + quoted(Cursor(line).field()) + "; records are one letter: @ T S A I D F R M G g, and in version 2 N P U Z L K E",
         line);
  }
  LineParser p{*this, line, Cursor(line.substr(1)), record};
  ev.line = line_;
  switch (record) {
    case 'A': {
      ev.kind = RecordKind::Alloc;
      ev.addr = p.address("ADDR");
      ev.size = p.number("SIZE", kMaxSize, "2^48");
      uint64_t type = p.number("TYPE", UINT32_MAX, "2^32-1");
      uint64_t site = p.cur.at_end() ? 0 : p.number("SITE", UINT32_MAX, "2^32-1");
      p.end();
      uint32_t t = symbols_.find_type(static_cast<uint32_t>(type));
      if (t == SymbolTable::kMissing)
        fail("type " + std::to_string(type) + " is not defined (a T record must define it first)", line);
      uint32_t s = symbols_.find_stack(static_cast<uint32_t>(site));
      if (s == SymbolTable::kMissing)
        fail("stack node " + std::to_string(site) + " is not defined (an S record must define it first)", line);
      ev.type = TypeIdx(t);
      ev.site = StackIdx(s);
      heap_records_seen_ = true;
      return true;
    }
    case 'I':
    case 'D':
      ev.kind = record == 'I' ? RecordKind::Incref : RecordKind::Decref;
      ev.addr = p.address("ADDR");
      ev.owner = p.optional_address("OWNER");
      ev.label = LabelIdx(0);
      // The LABEL field (format 2); in a version-1 trace it is an extra field.
      if (record == 'I' && ev.owner != 0 && info_.version >= 2 && !p.cur.at_end()) ev.label = label_field(p, line);
      p.end();
      heap_records_seen_ = true;
      return true;
    case 'F':
      ev.kind = RecordKind::Free;
      ev.addr = p.address("ADDR");
      p.end();
      heap_records_seen_ = true;
      return true;
    case 'R': {
      ev.kind = RecordKind::Refcount;
      ev.addr = p.address("ADDR");
      std::string_view count = p.required("COUNT");
      if (count == "immortal") {
        ev.immortal = true;
        ev.size = 0;
      } else {
        ev.immortal = false;
        uint64_t v = 0;
        switch (parse_dec(count, kMaxRefcount, v)) {
          case NumError::None: break;
          case NumError::TooBig: fail("COUNT " + quoted(count) + " is out of range (at most 2^63-1)", line);
          default: fail("COUNT " + quoted(count) + " is neither a decimal number nor 'immortal'", line);
        }
        ev.size = v;
      }
      p.end();
      heap_records_seen_ = true;
      return true;
    }
    case 'M':
      ev.kind = RecordKind::Marker;
      ev.text = p.cur.rest();
      if (ev.text.empty()) fail("missing field LABEL in M (marker) record", line);
      info_.last_marker_line = line_;
      return true;
    case 'G': {
      ev.kind = RecordKind::GcStart;
      ev.size = p.number("GENERATION", 2, "2");
      p.end();
      if (gc_open_line_ != 0)
        fail("G while the collection started on line " + std::to_string(gc_open_line_) + " is still open", line);
      gc_open_line_ = line_;
      return true;
    }
    case 'g':
      ev.kind = RecordKind::GcEnd;
      ev.size = p.number("COLLECTED", UINT32_MAX, "2^32-1");
      ev.extra = p.number("UNCOLLECTABLE", UINT32_MAX, "2^32-1");
      p.end();
      if (gc_open_line_ == 0) fail("g (collection end) with no collection open", line);
      gc_open_line_ = 0;
      return true;
    case 'N':
      need_version(2, record, line);
      parse_root(line.substr(1), ev, line);
      return true;
    case 'P':
    case 'U': {
      need_version(2, record, line);
      ev.kind = record == 'P' ? RecordKind::RootRef : RecordKind::RootUnref;
      ev.addr = p.address("ADDR");
      uint64_t root = p.number("ROOT", UINT32_MAX, "2^32-1");
      ev.label = LabelIdx(0);
      if (record == 'P' && !p.cur.at_end()) ev.label = label_field(p, line);
      p.end();
      uint32_t r = root == 0 ? SymbolTable::kMissing : symbols_.find_root(static_cast<uint32_t>(root));
      if (r == SymbolTable::kMissing)
        fail("root " + std::to_string(root) + " is not defined (an N record must define it first)", line);
      ev.root = RootIdx(r);
      ev.extra = root;  // the root's own id, for messages
      heap_records_seen_ = true;
      return true;
    }
    case 'L':
      need_version(2, record, line);
      parse_definition(line.substr(1), ev, line);
      return true;
    case 'K': {
      need_version(2, record, line);
      ev.kind = RecordKind::Name;
      ev.addr = p.address("ADDR");
      if (p.cur.at_end()) fail("missing field LABEL in K (object name) record", line);
      ev.label = label_field(p, line);
      if (ev.label.value == 0) fail("K (object name) needs a label; 0 is 'no label'", line);
      p.end();
      heap_records_seen_ = true;
      return true;
    }
    case 'Z': {
      need_version(2, record, line);
      ev.kind = RecordKind::Resize;
      ev.addr = p.address("ADDR");
      ev.size = p.number("SIZE", kMaxSize, "2^48");
      ev.unmeasured = false;
      if (!p.cur.at_end()) {
        std::string_view mark = p.cur.field();
        if (mark != "?") fail("extra field " + quoted(mark) + " in Z (size) record; only '?' may follow SIZE", line);
        ev.unmeasured = true;
      }
      p.end();
      heap_records_seen_ = true;
      return true;
    }
    case '@':
      parse_meta(line.substr(1), ev, line);
      return true;
    case 'T':
      parse_definition(line.substr(1), ev, line);
      return true;
    case 'S':
      parse_stack(line.substr(1), ev, line);
      return true;
    case 'E':
      parse_end(line.substr(1), line);
      return false;
    default:
      fail("unknown record " + quoted(std::string_view(&line[0], 1)) +
               "; records are one letter: @ T S A I D F R M G g, and in version 2 N P U Z L K E",
           line);
  }
}

void TraceReader::parse_meta(std::string_view rest, Event& ev, std::string_view line) {
  Cursor cur(rest);
  ev.kind = RecordKind::Meta;
  ev.text = cur.field();
  if (ev.text.empty()) fail("missing field KEY in @ (metadata) record", line);
  ev.text2 = cur.rest();
  if (ev.text == "refs") {
    RefsMode mode;
    if (ev.text2 == "exact") mode = RefsMode::Exact;
    else if (ev.text2 == "sampled") mode = RefsMode::Sampled;
    else fail("@ refs must be 'exact' or 'sampled', not " + quoted(ev.text2), line);
    if (heap_records_seen_)
      fail("@ refs must come before the first A, I, D, F or R record", line);
    info_.refs = mode;
  }
  if (ev.text == "recorder") info_.recorded = true;
  info_.add_metadata(ev.text, ev.text2);
}

// The LABEL field of I, P and K (format 2): a label id an L record defined, or 0 for none.
LabelIdx TraceReader::label_field(LineParser& p, std::string_view line) {
  need_version(2, p.record, line);
  uint64_t id = p.number("LABEL", UINT32_MAX, "2^32-1");
  if (id == 0) return LabelIdx(0);
  uint32_t l = symbols_.find_label(static_cast<uint32_t>(id));
  if (l == SymbolTable::kMissing)
    fail("label " + std::to_string(id) + " is not defined (an L record must define it first)", line);
  return LabelIdx(l);
}

void TraceReader::need_version(int version, char record, std::string_view line) const {
  if (info_.version >= version) return;
  fail(std::string(record_name(record)) + " records need trace format " + std::to_string(version) +
           "; the header says 'refscope-trace " + std::to_string(info_.version) + "'",
       line);
}

void TraceReader::parse_root(std::string_view rest, Event& ev, std::string_view line) {
  LineParser p{*this, line, Cursor(rest), 'N'};
  ev.kind = RecordKind::RootDef;
  uint64_t id = p.number("ID", UINT32_MAX, "2^32-1");
  if (id == 0) fail("root id 0 is reserved; roots are numbered from 1", line);
  ev.text = p.cur.rest();
  if (ev.text.empty()) fail("missing field NAME in N (named root) record", line);
  ev.root = symbols_.define_root(static_cast<uint32_t>(id));
  ev.extra = id;
}

// T and L define a name for an id, once per trace: "ID TEXT", id 0 reserved, the same id never given another text.
void TraceReader::parse_definition(std::string_view rest, Event& ev, std::string_view line) {
  const char record = line[0];
  const bool type = record == 'T';
  const char* noun = type ? "type" : "label";
  LineParser p{*this, line, Cursor(rest), record};
  uint64_t id = p.number("ID", UINT32_MAX, "2^32-1");
  if (id == 0) fail(std::string(noun) + " id 0 is reserved for " + (type ? "the unknown type" : "'no label'"), line);
  ev.text = p.cur.rest();
  if (ev.text.empty())
    fail(std::string("missing field ") + (type ? "NAME" : "TEXT") + " in " + record_name(record) + " record", line);
  const uint32_t trace_id = static_cast<uint32_t>(id);
  uint64_t previous = 0;
  bool defined = type ? symbols_.define_type(trace_id, ev.text, line_, previous)
                      : symbols_.define_label(trace_id, ev.text, line_, previous);
  if (!defined)
    fail(std::string(noun) + " " + std::to_string(id) + " redefined with another " + (type ? "name" : "text") +
             " (first defined on line " + std::to_string(previous) + ")",
         line);
  ev.id = trace_id;
  if (type) {
    ev.kind = RecordKind::Type;
    ev.type = TypeIdx(symbols_.find_type(trace_id));
  } else {
    ev.kind = RecordKind::LabelDef;
    ev.label = LabelIdx(symbols_.find_label(trace_id));
  }
}

void TraceReader::parse_stack(std::string_view rest, Event& ev, std::string_view line) {
  LineParser p{*this, line, Cursor(rest), 'S'};
  ev.kind = RecordKind::Stack;
  uint64_t id = p.number("ID", UINT32_MAX, "2^32-1");
  if (id == 0) fail("stack node id 0 is reserved for 'no caller'", line);
  uint64_t parent = p.number("PARENT", UINT32_MAX, "2^32-1");
  uint64_t src_line = p.number("LINE", UINT32_MAX, "2^32-1");
  ev.text = p.required("FUNCTION");
  ev.text2 = p.cur.rest();
  if (ev.text2.empty()) fail("missing field FILE in S (stack node) record", line);
  uint32_t parent_idx = symbols_.find_stack(static_cast<uint32_t>(parent));
  if (parent_idx == SymbolTable::kMissing || parent == id)
    fail("stack node " + std::to_string(id) + " names parent " + std::to_string(parent) +
             ", which is not defined yet",
         line);
  StackNode node{StackIdx(parent_idx), src_line, std::string(ev.text), std::string(ev.text2), 0};
  uint64_t previous = 0;
  if (!symbols_.define_stack(static_cast<uint32_t>(id), std::move(node), line_, previous))
    fail("stack node " + std::to_string(id) + " redefined differently (first defined on line " +
             std::to_string(previous) + ")",
         line);
  ev.site = StackIdx(symbols_.find_stack(static_cast<uint32_t>(id)));
  ev.id = static_cast<uint32_t>(id);
  ev.parent = StackIdx(parent_idx);
  ev.extra = src_line;
}

// `E REASON [DETAIL...]` (format 2): the recorder closed the trace here. It is the last record: the rest of the
// stream may hold comments and blank lines only, which this reads to the end at once (so the hot path of next()
// never has to ask whether the end was seen).
void TraceReader::parse_end(std::string_view rest, std::string_view line) {
  LineParser p{*this, line, Cursor(rest), 'E'};
  need_version(2, 'E', line);
  info_.end_reason = std::string(p.required("REASON"));
  info_.end_detail = std::string(p.cur.rest());
  info_.end_line = line_;
  if (info_.end_reason == "cap") {
    info_.truncated = true;
    warn(fmt::format("{}:{}: the recorder cut the trace here at its size cap{}{}; what the program did after is not in it",
                     info_.name, line_, info_.end_detail.empty() ? "" : " of ", info_.end_detail));
  }
  std::string_view next;
  while (next_line(next)) {
    if (next.empty() || next[0] == '#' || Cursor(next).at_end()) continue;
    fail("a record after E, the end of the recording on line " + std::to_string(info_.end_line), next);
  }
}

// At the end of the stream: a recorder's format-2 trace without E is one whose program ended (killed, os._exit,
// a crash) or whose writer failed before the recorder could close it. What the last checkpoint saw is in it;
// objects made after it are not, and the replay cannot tell.
void TraceReader::check_end() {
  if (end_checked_) return;
  end_checked_ = true;
  if (info_.version < 2 || !info_.recorded || info_.end_line != 0) return;
  if (info_.last_marker_line == 0) {
    warn(fmt::format("{}: the program ended without a final checkpoint, and before any: what it made is unknown",
                     info_.name));
  } else {
    warn(fmt::format("{}: the program ended without a final checkpoint (the last one is at line {}): objects made "
                     "after it are unknown",
                     info_.name, info_.last_marker_line));
  }
}

}  // namespace refscope
