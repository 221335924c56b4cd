#include "refscope/cli/common.h"

#include <cstdlib>
#include <string_view>

#include "refscope/util/error.h"

namespace refscope::cli {
namespace {
bool progress_allowed = false;
}

void set_progress_allowed(bool allowed) { progress_allowed = allowed; }

Format CommonOptions::parsed_format() const {
  if (format == "json") return Format::Json;
  if (format == "tsv") return Format::Tsv;
  if (format == "dot") return Format::Dot;
  return Format::Text;
}

void add_trace_argument(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("TRACE", o.trace, "Trace file, plain, gzip or zstd; - (the default) reads stdin");
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
}  // namespace

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
  cmd->add_option("--max-anomalies", o.keep_anomalies,
                  "Anomalies listed with their line (all are counted; default 100)")
      ->type_name("N");
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
  Window w;
  auto from = from_point(o);
  auto at = at_point(o);
  if (from) {
    if (at && at->text == from->text)
      throw UsageError("--from and --at name the same marker '" + from->text + "': the window would be empty");
    w.from_line = r.advance_to(*from);
    if (at) {
      if (auto passed = r.resolved_line(*at); passed && *passed < w.from_line)
        throw UsageError("--at marker '" + at->text + "' (line " + std::to_string(*passed) +
                         ") comes before --from marker '" + from->text + "' (line " + std::to_string(w.from_line) +
                         ")");
    }
  }
  w.to_line = at ? r.advance_to(*at) : r.advance_to_end();
  return w;
}

}  // namespace refscope::cli
