#include "refscope/reader/convert.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "refscope/reader/binary_format.h"
#include "refscope/util/log.h"

namespace refscope {
namespace {

// The trace's own ids for the reader's dense indices, learnt from the T, S and L records as they pass.
struct TraceIds {
  std::vector<uint32_t> types{0}, stacks{0}, labels{0};
  static void set(std::vector<uint32_t>& v, uint32_t index, uint32_t id) {
    if (v.size() <= index) v.resize(index + 1, 0);
    v[index] = id;
  }
  static uint32_t get(const std::vector<uint32_t>& v, uint32_t index) { return index < v.size() ? v[index] : 0; }
};

class Writer {
 public:
  Writer(Output& out, TraceEncoding encoding) : out_(out), binary_(encoding == TraceEncoding::Binary) {}

  void header(int version) {
    if (binary_) {
      buf_.append(reinterpret_cast<const char*>(binary::kMagic), sizeof binary::kMagic);
      buf_.push_back(static_cast<char>(version));
      buf_.push_back(static_cast<char>(binary::kRevision));
    } else {
      buf_ += fmt::format("refscope-trace {}\n", version);
    }
    line_ = 1;
  }

  // Brings the output to the line before `line`.
  void skip_to(uint64_t line) {
    while (line > line_ + 1) {
      uint64_t gap = std::min<uint64_t>(line - line_ - 1, binary::kMaxSkip);
      if (binary_) {
        unsigned char* p = room(1 + binary::kMaxVarint);
        *p++ = binary::kSkip;
        commit(binary::put_varint(p, gap));
      } else {
        buf_.append(gap, '\n');
      }
      line_ += gap;
      maybe_flush();
    }
    line_ = line;
  }

  void heap(const HeapRecord& r, const TraceIds& ids) {
    if (binary_) {
      unsigned char* p = room(binary::kMaxFixedRecord);
      unsigned char* const kind = p++;
      p = binary::put_address(p, r.addr, previous_);
      switch (r.kind) {
        case RecordKind::Alloc:
          *kind = binary::kAlloc;
          p = binary::put_varint(p, r.value);
          p = binary::put_varint(p, TraceIds::get(ids.types, r.a));
          p = binary::put_varint(p, TraceIds::get(ids.stacks, r.b));
          break;
        case RecordKind::Incref:
        case RecordKind::Decref: {
          const bool inc = r.kind == RecordKind::Incref;
          if (r.value == 0) {
            *kind = inc ? binary::kIncref : binary::kDecref;
          } else {
            p = binary::put_address(p, r.value, previous_);
            if (inc && r.a != 0) {
              *kind = binary::kIncrefLabel;
              p = binary::put_varint(p, TraceIds::get(ids.labels, r.a));
            } else {
              *kind = inc ? binary::kIncrefOwner : binary::kDecrefOwner;
            }
          }
          break;
        }
        case RecordKind::Free: *kind = binary::kFree; break;
        case RecordKind::Refcount:
          if (r.immortal) {
            *kind = binary::kImmortal;
          } else {
            *kind = binary::kRefcount;
            p = binary::put_varint(p, r.value);
          }
          break;
        case RecordKind::RootRef:
        case RecordKind::RootUnref:
          p = binary::put_varint(p, r.b);
          if (r.kind == RecordKind::RootUnref) {
            *kind = binary::kRootUnref;
          } else if (r.value != 0) {
            *kind = binary::kRootRefLabel;
            p = binary::put_varint(p, TraceIds::get(ids.labels, static_cast<uint32_t>(r.value)));
          } else {
            *kind = binary::kRootRef;
          }
          break;
        case RecordKind::Resize:
          *kind = r.unmeasured ? binary::kResizeUnmeasured : binary::kResize;
          p = binary::put_varint(p, r.value);
          break;
        case RecordKind::Name:
          *kind = binary::kName;
          p = binary::put_varint(p, TraceIds::get(ids.labels, r.a));
          break;
        default: break;
      }
      commit(p);
    } else {
      switch (r.kind) {
        case RecordKind::Alloc: {
          const uint32_t site = TraceIds::get(ids.stacks, r.b);
          buf_ += fmt::format("A {:x} {} {}", r.addr, r.value, TraceIds::get(ids.types, r.a));
          if (site != 0) buf_ += fmt::format(" {}", site);
          break;
        }
        case RecordKind::Incref:
        case RecordKind::Decref:
          buf_ += fmt::format("{} {:x}", r.kind == RecordKind::Incref ? 'I' : 'D', r.addr);
          if (r.value != 0) buf_ += fmt::format(" {:x}", r.value);
          if (r.kind == RecordKind::Incref && r.value != 0 && r.a != 0)
            buf_ += fmt::format(" {}", TraceIds::get(ids.labels, r.a));
          break;
        case RecordKind::Free: buf_ += fmt::format("F {:x}", r.addr); break;
        case RecordKind::Refcount:
          if (r.immortal) buf_ += fmt::format("R {:x} immortal", r.addr);
          else buf_ += fmt::format("R {:x} {}", r.addr, r.value);
          break;
        case RecordKind::RootRef:
        case RecordKind::RootUnref:
          buf_ += fmt::format("{} {:x} {}", r.kind == RecordKind::RootRef ? 'P' : 'U', r.addr, r.b);
          if (r.kind == RecordKind::RootRef && r.value != 0)
            buf_ += fmt::format(" {}", TraceIds::get(ids.labels, static_cast<uint32_t>(r.value)));
          break;
        case RecordKind::Resize: buf_ += fmt::format("Z {:x} {}{}", r.addr, r.value, r.unmeasured ? " ?" : ""); break;
        case RecordKind::Name: buf_ += fmt::format("K {:x} {}", r.addr, TraceIds::get(ids.labels, r.a)); break;
        default: break;
      }
      buf_ += '\n';
    }
    maybe_flush();
  }

