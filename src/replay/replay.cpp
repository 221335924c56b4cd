#include "refscope/replay/replay.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>

#include "refscope/util/digits.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"
#include "refscope/util/progress.h"
#include "refscope/source/read_ahead.h"

namespace refscope {
namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

constexpr uint64_t kProgressEvery = 1 << 20;

}  // namespace

Replay::Replay(const std::string& path, std::vector<PointSpec> watch, ReplayOptions options)
    : model_(options.model),
      options_(options),
      watch_(std::move(watch)),
      resolved_(watch_.size()),
      literal_exists_(watch_.size(), false) {
  // Reads the header: a file that is no trace fails here. With threads, a compressed trace is decoded on a third.
  auto reader = options.threaded ? std::make_unique<TraceReader>(read_ahead(open_source(path)), path)
                                 : std::make_unique<TraceReader>(path);
  info_ = reader->info();
  pipe_ = std::make_unique<EventPipe>(std::move(reader), options.threaded);
  for (const PointSpec& p : watch_) seen_.emplace(p.label, 0);
  struct stat st {};
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    file_size_ = static_cast<uint64_t>(st.st_size);
    literal_prescan();
  }
  progress::set_subject(info_.name);
}

Replay::~Replay() { progress::clear(); }

// A marker literally labelled `LABEL#N` wins over the N-th `LABEL`, even when it comes later; in a file that
// can be read twice, one quick pass over the marker lines settles it. (On a pipe the first of the two wins.)
void Replay::literal_prescan() {
  bool any = false;
  for (const PointSpec& p : watch_) any = any || p.has_occurrence;
  if (!any) return;
  auto source = open_source(info_.path);
  std::string carry;
  std::vector<char> buf(1 << 20);
  auto check = [&](std::string_view line) {
    if (line.size() < 2 || line[0] != 'M') return;
    line.remove_prefix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    for (size_t i = 0; i < watch_.size(); ++i)
      if (watch_[i].has_occurrence && watch_[i].matches_literal(line)) literal_exists_[i] = true;
  };
  for (size_t n; (n = source->read(buf.data(), buf.size())) > 0;) {
    std::string_view chunk(buf.data(), n);
    for (size_t nl; (nl = chunk.find('\n')) != std::string_view::npos;) {
      if (carry.empty()) {
        check(chunk.substr(0, nl));
      } else {
        carry.append(chunk.substr(0, nl));
        check(carry);
        carry.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
    if (carry.size() < 4096) carry.append(chunk.substr(0, 4096));
  }
}

// Takes the next batch from the pipe; gives what the reader found after the last one (a warning, an error, the end)
// now that the model has caught up with it.
bool Replay::next_batch() {
  if (batch_) {
    for (const std::string& w : batch_->warnings) log::warn("{}", w);
    if (batch_->error) {
      ended_ = true;
      std::rethrow_exception(batch_->error);
    }
    if (batch_->end) {
      info_ = batch_->end_info;  // all read and applied: the reader's own, with what only the end tells
      ended_ = true;
      return false;
    }
  }
  if (sampler_ && batch_) sampler_->sample(model_, nullptr);
  batch_ = &pipe_->next();
  batch_pos_ = 0;
  line_ = batch_->line;
  source_bytes_ = batch_->source_bytes;
  if (options_.progress && line_ >= next_progress_check_) show_progress();
  // Worth it only when the model no longer fits in cache; on a small live set the lookahead costs more than it
  // saves (a cache-resident trace of 10k live objects: 37% more CPU time with it; 65k: 27% less).
  lookahead_ = model_.slot_count() >= options_.lookahead_from;
  if (!lookahead_) return true;
  // The first records of the batch go through the steps of apply_batch's window at once.
  const std::vector<HeapRecord>& recs = batch_->records;
  for (size_t i = 0; i < std::min(kAhead, recs.size()); ++i) model_.prefetch(recs[i]);
  for (size_t i = 0; i < std::min(kAhead / 2, recs.size()); ++i) hints_[i] = model_.resolve(recs[i]);
  for (size_t i = 0; i < std::min(kAhead / 4, recs.size()); ++i) model_.prefetch_edges(hints_[i]);
  return true;
}

// The declarations the reader checked, kept again on this side, as far as the model has got.
void Replay::declare(const Event& ev) {
  switch (ev.kind) {
    case RecordKind::Type:
    case RecordKind::Stack:
    case RecordKind::RootDef:
    case RecordKind::LabelDef: symbols_.declare(ev); break;
    case RecordKind::Meta:
      info_.add_metadata(ev.text, ev.text2);
      if (ev.text == "refs") info_.refs = ev.text2 == "sampled" ? RefsMode::Sampled : RefsMode::Exact;
      if (ev.text == "recorder") info_.recorded = true;
      break;
    default: break;
  }
}

// Applies records until a marker resolves the watched point `point` (true), or to the end of the trace (false).
// A `point` past the watched ones is never resolved.
bool Replay::apply_until(size_t point) {
  for (;;) {
    if (batch_ && batch_pos_ < batch_->records.size()) {
      if (lookahead_ ? apply_batch<true>(point) : apply_batch<false>(point)) return true;
      continue;
    }
    if (ended_ || !next_batch()) return false;
  }
}

// The rest of the batch, up to the marker that resolves `point`.
template <bool kLookahead>
bool Replay::apply_batch(size_t point) {
  const RecordBatch& b = *batch_;
  const HeapRecord* recs = b.records.data();
  const size_t n = b.records.size();
  for (size_t i = batch_pos_; i < n; ++i) {
    const HeapRecord& r = recs[i];
    if constexpr (kLookahead) {
      if (i + kAhead < n) model_.prefetch(recs[i + kAhead]);
      if (i + kAhead / 2 < n) hints_[i + kAhead / 2] = model_.resolve(recs[i + kAhead / 2]);
      if (i + kAhead / 4 < n) model_.prefetch_edges(hints_[i + kAhead / 4]);
    }
    if (names_object(r.kind)) [[likely]] {
      model_.apply(r, b.line_of(r), kLookahead ? hints_[i] : Model::Hint{});
      continue;
    }
    const Event& ev = b.others[r.a];
    declare(ev);
    model_.apply(ev);
    if (ev.kind == RecordKind::Marker) {
      on_marker(ev);
      if (sampler_) sampler_->sample(model_, &ev);
      if (point < resolved_.size() && resolved_[point]) {
        batch_pos_ = i + 1;
        return true;
      }
    }
  }
  batch_pos_ = n;
  return false;
}

void Replay::on_marker(const Event& ev) {
  std::string label(ev.text);
  if (auto known = label_index_.find(label); known != label_index_.end()) {
    ++labels_[known->second].second;
  } else if (labels_.size() < kLabelsKept) {
    label_index_.emplace(label, static_cast<uint32_t>(labels_.size()));
    labels_.emplace_back(label, 1);
  } else {
    ++labels_dropped_;
  }
  auto it = seen_.find(label);
  uint32_t count = 0;
  if (it != seen_.end()) count = ++it->second;
  for (size_t i = 0; i < watch_.size(); ++i) {
    if (resolved_[i]) continue;
    const PointSpec& p = watch_[i];
    bool hit = p.matches_literal(ev.text) ||
               (p.has_occurrence && !literal_exists_[i] && ev.text == p.label && count == p.occurrence);
    if (hit) {
      resolved_[i] = ev.line;
      last_hit_ = static_cast<int>(i);
    }
  }
}

std::optional<uint64_t> Replay::resolved_line(const PointSpec& p) const {
  for (size_t i = 0; i < watch_.size(); ++i)
    if (watch_[i].text == p.text) return resolved_[i];
  return std::nullopt;
}

uint64_t Replay::advance_to(const PointSpec& p) {
  size_t index = watch_.size();
  for (size_t i = 0; i < watch_.size(); ++i)
    if (watch_[i].text == p.text) index = i;
  if (index == watch_.size()) {  // not announced: watch it from here on
    watch_.push_back(p);
    resolved_.emplace_back();
    literal_exists_.push_back(false);
    seen_.emplace(p.label, 0);
  }
  if (resolved_[index])
    throw UsageError("marker '" + p.text + "' is on line " + std::to_string(*resolved_[index]) +
                     ", before the point asked for ahead of it (is --from after --to?)");
  if (!apply_until(index)) {
    check_figures();
    std::string message = "no marker '" + p.text + "' in " + info_.name;
    auto it = seen_.find(p.label);
    if (p.has_occurrence && it != seen_.end() && it->second > 0)
      message += " ('" + p.label + "' occurs " + std::to_string(it->second) + " times)";
    message += markers_text();
    throw UsageError(message);
  }
  check_figures();
  return *resolved_[index];
}

// "; its markers: 'start', 'request' (3 times), 'done'" (the first few), or "; it has no markers".
std::string Replay::markers_text() const {
  if (labels_.empty()) return "; it has no markers";
  constexpr size_t kListed = 20;
  std::string out = "; its markers: ";
  for (size_t i = 0; i < labels_.size() && i < kListed; ++i) {
    if (i) out += ", ";
    out += "'" + labels_[i].first + "'";
    if (labels_[i].second > 1) out += " (" + std::to_string(labels_[i].second) + " times)";
  }
  if (labels_.size() > kListed || labels_dropped_)
    out += " and " + (labels_dropped_ ? std::string("more") : std::to_string(labels_.size() - kListed) + " more");
  return out;
}

uint64_t Replay::advance_to_end() {
  apply_until(watch_.size());
  check_figures();
  return model_.last_line();
}

void Replay::check_figures() const {
  if (uint64_t line = model_.bytes_overflow_line())
    throw TraceError(info_.name, line,
                     "the live objects' sizes add up to more than 2^63-1 bytes (8 EiB) here: no figure about them "
                     "could be right; is the trace corrupt?");
}

// "reading app.trace.zst: 42% of 1,234 MB, 56,789,012 lines": for a compressed trace the share of the compressed
// file read so far (what its size measures), for stdin only what was read.
void Replay::show_progress() {
  next_progress_check_ = line_ + kProgressEvery;
  double t = now_seconds();
  if (t - last_progress_ < 0.25) return;
  last_progress_ = t;
  auto mb = [](uint64_t bytes) {
    if (bytes >= 10'000'000) return grouped((bytes + 500'000) / 1'000'000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / 1e6);
    return std::string(buf);
  };
  std::string text = "reading " + info_.name + ": ";
  if (file_size_ > 0) {
    uint64_t percent = std::min<uint64_t>(100, source_bytes_ * 100 / file_size_);
    text += std::to_string(percent) + "% of " + mb(file_size_) + " MB";
  } else {
    text += mb(source_bytes_) + " MB";
  }
  if (info_.encoding != std::string("plain")) text += " (" + info_.encoding + ")";
  text += ", " + grouped(line_) + " lines";
  progress::show(text);
}

}  // namespace refscope
