// The binary encoding's half of TraceReader (include/refscope/reader/binary_format.h, man refscope-trace(5)):
// records decoded straight into the batch, the text reader's rules applied to them.
//
// The fast loop takes the records that name an object (A I D F R P U Z K), checks them as the text reader's fast
// path does, and keeps its place in locals while at least kMaxFixedRecord bytes are buffered, so that no number
// needs a bounds check. Everything else goes one record at a time through decode_one: declarations and markers
// carry text, and the general text parser checks them, given the record as the line it stands for (no record of
// that kind is frequent); a heap record the fast loop refused (an undefined id, a number out of range, address 0,
// a field the trace's version does not have) goes the same way, so its error is the text reader's own; and so do
// the few records at the end of the buffer. A record's "line" is its number: the header is record 1, and a skip
// record counts the lines of the text form that held no record, so a trace and its conversion give the same
// lines everywhere.
#include <algorithm>
#include <cstring>

#include "refscope/reader/binary_format.h"
#include "refscope/reader/trace_reader.h"
#include "refscope/reader/wide_scan.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"

namespace refscope {
namespace {

constexpr uint64_t kMaxSize = 1ull << 48;
constexpr uint64_t kMaxRefcount = (1ull << 63) - 1;
// A batch's records keep their line as the distance from its first, in 32 bits: a batch ends once skip records
// took it this far (a skip is at most binary::kMaxSkip lines).
constexpr uint64_t kMaxBatchSpan = uint64_t{1} << 31;

// A number where at least kMaxVarint bytes are readable.
[[gnu::always_inline]] inline bool fast_num(const unsigned char*& q, uint64_t& v) {
  if (*q < 0x80) [[likely]] {
    v = *q++;
    return true;
  }
  size_t k = binary::get_varint(q, q + binary::kMaxVarint, v);
  if (k > binary::kMaxVarint) return false;
  q += k;
  return true;
}

[[gnu::always_inline]] inline bool fast_address(const unsigned char*& q, uint64_t& previous, uint64_t& out) {
  uint64_t z;
  if (!fast_num(q, z)) return false;
  out = previous + binary::unzigzag(z);
  previous = out;
  return out != 0;
}

// The fields of one record, read with bounds checks: `cut` when the data ends inside it, `malformed` for a number
// of more than 64 bits, `too_long` for a text past binary::kMaxText. After either, reads give 0 and "".
struct Fields {
  const unsigned char* begin;
  const unsigned char* p;
  const unsigned char* end;
  bool cut = false, malformed = false, too_long = false;
  uint64_t text_length = 0;

