#include "refscope/replay/replay.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>

#include "refscope/util/error.h"
#include "refscope/util/log.h"

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
  auto reader = std::make_unique<TraceReader>(path);  // reads the header: a file that is no trace fails here
  info_ = reader->info();
  pipe_ = std::make_unique<EventPipe>(std::move(reader), options.threaded);
  for (const PointSpec& p : watch_) seen_.emplace(p.label, 0);
  struct stat st {};
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    file_size_ = static_cast<uint64_t>(st.st_size);
    literal_prescan();
  }
  started_ = now_seconds();
}

Replay::~Replay() {
  if (progress_shown_) std::fputs("\r\033[K", stderr);
}

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
  batch_ = &pipe_->next();
  batch_pos_ = 0;
  line_ = batch_->line;
  bytes_consumed_ = batch_->bytes_consumed;
  // Worth it only when the model no longer fits in cache; on a small live set the lookahead costs more than it
  // saves (a cache-resident trace of 10k live objects: 37% more CPU time with it; 65k: 27% less).
  lookahead_ = model_.slot_count() >= kLookaheadFrom;
  if (!lookahead_) return true;
  // The first records of the batch go through the steps of step()'s window at once.
  const std::vector<Event>& evs = batch_->events;
  for (size_t i = 0; i < std::min(kAhead, evs.size()); ++i) model_.prefetch(evs[i]);
  for (size_t i = 0; i < std::min(kAhead / 2, evs.size()); ++i) hints_[i] = model_.resolve(evs[i]);
  for (size_t i = 0; i < std::min(kAhead / 4, evs.size()); ++i) model_.prefetch_edges(hints_[i]);
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

bool Replay::step() {
  while (batch_pos_ == (batch_ ? batch_->events.size() : 0)) {
    if (ended_ || !next_batch()) return false;
  }
  const std::vector<Event>& evs = batch_->events;
  size_t i = batch_pos_++;
  const Event& ev = evs[i];
  if (!Model::names_object(ev)) declare(ev);
  if (lookahead_) {
    if (i + kAhead < evs.size()) model_.prefetch(evs[i + kAhead]);
    if (i + kAhead / 2 < evs.size()) hints_[i + kAhead / 2] = model_.resolve(evs[i + kAhead / 2]);
    if (i + kAhead / 4 < evs.size()) model_.prefetch_edges(hints_[i + kAhead / 4]);
    model_.apply(ev, hints_[i]);
  } else {
    model_.apply(ev);
  }
  if (ev.kind == RecordKind::Marker) on_marker(ev);
  if (options_.progress && line_ >= next_progress_check_) show_progress();
  return true;
}

void Replay::on_marker(const Event& ev) {
  auto it = seen_.find(std::string(ev.text));
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
  while (!resolved_[index]) {
    if (!step()) {
      check_figures();
      std::string message = "no marker '" + p.text + "' in " + info_.name;
      auto it = seen_.find(p.label);
      if (p.has_occurrence && it != seen_.end())
        message += " ('" + p.label + "' occurs " + std::to_string(it->second) + " times)";
      throw UsageError(message);
    }
  }
  check_figures();
  return *resolved_[index];
}

uint64_t Replay::advance_to_end() {
  while (step()) {
  }
  check_figures();
  return model_.last_line();
}

void Replay::check_figures() const {
  if (uint64_t line = model_.bytes_overflow_line())
    throw TraceError(info_.name, line,
                     "the live objects' sizes add up to more than 2^63-1 bytes (8 EiB) here: no figure about them "
                     "could be right; is the trace corrupt?");
}

void Replay::show_progress() {
  next_progress_check_ = line_ + kProgressEvery;
  double t = now_seconds();
  if (t - started_ < 1.0 || t - last_progress_ < 0.25) return;
  last_progress_ = t;
  progress_shown_ = true;
  double mb = static_cast<double>(bytes_consumed_) / 1e6;
  if (file_size_ > 0 && info_.encoding == std::string("plain"))
    std::fprintf(stderr, "\r\033[Krefscope: reading %s: %.0f%% (%.0f MB, %llu lines)", info_.name.c_str(),
                 100.0 * static_cast<double>(bytes_consumed_) / static_cast<double>(file_size_), mb,
                 static_cast<unsigned long long>(line_));
  else
    std::fprintf(stderr, "\r\033[Krefscope: reading %s: %.0f MB, %llu lines", info_.name.c_str(), mb,
                 static_cast<unsigned long long>(line_));
}

}  // namespace refscope
