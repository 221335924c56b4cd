#include "refscope/cli/common.h"

#include <cstdlib>
#include <string_view>

#include "refscope/analysis/source_paths.h"
#include "refscope/report/format.h"
#include "refscope/report/output.h"
#include "refscope/util/error.h"
#include "refscope/util/progress.h"

namespace refscope::cli {
namespace {
bool progress_allowed = false;
}

void set_progress_allowed(bool allowed) {
  progress_allowed = allowed;
  progress::enable(allowed);
}

Format chosen_format(const CommonOptions& o) {
  if (auto f = parse_format(o.format)) return *f;
  throw UsageError("--format: unknown format '" + o.format + "'");
}

Output& report_output() {
  progress::clear();  // the report must not share a terminal line with the progress line
  return standard_output();
}

void add_trace_argument(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("TRACE", o.trace, "Trace file, text or binary, plain, gzip or zstd; - (the default) reads stdin");
}

void add_format_option(CLI::App* cmd, CommonOptions& o, const std::vector<std::string>& formats) {
  o.format = formats.front();
  std::string names;
  for (const auto& f : formats) names += (names.empty() ? "" : "|") + f;
  cmd->add_option("--format", o.format, "Output format: " + names + " (default " + formats.front() + ")")
      ->check(CLI::IsMember(formats))
      ->type_name("FORMAT");
}

namespace {

// An empty label would silently mean "no marker"; it is a usage error instead.
std::string nonempty_label(const std::string& label) {
  return label.empty() ? "a marker label cannot be empty" : "";
}

// Counts are digits only: a sign would be taken for a huge number by the conversion to an unsigned type.
std::string whole_number(const std::string& text) {
  bool digits = !text.empty();
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  return digits ? "" : "expects a whole number, 0 or more, not '" + text + "'";
}

}  // namespace

CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, size_t& value, const std::string& help) {
  return cmd->add_option(name, value, help)->check(whole_number)->type_name("N");
}

CLI::Option* add_count_option(CLI::App* cmd, const std::string& name, std::optional<uint64_t>& value,
                              const std::string& help) {
  return cmd->add_option(name, value, help)->check(whole_number)->type_name("N");
}

void add_suppressions_option(CLI::App* cmd, std::vector<std::string>& files) {
  cmd->add_option("--suppressions", files,
                  "LeakSanitizer-style file of leak:GLOB lines matched against the type and every frame's function "
                  "and file (repeatable)")
      ->allow_extra_args(false)
      ->type_name("FILE");
}

void add_root_option(CLI::App* cmd, std::string& root) {
  cmd->add_option("--root", root,
                  "The project root: suppressions match files, and baselines and JUnit name them, relative to it "
                  "(default: the one the trace names, or the directory it was recorded in)")
      ->type_name("DIR");
}

void add_at_option(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--at,--to", o.at, "Analyse the trace at this marker (LABEL or LABEL#N); default: its end")
      ->type_name("LABEL")
      ->check(nonempty_label);
}

void add_from_option(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--from", o.from, "Window start: only objects allocated after this marker (LABEL or LABEL#N)")
      ->type_name("LABEL")
      ->check(nonempty_label);
}

void add_anomaly_option(CLI::App* cmd, CommonOptions& o) {
  add_count_option(cmd, "--max-anomalies", o.keep_anomalies,
                   "Anomalies listed with their line (all are counted; default 100)");
}

std::optional<PointSpec> from_point(const CommonOptions& o) {
  if (o.from.empty()) return std::nullopt;
  return parse_point(o.from);
}

std::optional<PointSpec> at_point(const CommonOptions& o) {
  if (o.at.empty()) return std::nullopt;
  return parse_point(o.at);
}

std::unique_ptr<Replay> open_replay(const CommonOptions& o, std::vector<PointSpec> extra) {
  std::vector<PointSpec> watch = std::move(extra);
  if (auto p = from_point(o)) watch.push_back(*p);
  if (auto p = at_point(o)) watch.push_back(*p);
  ReplayOptions options;
  options.model.keep_anomalies = o.keep_anomalies;
  options.progress = progress_allowed;
  // One core only (a busy machine, a measurement): REFSCOPE_THREADS=1.
  if (const char* threads = std::getenv("REFSCOPE_THREADS"); threads && std::string_view(threads) == "1")
    options.threaded = false;
  return std::make_unique<Replay>(o.trace, std::move(watch), options);
}

Window advance_window(Replay& r, const CommonOptions& o) {
  Window w{{o.from, 0}, {o.at, 0}};
  auto from = from_point(o);
  auto at = at_point(o);
  if (from) {
    if (at && at->text == from->text)
      throw UsageError("--from and --at name the same marker '" + from->text + "': the window would be empty");
    w.from.line = r.advance_to(*from);
    if (at) {
      if (auto passed = r.resolved_line(*at); passed && *passed < w.from.line)
        throw UsageError("--at marker '" + at->text + "' (line " + std::to_string(*passed) +
                         ") comes before --from marker '" + from->text + "' (line " + std::to_string(w.from.line) +
                         ")");
    }
  }
  w.to.line = at ? r.advance_to(*at) : r.advance_to_end();
  show_sites_from(r);
  return w;
}

void show_sites_from(const Replay& r, const std::string& root) {
  set_site_root(SourcePaths::of(r.info(), root).project_root());
}

}  // namespace refscope::cli