  // A record that names no object; `ids` learns what it defines.
  void other(const Event& ev, TraceIds& ids) {
    switch (ev.kind) {
      case RecordKind::Meta: texts(binary::kMeta, '@', {}, ev.text, ev.text2, true); break;
      case RecordKind::Type:
        TraceIds::set(ids.types, ev.type.value, ev.id);
        texts(binary::kType, 'T', {ev.id}, ev.text, {}, false);
        break;
      case RecordKind::LabelDef:
        TraceIds::set(ids.labels, ev.label.value, ev.id);
        texts(binary::kLabelDef, 'L', {ev.id}, ev.text, {}, false);
        break;
      case RecordKind::RootDef: texts(binary::kRootDef, 'N', {ev.extra}, ev.text, {}, false); break;
      case RecordKind::Stack:
        TraceIds::set(ids.stacks, ev.site.value, ev.id);
        texts(binary::kStack, 'S', {ev.id, TraceIds::get(ids.stacks, ev.parent.value), ev.extra}, ev.text, ev.text2,
              true);
        break;
      case RecordKind::Marker: texts(binary::kMarker, 'M', {}, ev.text, {}, false); break;
      case RecordKind::GcStart: numbers(binary::kGcStart, 'G', {ev.size}); break;
      case RecordKind::GcEnd: numbers(binary::kGcEnd, 'g', {ev.size, ev.extra}); break;
      default: break;
    }
    maybe_flush();
  }

  void end(std::string_view reason, std::string_view detail) { texts(binary::kEnd, 'E', {}, reason, detail, true); }

  void flush() {
    if (!buf_.empty()) out_.write(buf_);
    buf_.clear();
  }

 private:
  void numbers(unsigned char kind, char letter, std::initializer_list<uint64_t> values) {
    if (binary_) {
      unsigned char* p = room(binary::kMaxFixedRecord);
      *p++ = kind;
      for (uint64_t v : values) p = binary::put_varint(p, v);
      commit(p);
    } else {
      buf_ += letter;
      for (uint64_t v : values) buf_ += fmt::format(" {}", v);
      buf_ += '\n';
    }
  }
  // NUMBERS, then TEXT, then TEXT2 when `two` (a second text, empty or not).
  void texts(unsigned char kind, char letter, std::initializer_list<uint64_t> values, std::string_view text,
             std::string_view text2, bool two) {
    if (binary_) {
      unsigned char* p = room(binary::kMaxFixedRecord + 2 * binary::kMaxVarint + text.size() + text2.size());
      *p++ = kind;
      for (uint64_t v : values) p = binary::put_varint(p, v);
      p = binary::put_text(p, text);
      if (two) p = binary::put_text(p, text2);
      commit(p);
    } else {
      buf_ += letter;
      for (uint64_t v : values) buf_ += fmt::format(" {}", v);
      buf_ += ' ';
      buf_ += text;
      if (two && !text2.empty()) {
        buf_ += ' ';
        buf_ += text2;
      }
      buf_ += '\n';
    }
  }
  unsigned char* room(size_t n) {
    at_ = buf_.size();
    buf_.resize(at_ + n);
    return reinterpret_cast<unsigned char*>(buf_.data() + at_);
  }
  void commit(unsigned char* end) { buf_.resize(static_cast<size_t>(reinterpret_cast<char*>(end) - buf_.data())); }
  void maybe_flush() {
    if (buf_.size() >= (1u << 20)) flush();
  }

  Output& out_;
  bool binary_;
  std::string buf_;
  size_t at_ = 0;
  uint64_t line_ = 0;
  uint64_t previous_ = 0;
};

}  // namespace

uint64_t convert_trace(TraceReader& reader, Output& out, TraceEncoding encoding) {
  Writer w(out, encoding);
  TraceIds ids;
  w.header(reader.info().version);
  RecordBatch b;
  uint64_t records = 0;
  for (;;) {
    reader.read_batch(b);
    for (const HeapRecord& r : b.records) {
      w.skip_to(b.line_of(r));
      if (names_object(r.kind)) w.heap(r, ids);
      else w.other(b.others[r.a], ids);
    }
    records += b.records.size();
    for (const std::string& warning : b.warnings) log::warn("{}", warning);
    if (b.error) {
      w.flush();
      std::rethrow_exception(b.error);
    }
    if (b.end) break;
  }
  const TraceInfo& info = reader.info();
  if (info.end_line != 0) {
    w.skip_to(info.end_line);
    w.end(info.end_reason, info.end_detail);
  }
  w.flush();
  return records;
}

}  // namespace refscope
