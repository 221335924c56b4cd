#include "refscope/replay/event_pipe.h"

namespace refscope {
namespace {

// The records whose text fields point into the reader's buffer.
bool carries_text(RecordKind k) {
  return k == RecordKind::Meta || k == RecordKind::Type || k == RecordKind::Stack || k == RecordKind::Marker ||
         k == RecordKind::RootDef || k == RecordKind::LabelDef;
}

}  // namespace

EventPipe::EventPipe(std::unique_ptr<TraceReader> reader, bool threaded) : reader_(std::move(reader)) {
  size_t batches = threaded ? kPoolSize : 1;
  for (size_t i = 0; i < batches; ++i) {
    pool_.push_back(std::make_unique<EventBatch>());
    pool_.back()->events.reserve(EventBatch::kCapacity);
    free_.push_back(pool_.back().get());
  }
  if (!threaded) return;
  // Warnings found while reading go with the batch being filled, to be given when the model reaches it.
  reader_->set_warning_handler([this](const std::string& w) { filling_->warnings.push_back(w); });
  thread_ = std::thread([this] { produce(); });
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

// Decodes up to kCapacity records into `b`, and notes what came after them. Text fields are copied into the
// batch: the reader's own buffer moves on with the next record.
void EventPipe::fill(EventBatch& b) {
  // Events are overwritten in place, not constructed anew: the reader sets every field a record's kind uses.
  b.events.resize(EventBatch::kCapacity);
  size_t n = 0;
  b.text.clear();
  b.warnings.clear();
  b.end = false;
  b.error = nullptr;
  texts_.clear();
  try {
    while (n < EventBatch::kCapacity) {
      Event& ev = b.events[n];
      ev.owner = 0;  // only I and D set it; the model's lookahead reads it for every record that names an object
      if (!reader_->next(ev)) {
        b.end = true;
        break;
      }
      ++n;
      if (carries_text(ev.kind)) {
        TextSpan t{static_cast<uint32_t>(n - 1), static_cast<uint32_t>(b.text.size()),
                   static_cast<uint32_t>(ev.text.size()), 0, static_cast<uint32_t>(ev.text2.size())};
        b.text.append(ev.text);
        t.at2 = static_cast<uint32_t>(b.text.size());
        b.text.append(ev.text2);
        texts_.push_back(t);
      }
    }
  } catch (...) {
    b.error = std::current_exception();  // after the records before it
  }
  b.events.resize(n);
  for (const TextSpan& t : texts_) {
    Event& ev = b.events[t.event];
    ev.text = std::string_view(b.text).substr(t.at, t.size);
    ev.text2 = std::string_view(b.text).substr(t.at2, t.size2);
  }
  b.line = reader_->line();
  b.bytes_consumed = reader_->bytes_consumed();
  b.source_bytes = reader_->source_bytes();
  if (b.end) b.end_info = reader_->info();
}

void EventPipe::produce() {
  for (;;) {
    EventBatch* b;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
      if (stop_) return;
      b = free_.back();
      free_.pop_back();
    }
    filling_ = b;
    fill(*b);
    bool last = b->end || b->error;
    {
      std::lock_guard lock(mutex_);
      full_.push_back(b);
    }
    cv_.notify_all();
    if (last) return;
  }
}

const EventBatch& EventPipe::next() {
  if (finished_) {
    nothing_.end = true;
    return nothing_;
  }
  if (!thread_.joinable()) {
    current_ = free_.front();
    filling_ = current_;
    fill(*current_);
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
