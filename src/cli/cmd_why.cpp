// refscope why: what keeps one object alive, as the shortest chains of owners from roots to it.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/format.h"
#include "refscope/report/why_report.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct WhyOptions {
  CommonOptions common;
  std::string target;
  std::string type;
  size_t rank = 1;
  size_t max_paths = 5;
};

struct TargetSpec {
  uint64_t addr = 0;
  uint64_t line = 0;  // 0: any
};

TargetSpec parse_target(const std::string& text) {
  auto bad = [&] {
    return UsageError("target '" + text + "' is not an object: write 0xADDR or 0xADDR@LINE, or use --type NAME");
  };
  std::string_view t = text;
  size_t at = t.find('@');
  std::string_view addr = t.substr(0, at);
  if (addr.starts_with("0x") || addr.starts_with("0X")) addr.remove_prefix(2);
  TargetSpec spec;
  auto [p, ec] = std::from_chars(addr.data(), addr.data() + addr.size(), spec.addr, 16);
  if (addr.empty() || ec != std::errc() || p != addr.data() + addr.size() || spec.addr == 0) throw bad();
  if (at != std::string_view::npos) {
    std::string_view line = t.substr(at + 1);
    auto [q, ec2] = std::from_chars(line.data(), line.data() + line.size(), spec.line);
    if (line.empty() || ec2 != std::errc() || q != line.data() + line.size() || spec.line == 0) throw bad();
  }
  return spec;
}

std::string where(const WhyOptions& o, uint64_t line) {
  return o.common.at.empty() ? fmt::format("at the end of the trace (line {})", line)
                             : fmt::format("at marker '{}' (line {})", o.common.at, line);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 12; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 12) out += fmt::format(" and {} more", names.size() - 12);
  return out;
}

// The type --type names: the trace's type of that name; or, when no type is called that, the one type whose name
// ends with it after a dot (`bytearray` is `builtins.bytearray`). Several such: an error naming them; none: an
// error naming the types whose names contain it, whatever the case.
std::string resolve_type(const std::string& wanted, const SymbolTable& symbols) {
  std::vector<std::string> exact, dotted, similar;
  std::string lower_wanted;
  for (char c : wanted) lower_wanted += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 1; i < symbols.type_count(); ++i) {
    const std::string& name = symbols.type_name(TypeIdx(static_cast<uint32_t>(i)));
    if (name == wanted) exact.push_back(name);
    else if (name.size() > wanted.size() && name.ends_with(wanted) && name[name.size() - wanted.size() - 1] == '.')
      dotted.push_back(name);
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != wanted && lower.find(lower_wanted) != std::string::npos) similar.push_back(name);
  }
  if (!exact.empty()) return wanted;
  std::sort(dotted.begin(), dotted.end());
  dotted.erase(std::unique(dotted.begin(), dotted.end()), dotted.end());
  if (dotted.size() == 1) return dotted.front();
  if (dotted.size() > 1)
    throw UsageError(fmt::format("--type '{}' could be any of {} types: {}; give the whole name", wanted,
                                 dotted.size(), quoted_list(dotted)));
  std::sort(similar.begin(), similar.end());
  similar.erase(std::unique(similar.begin(), similar.end()), similar.end());
  if (similar.empty()) throw UsageError(fmt::format("--type '{}': the trace names no such type", wanted));
  throw UsageError(fmt::format("--type '{}': the trace names no such type; types whose names contain it: {}", wanted,
                               quoted_list(similar)));
}

// The object the options name, and how it was chosen.
ObjSlot pick_target(const WhyOptions& o, const Replay& replay, uint64_t at_line, std::string& chosen_by) {
  const Model& m = replay.model();
  if (!o.type.empty()) {
    std::string type = resolve_type(o.type, replay.symbols());
    std::vector<ObjSlot> of_type = live_objects_of_type(m, replay.symbols(), type);
    if (of_type.empty()) throw UsageError("no live object of type '" + type + "' " + where(o, at_line));
    if (o.rank == 0 || o.rank > of_type.size())
      throw UsageError(fmt::format("--rank {}: there are {} live objects of type '{}' {}", o.rank, of_type.size(),
                                   type, where(o, at_line)));
    chosen_by = fmt::format("the largest live object of type '{}'", type);
    if (o.rank > 1) chosen_by = fmt::format("number {} by size of the live objects of type '{}'", o.rank, type);
    chosen_by += fmt::format(" ({} in all)", of_type.size());
    return largest(m, of_type, o.rank);
  }
  TargetSpec spec = parse_target(o.target);
  ObjSlot s = m.find(spec.addr);
  if (!Model::valid(s))
    throw UsageError(fmt::format("no live object at {} {}", hex_address(spec.addr), where(o, at_line)));
  const Object& x = m.object(s);
  if (spec.line != 0 && spec.line != x.line)
    throw UsageError(fmt::format("{} is not live {}: the object at {} now is {}", object_name(spec.addr, spec.line),
                                 where(o, at_line), hex_address(spec.addr), object_name(x.addr, x.line)));
  return s;
}

int run_why(const WhyOptions& o) {
  if (o.target.empty() == o.type.empty())
    throw UsageError("why needs one target: an object (0xADDR or 0xADDR@LINE) or --type NAME");
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  std::string chosen_by;
  ObjSlot target = pick_target(o, *replay, w.to.line, chosen_by);
  WhyResult r = why_alive(replay->model(), replay->symbols(), target, o.max_paths);
  r.at = w.to;
  r.chosen_by = chosen_by;
  emit(kWhyRenderers, o.common, r);
  return 0;
}

}  // namespace

void add_why_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<WhyOptions>();
  CLI::App* cmd =
      app.add_subcommand("why", "What keeps an object alive: the shortest chains of owners from roots to it");
  cmd->add_option("TRACE", o->common.trace, "Trace file, text or binary, plain, gzip or zstd; - reads stdin")
      ->required();
  cmd->add_option("TARGET", o->target, "The object: 0xADDR, or 0xADDR@LINE to be sure it is the one meant");
  add_format_option(cmd, o->common, kWhyRenderers);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--type", o->type, "Instead of TARGET: the largest live object of this type")->type_name("NAME");
  add_count_option(cmd, "--rank", o->rank, "With --type: the K-th largest instead (default 1)")->type_name("K");
  add_count_option(cmd, "--max-paths", o->max_paths, "Paths shown, each from a different root (0 = all; default 5)");
  cmd->callback([&selected, o] { selected = [o] { return run_why(*o); }; });
}

}  // namespace refscope::cli
