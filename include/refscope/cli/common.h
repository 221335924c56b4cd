#pragma once
// Options every analysis command shares, declared once so that they read and behave the same everywhere.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "refscope/replay/replay.h"

namespace refscope::cli {

enum class Format { Text, Json, Tsv, Dot };

struct CommonOptions {
  std::string trace = "-";
  std::string format = "text";
  std::string at;    // --at / --to: the point P (default: the end of the trace)
  std::string from;  // --from: the window's start (default: the trace's beginning)
  size_t keep_anomalies = 100;

  Format parsed_format() const;
};

// TRACE positional (default "-", stdin).
void add_trace_argument(CLI::App* cmd, CommonOptions& o);
// --format with the formats this command offers, the first being the default.
void add_format_option(CLI::App* cmd, CommonOptions& o, const std::vector<std::string>& formats);
// --at LABEL (and its synonym --to).
void add_at_option(CLI::App* cmd, CommonOptions& o);
// --from LABEL.
void add_from_option(CLI::App* cmd, CommonOptions& o);
// --max-anomalies N.
void add_anomaly_option(CLI::App* cmd, CommonOptions& o);

// The replay the options ask for: the trace opened, the points announced, progress on when stderr is a terminal.
// `extra` announces further points the command will ask for (check --repeat), so their occurrences count from
// the start of the trace.
std::unique_ptr<Replay> open_replay(const CommonOptions& o, std::vector<PointSpec> extra = {});

// The points --from and --at name, or nullopt.
std::optional<PointSpec> from_point(const CommonOptions& o);
std::optional<PointSpec> at_point(const CommonOptions& o);

// Advances `r` to --from (if given; returns its line, 0 otherwise) and then to --at or the end (returns that line).
struct Window {
  uint64_t from_line = 0;  // objects allocated after this line belong to the window
  uint64_t to_line = 0;
};
Window advance_window(Replay& r, const CommonOptions& o);

// Whether a progress line may be drawn (stderr is a terminal and -q was not given); set by app.cpp.
void set_progress_allowed(bool allowed);

}  // namespace refscope::cli