  bool ok() const { return !cut && !malformed && !too_long; }
  uint64_t num() {
    if (!ok()) return 0;
    uint64_t v = 0;
    size_t k = binary::get_varint(p, end, v);
    if (k == 0) cut = true;
    else if (k > binary::kMaxVarint) malformed = true;
    else p += k;
    return ok() ? v : 0;
  }
  uint64_t address(uint64_t& previous) {
    uint64_t z = num();
    if (!ok()) return 0;
    previous += binary::unzigzag(z);
    return previous;
  }
  std::string_view text() {
    uint64_t n = num();
    if (!ok()) return {};
    if (n > binary::kMaxText) {
      too_long = true;
      text_length = n;
      return {};
    }
    if (static_cast<uint64_t>(end - p) < n) {
      cut = true;
      text_length = n;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    p += n;
    return s;
  }
  size_t taken() const { return static_cast<size_t>(p - begin); }
};

bool holds_line_end(std::string_view s) { return s.find('\n') != std::string_view::npos; }
bool is_word(std::string_view s) { return !s.empty() && s.find_first_of(" \t\n") == std::string_view::npos; }

}  // namespace

// Makes at least `need` bytes available from begin_ unless the data ends first; returns how many are.
size_t TraceReader::fill(size_t need) {
  while (end_ - begin_ < need && !eof_) read_more(need);
  return end_ - begin_;
}

void TraceReader::read_binary_header() {
  binary_ = true;
  const size_t avail = fill(binary::kHeaderSize);
  if (avail < binary::kHeaderSize)
    throw TraceError(info_.name, 0, "the binary trace's header is cut short (" + std::to_string(avail) + " of " +
                                        std::to_string(binary::kHeaderSize) + " bytes)");
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
  const unsigned version = p[4], revision = p[5];
  if (version != 1 && version != 2)
    throw TraceError(info_.name, 0, "trace version " + std::to_string(version) + ", this refscope reads 1 and 2");
  if (revision != binary::kRevision)
    throw TraceError(info_.name, 0, "binary encoding revision " + std::to_string(revision) +
                                        ", this refscope reads revision " + std::to_string(binary::kRevision));
  info_.version = static_cast<int>(version);
  begin_ += binary::kHeaderSize;
  line_ = 1;  // the header is record 1, as it is line 1 of the text
}

void TraceReader::end_of_data(RecordBatch& b) {
  if (source_->truncated() && !info_.truncated) {
    info_.truncated = true;
    warn(fmt::format("{}: the compressed stream ends in the middle of a frame (cut short?); read what it held",
                     info_.name));
  }
  check_end();
  b.end = true;
}

void TraceReader::decode_binary(RecordBatch& b, size_t& decoded) {
  HeapRecord* const out = b.records.data();
  const uint64_t base = b.base_line;
  const bool v2 = info_.version >= 2;
  size_t n = decoded;
  while (n < RecordBatch::kCapacity) {
    if (end_ - begin_ < binary::kMaxFixedRecord && !eof_) fill(binary::kMaxFixedRecord);
    if (begin_ == end_) {
      end_of_data(b);
      break;
    }
    const auto* const data = reinterpret_cast<const unsigned char*>(buffer_.data());
    const unsigned char* p = data + begin_;
    const unsigned char* const last = data + end_;
    uint64_t previous = previous_address_;
    uint64_t line = line_;
    const size_t before = n;
    const bool open = info_.end_line == 0;  // after E, decode_one says what is wrong with any record
    while (open && n < RecordBatch::kCapacity && static_cast<size_t>(last - p) >= binary::kMaxFixedRecord) {
      HeapRecord& r = out[n];
      const unsigned char* q = p + 1;
      uint64_t prev = previous;
      bool ok = false;
      switch (*p) {
        case binary::kAlloc: {
          uint64_t size, type, site;
          if (!fast_address(q, prev, r.addr) || !fast_num(q, size) || !fast_num(q, type) || !fast_num(q, site))
            break;
          if (size > kMaxSize || type > UINT32_MAX || site > UINT32_MAX) break;
          const uint32_t t = symbols_.find_type(static_cast<uint32_t>(type));
          const uint32_t s = symbols_.find_stack(static_cast<uint32_t>(site));
          if (t == SymbolTable::kMissing || s == SymbolTable::kMissing) break;
          r.value = size;
          r.a = t;
          r.b = s;
          r.kind = RecordKind::Alloc;
          ok = true;
          break;
        }
        case binary::kFree:
          ok = fast_address(q, prev, r.addr);
          r.kind = RecordKind::Free;
          break;
        case binary::kIncref:
        case binary::kDecref:
          ok = fast_address(q, prev, r.addr);
          r.value = 0;
          r.a = 0;
          r.kind = *p == binary::kIncref ? RecordKind::Incref : RecordKind::Decref;
          break;
        case binary::kIncrefOwner:
        case binary::kDecrefOwner:
          ok = fast_address(q, prev, r.addr) && fast_address(q, prev, r.value);
          r.a = 0;
          r.kind = *p == binary::kIncrefOwner ? RecordKind::Incref : RecordKind::Decref;
          break;
        case binary::kIncrefLabel: {
          uint64_t label;
          if (!v2 || !fast_address(q, prev, r.addr) || !fast_address(q, prev, r.value) || !fast_num(q, label) ||
              label > UINT32_MAX)
            break;
          const uint32_t l = label == 0 ? 0 : symbols_.find_label(static_cast<uint32_t>(label));
          if (l == SymbolTable::kMissing) break;
          r.a = l;
          r.kind = RecordKind::Incref;
          ok = true;
          break;
        }
        case binary::kRefcount:
          ok = fast_address(q, prev, r.addr) && fast_num(q, r.value) && r.value <= kMaxRefcount;
          r.immortal = false;
          r.kind = RecordKind::Refcount;
          break;
        case binary::kImmortal:
          ok = fast_address(q, prev, r.addr);
          r.value = 0;
          r.immortal = true;
          r.kind = RecordKind::Refcount;
          break;
        case binary::kRootRef:
        case binary::kRootRefLabel:
        case binary::kRootUnref: {
          uint64_t root, label = 0;
          if (!v2 || !fast_address(q, prev, r.addr) || !fast_num(q, root) || root == 0 || root > UINT32_MAX) break;
          if (*p == binary::kRootRefLabel && (!fast_num(q, label) || label > UINT32_MAX)) break;
          const uint32_t idx = symbols_.find_root(static_cast<uint32_t>(root));
          const uint32_t l = label == 0 ? 0 : symbols_.find_label(static_cast<uint32_t>(label));
          if (idx == SymbolTable::kMissing || l == SymbolTable::kMissing) break;
          r.a = idx;
          r.b = static_cast<uint32_t>(root);
          r.value = l;
          r.kind = *p == binary::kRootUnref ? RecordKind::RootUnref : RecordKind::RootRef;
          ok = true;
          break;
        }
        case binary::kResize:
        case binary::kResizeUnmeasured:
          ok = v2 && fast_address(q, prev, r.addr) && fast_num(q, r.value) && r.value <= kMaxSize;
          r.unmeasured = *p == binary::kResizeUnmeasured;
          r.kind = RecordKind::Resize;
          break;
        case binary::kName: {
          uint64_t label;
          if (!v2 || !fast_address(q, prev, r.addr) || !fast_num(q, label) || label == 0 || label > UINT32_MAX)
            break;
          const uint32_t l = symbols_.find_label(static_cast<uint32_t>(label));
          if (l == SymbolTable::kMissing) break;
          r.a = l;
          r.kind = RecordKind::Name;
          ok = true;
          break;
        }
        default: break;
      }
      if (!ok) break;  // decode_one takes it again, to accept it or say what is wrong
      previous = prev;
      ++line;
      r.line = static_cast<uint32_t>(line - base);
      ++n;
      p = q;
    }
    if (n > before) heap_records_seen_ = true;
    begin_ = static_cast<size_t>(p - data);
    line_ = line;
    previous_address_ = previous;
    decoded = n;
    if (n == RecordBatch::kCapacity) break;
    decode_one(b, n);
    decoded = n;
    if (line_ - base >= kMaxBatchSpan) break;
  }
}

// One record from begin_, with every check; reads more of the trace as the record needs.
void TraceReader::decode_one(RecordBatch& b, size_t& n) {
  for (;;) {
    const size_t avail = end_ - begin_;
    if (avail == 0) return;  // the caller sees the end
    const auto* const start = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    Fields f{start, start + 1, start + avail};
    const unsigned char kind = *start;
    record_offset_ = read_total_ - avail;
    uint64_t previous = previous_address_;
    const uint64_t line = line_ + 1;
    std::string text;  // the record as the line of text it stands for
    uint64_t skip = 0;
    std::string_view reason, detail;
    auto hex = [](uint64_t v) { return fmt::format("{:x}", v); };
    switch (kind) {
      case binary::kAlloc: {
        uint64_t addr = f.address(previous), size = f.num(), type = f.num(), site = f.num();
        text = fmt::format("A {} {} {} {}", hex(addr), size, type, site);
        break;
      }
      case binary::kIncref:
      case binary::kDecref:
      case binary::kFree: {
        uint64_t addr = f.address(previous);
        text = fmt::format("{} {}", kind == binary::kIncref ? 'I' : kind == binary::kDecref ? 'D' : 'F', hex(addr));
        break;
      }
      case binary::kIncrefOwner:
      case binary::kDecrefOwner: {
        uint64_t addr = f.address(previous), owner = f.address(previous);
        text = fmt::format("{} {} {}", kind == binary::kIncrefOwner ? 'I' : 'D', hex(addr), hex(owner));
        break;
      }
      case binary::kIncrefLabel: {
        uint64_t addr = f.address(previous), owner = f.address(previous), label = f.num();
        text = fmt::format("I {} {} {}", hex(addr), hex(owner), label);
        break;
      }
      case binary::kRefcount: {
        uint64_t addr = f.address(previous), count = f.num();
        text = fmt::format("R {} {}", hex(addr), count);
        break;
      }
      case binary::kImmortal: text = fmt::format("R {} immortal", hex(f.address(previous))); break;
      case binary::kRootRef:
      case binary::kRootUnref: {
        uint64_t addr = f.address(previous), root = f.num();
        text = fmt::format("{} {} {}", kind == binary::kRootRef ? 'P' : 'U', hex(addr), root);
        break;
      }
      case binary::kRootRefLabel: {
        uint64_t addr = f.address(previous), root = f.num(), label = f.num();
        text = fmt::format("P {} {} {}", hex(addr), root, label);
        break;
      }
      case binary::kResize:
      case binary::kResizeUnmeasured: {
        uint64_t addr = f.address(previous), size = f.num();
        text = fmt::format("Z {} {}{}", hex(addr), size, kind == binary::kResizeUnmeasured ? " ?" : "");
        break;
      }
      case binary::kName: {
        uint64_t addr = f.address(previous), label = f.num();
        text = fmt::format("K {} {}", hex(addr), label);
        break;
      }
      case binary::kGcStart: text = fmt::format("G {}", f.num()); break;
      case binary::kGcEnd: {
        uint64_t collected = f.num(), uncollectable = f.num();
        text = fmt::format("g {} {}", collected, uncollectable);
        break;
      }
      case binary::kMeta: {
        std::string_view key = f.text(), value = f.text();
        if (f.ok() && !is_word(key)) {
          line_ = line;
          fail("KEY of an @ (metadata) record must be one word, without blanks or line feeds", "");
        }
        text = fmt::format("@ {} {}", key, value);
        break;
      }
      case binary::kType:
      case binary::kRootDef:
      case binary::kLabelDef: {
        uint64_t id = f.num();
        std::string_view name = f.text();
        text = fmt::format("{} {} {}", kind == binary::kType ? 'T' : kind == binary::kRootDef ? 'N' : 'L', id, name);
        break;
      }
      case binary::kStack: {
        uint64_t id = f.num(), parent = f.num(), src_line = f.num();
        std::string_view function = f.text(), file = f.text();
        if (f.ok() && !is_word(function)) {
          line_ = line;
          fail("FUNCTION of an S (stack node) record must be one word, without blanks or line feeds", "");
        }
        text = fmt::format("S {} {} {} {} {}", id, parent, src_line, function, file);
        break;
      }
      case binary::kMarker: text = fmt::format("M {}", f.text()); break;
      case binary::kEnd: {
        reason = f.text();
        detail = f.text();
        if (f.ok() && !is_word(reason)) {
          line_ = line;
          fail("REASON of an E (end of the recording) record must be one word, without blanks or line feeds", "");
        }
        text = fmt::format("E {} {}", reason, detail);
        break;
      }
      case binary::kSkip: {
        skip = f.num();
        if (f.ok() && (skip == 0 || skip > binary::kMaxSkip)) {
          line_ = line;
          fail("a skip record counts 1 to " + std::to_string(binary::kMaxSkip) + " lines, not " +
                   std::to_string(skip),
               "");
        }
        break;
      }
      default:
        line_ = line;
        fail(fmt::format("unknown record kind 0x{:02x}", kind), "");
    }
    if (f.cut) {
      if (!eof_) {
        // Read on: as far as the text that did not fit, or a few more numbers.
        fill(std::max<size_t>(f.taken() + f.text_length + binary::kMaxVarint, avail + binary::kMaxFixedRecord));
        continue;
      }
      // A record cut short by a crash: everything before it is good, the fragment is not.
      line_ = line;
      info_.truncated = true;
      warn(fmt::format("{}: record {} (byte {}): the trace ends inside this record (cut short?); ignoring the partial "
                       "last record",
                       info_.name, line_, record_offset_));
      begin_ = end_;
      return;
    }
    line_ = line;
    if (f.malformed) fail("a number of more than 64 bits (a varint of more than 10 bytes)", "");
    if (f.too_long)
      fail("a text field of " + std::to_string(f.text_length) + " bytes; at most " +
               std::to_string(binary::kMaxText >> 20) + " MiB",
           "");
    begin_ += f.taken();
    previous_address_ = previous;
    if (kind == binary::kSkip) {
      line_ = line - 1 + skip;  // not a record: the lines it stands for
      return;
    }
    if (holds_line_end(text)) fail("a text field holds a line feed", "");
    if (info_.end_line != 0)
      fail("a record after E, the end of the recording at record " + std::to_string(info_.end_line), text);
    if (kind == binary::kEnd) binary_end(reason, detail, text);
    else decode_line(text, b, n);
    return;
  }
}

// `E REASON [DETAIL]`: the recorder closed the trace here. Only skip records may follow (the text's comments and
// blank lines), which decode_one checks.
void TraceReader::binary_end(std::string_view reason, std::string_view detail, std::string_view text) {
  need_version(2, 'E', text);
  while (!detail.empty() && (detail.front() == ' ' || detail.front() == '\t')) detail.remove_prefix(1);
  while (!detail.empty() && (detail.back() == ' ' || detail.back() == '\t')) detail.remove_suffix(1);
  info_.end_reason = std::string(reason);
  info_.end_detail = std::string(detail);
  info_.end_line = line_;
  if (info_.end_reason == "cap") {
    info_.truncated = true;
    warn(fmt::format("{}: record {}: the recorder cut the trace here at its size cap{}{}; what the program did after "
                     "is not in it",
                     info_.name, line_, info_.end_detail.empty() ? "" : " of ", info_.end_detail));
  }
}

}  // namespace refscope
