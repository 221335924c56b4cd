#pragma once
// Decoded records on their way from the reader to the model, a batch at a time (record_batch.h).
//
// With a thread of its own, the reader (read, decompress, find lines, parse) runs on one core while the model
// applies the batch before on the other:
//
//   reader thread:  [read+parse batch 1][read+parse batch 2][read+parse batch 3] ...
//   model thread:                       [apply batch 1     ][apply batch 2     ] ...
//
// Batches cycle through a fixed pool of kPoolSize, so the reader never runs more than that many batches ahead and
// memory stays bounded whatever the trace. Each batch carries, besides its records and their text, what happened
// after them: the end of the trace (with its warnings) or the error that stopped the reader. The model's side sees
// them in order, when it gets there, exactly as if it had read the trace itself: a command that stops at a marker
// never hears of an error or a warning further on.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "refscope/reader/record_batch.h"
#include "refscope/reader/trace_reader.h"

namespace refscope {

class EventPipe {
 public:
  // Takes a reader that has read the header. `threaded`: decode on a thread of its own; otherwise each call to
  // next() decodes its batch itself (the same batches, on one core).
  EventPipe(std::unique_ptr<TraceReader> reader, bool threaded);
  ~EventPipe();
  EventPipe(const EventPipe&) = delete;
  EventPipe& operator=(const EventPipe&) = delete;

  // The next batch, valid until the following call. After a batch with `end` or `error`, there is none.
  const RecordBatch& next();

 private:
  static constexpr size_t kPoolSize = 4;

  void produce();

  std::unique_ptr<TraceReader> reader_;
  std::vector<std::unique_ptr<RecordBatch>> pool_;
  RecordBatch* current_ = nullptr;  // the batch the model side holds
  bool finished_ = false;           // a batch with end or error went out: next() has nothing more
  RecordBatch nothing_;             // what next() gives after that: no records, the end

  // Threaded: batches go round free_ -> (reader fills) -> full_ -> (model applies) -> free_.
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<RecordBatch*> free_;  // a stack: the batch used last is the warmest in cache
  std::deque<RecordBatch*> full_;   // in trace order
  bool stop_ = false;
};

}  // namespace refscope
