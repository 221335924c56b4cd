#pragma once
// Decoded records as the reader hands them to the model, a batch at a time.
//
// Nearly every record of a trace names an object (A I D F R, and format 2's P U Z K). Those travel as HeapRecords of
// 32 bytes, two to a cache line, in trace order; the model applies them straight from there. Every other record
// (declarations, markers, metadata, collection brackets) is rare: it keeps its full Event in `others`, and its
// place in the order is a HeapRecord of its kind that points there.
//
//   records:  A  I  I  D  M  F  A  I  ...          others:  [0] M iter-1   (text in `text`)
//                         |__________________________________^
//
// Whatever produces records (the text reader, a binary encoding) fills batches the same way, and the model side
// applies them the same way. A new record kind that names an object goes between Alloc and Name in RecordKind
// (names_object), gets its fields in HeapRecord (HeapRecord::of, RecordBatch::event) and a case in Model::apply;
// one that does not is an Event in `others` and needs nothing here. The reader's fast path takes only short A, I,
// D, F and R lines of their version-1 shape: anything else goes through the general parser.
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "refscope/reader/event.h"
#include "refscope/reader/trace_info.h"

namespace refscope {

struct HeapRecord {
  uint64_t addr = 0;   // the object (kinds that name one; see names_object)
  uint64_t value = 0;  // A, Z: SIZE; I, D: OWNER, 0 for none; R: COUNT; P: LABEL index, 0 for none
  uint32_t line = 0;   // the record's line, counted from the batch's base_line (see RecordBatch::line_of)
  uint32_t a = 0;      // A: type index; P, U: root index; I, K: LABEL index (0: none);
                       // a kind that does not name an object: its index in others
  uint32_t b = 0;      // A: site index; P, U: the root's id in the trace (for messages)
                       // (b is free in I, D, F, R, Z and K, a in D, F, R and Z: a new field of theirs goes there,
                       // see of())
  RecordKind kind = RecordKind::Meta;
  bool immortal = false;    // R ... immortal
  bool unmeasured = false;  // Z ... ?
  uint8_t unused = 0;

  // OWNER of I and D; 0 for every other kind.
  uint64_t owner() const { return kind == RecordKind::Incref || kind == RecordKind::Decref ? value : 0; }

  // The fields of an Event that names an object (names_object(ev.kind)), but its line.
  static HeapRecord of(const Event& ev);
};
static_assert(sizeof(HeapRecord) == 32, "two records to a cache line");

struct RecordBatch {
  static constexpr size_t kCapacity = 8192;

  std::vector<HeapRecord> records;
  std::vector<Event> others;          // the records that name no object, in order; their text is in `text`
  std::string text;
  uint64_t base_line = 0;             // records' lines count from here
  std::vector<std::string> warnings;  // found while reading these records: to give once they are applied
  uint64_t line = 0;                  // the reader's line after the last record
  uint64_t bytes_consumed = 0;        // trace bytes read up to there
  uint64_t source_bytes = 0;          // bytes taken from the file up to there (compressed, if it is)
  bool end = false;                   // the trace has no record after these
  TraceInfo end_info;                 // at the end: the reader's TraceInfo (truncated, the E record, ...)
  std::exception_ptr error;           // reading failed after these records (the error names its line)

  uint64_t line_of(const HeapRecord& r) const { return base_line + r.line; }
  // The record as an Event, as TraceReader::next gives it.
  Event event(const HeapRecord& r) const;
};

}  // namespace refscope
