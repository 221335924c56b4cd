#pragma once
// Decoded records on their way from the reader to the model, a batch at a time.
//
// With a thread of its own, the reader (read, decompress, find lines, parse) runs on one core while the model
// applies the batch before on the other:
//
//   reader thread:  [read+parse batch 1][read+parse batch 2][read+parse batch 3] ...
//   model thread:                       [apply batch 1     ][apply batch 2     ] ...
//
// Batches cycle through a fixed pool of kPoolSize, so the reader never runs more than that many batches ahead and
// memory stays bounded whatever the trace. Each batch carries, besides its events and their text, what happened
// after them: the end of the trace (with its warnings) or the error that stopped the reader. The model's side sees
// them in order, when it gets there, exactly as if it had read the trace itself: a command that stops at a marker
// never hears of an error or a warning further on.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "refscope/reader/event.h"
#include "refscope/reader/trace_reader.h"

namespace refscope {

struct EventBatch {
  static constexpr size_t kCapacity = 8192;

  std::vector<Event> events;
  std::string text;                   // the text fields of its events point in here
  std::vector<std::string> warnings;  // to give once its events are applied
  uint64_t line = 0;                  // the reader's line after its last record
  uint64_t bytes_consumed = 0;        // trace bytes read up to there
  uint64_t source_bytes = 0;          // bytes taken from the file up to there (compressed, if it is)
  bool end = false;                   // the trace has no record after these
  TraceInfo end_info;                 // at the end: the reader's TraceInfo (truncated, the E record, ...)
  std::exception_ptr error;           // reading failed after these records
};

class EventPipe {
 public:
  // Takes a reader that has read the header. `threaded`: decode on a thread of its own; otherwise each call to
  // next() decodes its batch itself (the same batches, on one core).
  EventPipe(std::unique_ptr<TraceReader> reader, bool threaded);
  ~EventPipe();
  EventPipe(const EventPipe&) = delete;
  EventPipe& operator=(const EventPipe&) = delete;

  // The next batch, valid until the following call. After a batch with `end` or `error`, there is none.
  const EventBatch& next();

 private:
  static constexpr size_t kPoolSize = 4;
  struct TextSpan {  // where fill() copied an event's text fields
    uint32_t event, at, size, at2, size2;
  };

  void fill(EventBatch& b);
  void produce();

  std::unique_ptr<TraceReader> reader_;
  std::vector<std::unique_ptr<EventBatch>> pool_;
  EventBatch* current_ = nullptr;  // the batch the model side holds
  EventBatch* filling_ = nullptr;  // the batch the reader fills (its warnings go there)
  std::vector<TextSpan> texts_;
  bool finished_ = false;          // a batch with end or error went out: next() has nothing more
  EventBatch nothing_;             // what next() gives after that: no events, the end

  // Threaded: batches go round free_ -> (reader fills) -> full_ -> (model applies) -> free_.
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<EventBatch*> free_;  // a stack: the batch used last is the warmest in cache
  std::deque<EventBatch*> full_;   // in trace order
  bool stop_ = false;
};

}  // namespace refscope
