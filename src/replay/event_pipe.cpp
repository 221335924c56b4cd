#include "refscope/replay/event_pipe.h"

namespace refscope {

EventPipe::EventPipe(std::unique_ptr<TraceReader> reader, bool threaded) : reader_(std::move(reader)) {
  size_t batches = threaded ? kPoolSize : 1;
  for (size_t i = 0; i < batches; ++i) {
    pool_.push_back(std::make_unique<RecordBatch>());
    pool_.back()->records.reserve(RecordBatch::kCapacity);
    free_.push_back(pool_.back().get());
  }
  if (threaded) thread_ = std::thread([this] { produce(); });
}

EventPipe::~EventPipe() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void EventPipe::produce() {
  for (;;) {
    RecordBatch* b;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
      if (stop_) return;
      b = free_.back();
      free_.pop_back();
    }
    reader_->read_batch(*b);
    bool last = b->end || b->error;
    {
      std::lock_guard lock(mutex_);
      full_.push_back(b);
    }
    cv_.notify_all();
    if (last) return;
  }
}

const RecordBatch& EventPipe::next() {
  if (finished_) {
    nothing_.end = true;
    return nothing_;
  }
  if (!thread_.joinable()) {
    current_ = free_.front();
    reader_->read_batch(*current_);
  } else {
    std::unique_lock lock(mutex_);
    if (current_) free_.push_back(current_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !full_.empty(); });
    current_ = full_.front();
    full_.pop_front();
  }
  finished_ = current_->end || current_->error;
  return *current_;
}

}  // namespace refscope
