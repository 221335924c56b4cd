#pragma once
// What every analysis command shares, declared once so that options read and behave the same everywhere: the trace
// argument, --format (offering exactly the formats the command's report renders), the points, counts that must
// be whole numbers, and the one way a finished result reaches stdout.
#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "refscope/analysis/result.h"
#include "refscope/replay/replay.h"
#include "refscope/report/render.h"

namespace refscope::cli {

struct CommonOptions {
  std::string trace = "-";
  std::string format = "text";
  std::string at;    // --at / --to: the point P (default: the end of the trace)
  std::string from;  // --from: the window's start (default: the trace's beginning)
  size_t keep_anomalies = 100;
};

// TRACE positional (default "-", stdin).
void add_trace_argument(CLI::App* cmd, CommonOptions& o);
// --format with the given formats, the first being the default.
void add_format_option(CLI::App* cmd, CommonOptions& o, const std::vector<std::string>& formats);
template <typename Result>
void add_format_option(CLI::App* cmd, CommonOptions& o, const Renderers<Result>& renderers) {
  add_format_option(cmd, o, renderers.names());
}
// --at LABEL (and its synonym --to).
void add_at_option(CLI::App* cmd, CommonOptions& o);
// --from LABEL.
void add_from_option(CLI::App* cmd, CommonOptions& o);
// --max-anomalies N.
void add_anomaly_option(CLI::App* cmd, CommonOptions& o);
// A whole number 0 or more: "-1" is an error, not 18446744073709551615.
CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, size_t& value, const std::string& help);
CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, std::optional<uint64_t>& value,
                              const std::string& help);

// --suppressions FILE (repeatable), for the commands that classify leaks.
void add_suppressions_option(CLI::App* cmd, std::vector<std::string>& files);
// --root DIR: the project root that portable file names are relative to (source_paths.h).
void add_root_option(CLI::App* cmd, std::string& root);

// The replay the options ask for: the trace opened, the points announced, progress on when stderr is a terminal.
// `extra` announces further points the command will ask for (check --repeat), so their occurrences count from
// the start of the trace.
std::unique_ptr<Replay> open_replay(const CommonOptions& o, std::vector<PointSpec> extra = {});

// The points --from and --at name, or nullopt.
std::optional<PointSpec> from_point(const CommonOptions& o);
std::optional<PointSpec> at_point(const CommonOptions& o);

// Advances `r` to --from (if given) and then to --at or the end: the window, each end with its marker and line
// (the start's line is 0 without --from: objects allocated after it belong to the window).
Window advance_window(Replay& r, const CommonOptions& o);

// Text reports show sites relative to the trace's project root (its `@ path` records) or `root` (--root), once the
// replay has read the trace's header (report/format.h, set_site_root). advance_window calls it.
void show_sites_from(const Replay& r, const std::string& root = "");

// Renders a finished result to stdout in the format --format chose.
Format chosen_format(const CommonOptions& o);
Output& report_output();
template <typename Result>
void emit(const Renderers<Result>& renderers, const CommonOptions& o, const Result& result) {
  render(renderers, chosen_format(o), result, report_output());
}

// Whether a progress line may be drawn (stderr is a terminal and -q was not given); set by app.cpp.
void set_progress_allowed(bool allowed);

}  // namespace refscope::cli
