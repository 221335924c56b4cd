// refscope-gen-trace: writes synthetic format-1 traces for refscope's benchmarks and tests.
//
// Three workloads (see gen/*_workload.cpp): `mixed`, a churned live set whose objects reference each other; `churn`,
// exactly the workload of refscope-churn (churn.c), for the comparison with heaptrack; `graph`, a large heap built
// once, for the graph analyses. Everything is deterministic for a given seed and set of options.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gen/object_catalog.h"
#include "gen/trace_writer.h"
#include "gen/workloads.h"

namespace refscope_bench {
namespace {

constexpr const char* kUsage = R"(usage: refscope-gen-trace [OPTIONS]

Writes a synthetic refscope trace (format 1, text) to stdout or to -o FILE.

Workloads:
  --workload mixed   (default) a live set of --live objects that reference each other, churned one replacement at
                     a time until --events records are written; each replacement releases and frees an object and
                     allocates its successor, usually at the same address
  --workload churn   exactly refscope-churn's workload: --allocations allocations over a --live object live set,
                     each replaced object released (D) and freed (F) before its successor is allocated (A)
  --workload graph   --live objects built once, about --density owner references each, reachable from a few roots,
                     plus unowned leaks and garbage rings (--leak-fraction)

Options:
  -o, --output FILE      write here ("-": stdout, the default)
  -n, --events N         mixed: records to write (default 10M); the last step is completed
  -l, --live L           live-set size (default: mixed 100k, churn 65536, graph 1M)
  -a, --allocations N    churn: allocations in all (default 5M)
  -d, --density D        owner references per object, a mean (default 3)
      --leak-fraction F  mixed: fraction of steps that leak something, taking turns: unowned, retained by a cache,
                         a cycle (sometimes with an object only the cycle holds); default 0.
                         graph: fraction of objects that are leaks, half unowned, half on garbage rings (default 0.01)
      --roots F          graph: fraction of objects that are roots, allocated before marker `roots` (default 0.001)
      --refs exact|sampled
                         exact (default): every incref and decref, in order; sampled: the differences between
                         checkpoints, as the recorder's snapshot mode writes them (a checkpoint per --marker-every)
  -m, --marker-every K   records between markers iter-1, iter-2, ... (default: mixed 1M, otherwise none); in a
                         sampled mixed trace, simulated records between checkpoints
      --gc-every K       mixed, exact: a G..g bracket every K records that collects the garbage cycles made since
      --garbage-cycles F mixed: fraction of steps that make a garbage cycle for the next bracket (default 0.02)
      --temp-refs X      mixed, exact: mean I/D pairs of temporary external references per step (default 1)
      --observe F        mixed, exact: fraction of steps that write an R record with the true refcount (default 0.01)
      --immortals N      mixed: immortal objects, targets of temporary references (default 8)
      --anomalies N      mixed, exact: inject N anomalies, spread over the trace, the eight kinds in turn; a correct
                         replay reports exactly the counts --stats prints. Without it a replay reports none.
      --teardown         mixed: at the end, release and free every object but the injected leaks
  -s, --seed S           random seed (default 1)
      --stats            print what was written to stderr as key=value pairs
  -h, --help             this text

N, L, K accept the suffixes k, M, G (10^3, 10^6, 10^9).
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "refscope-gen-trace: %s\nTry 'refscope-gen-trace --help'.\n", message.c_str());
  std::exit(2);
}

uint64_t parse_count(std::string_view option, const char* text) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text, &end);
  if (end == text || errno != 0) usage_error(std::string(option) + ": not a number: " + text);
  std::string_view rest(end);
  if (rest == "k" || rest == "K")
    value *= 1e3;
  else if (rest == "M")
    value *= 1e6;
  else if (rest == "G")
    value *= 1e9;
  else if (!rest.empty())
    usage_error(std::string(option) + ": not a number: " + text);
  if (!(value >= 0) || value > 1e15 || value != std::floor(value))
    usage_error(std::string(option) + ": not a whole number from 0 to 10^15: " + text);
  return static_cast<uint64_t>(value);
}

double parse_fraction(std::string_view option, const char* text, double max) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= 0) || value > max)
    usage_error(std::string(option) + ": expected a number from 0 to " + std::to_string(max) + ": " + text);
  return value;
}

struct Parsed {
  GenOptions options;
  bool live_given = false, leaks_given = false, markers_given = false;
};

Parsed parse_args(int argc, char** argv) {
  Parsed parsed;
  GenOptions& o = parsed.options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
      inline_value = std::string(arg.substr(arg.find('=') + 1));
      arg = arg.substr(0, arg.find('='));
      has_inline = true;
    }
    auto value = [&]() -> const char* {
      if (has_inline) return inline_value.c_str();
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "-o" || arg == "--output") {
      o.output = value();
    } else if (arg == "--workload") {
      std::string_view w = value();
      if (w == "mixed")
        o.workload = Workload::Mixed;
      else if (w == "churn")
        o.workload = Workload::Churn;
      else if (w == "graph")
        o.workload = Workload::Graph;
      else
        usage_error("--workload: expected mixed, churn or graph: " + std::string(w));
    } else if (arg == "--graph") {  // shorthand
      o.workload = Workload::Graph;
    } else if (arg == "-n" || arg == "--events") {
      o.events = parse_count(arg, value());
    } else if (arg == "-l" || arg == "--live") {
      o.live = parse_count(arg, value());
      parsed.live_given = true;
    } else if (arg == "-a" || arg == "--allocations") {
      o.allocations = parse_count(arg, value());
    } else if (arg == "-d" || arg == "--density") {
      o.density = parse_fraction(arg, value(), 64);
    } else if (arg == "--leak-fraction") {
      o.leak_fraction = parse_fraction(arg, value(), 1);
      parsed.leaks_given = true;
    } else if (arg == "--roots") {
      o.roots = parse_fraction(arg, value(), 1);
    } else if (arg == "--refs") {
      std::string_view r = value();
      if (r == "exact")
        o.sampled = false;
      else if (r == "sampled")
        o.sampled = true;
      else
        usage_error("--refs: expected exact or sampled: " + std::string(r));
    } else if (arg == "-m" || arg == "--marker-every") {
      o.marker_every = parse_count(arg, value());
      parsed.markers_given = true;
    } else if (arg == "--gc-every") {
      o.gc_every = parse_count(arg, value());
    } else if (arg == "--garbage-cycles") {
      o.garbage_cycles = parse_fraction(arg, value(), 1);
    } else if (arg == "--temp-refs") {
      o.temp_refs = parse_fraction(arg, value(), 1000);
    } else if (arg == "--observe") {
      o.observe = parse_fraction(arg, value(), 1);
    } else if (arg == "--immortals") {
      o.immortals = parse_count(arg, value());
    } else if (arg == "--anomalies") {
      o.anomalies = parse_count(arg, value());
    } else if (arg == "--teardown") {
      o.teardown = true;
    } else if (arg == "-s" || arg == "--seed") {
      o.seed = parse_count(arg, value());
    } else if (arg == "--stats") {
      o.stats = true;
    } else {
      usage_error("unknown option: " + std::string(arg));
    }
  }
  return parsed;
}

void apply_defaults_and_check(Parsed& parsed) {
  GenOptions& o = parsed.options;
  const bool mixed = o.workload == Workload::Mixed;
  if (!parsed.live_given)
    o.live = o.workload == Workload::Churn ? BENCH_CHURN_LIVE : (mixed ? 100000 : 1000000);
  if (!parsed.leaks_given) o.leak_fraction = o.workload == Workload::Graph ? 0.01 : 0.0;
  if (!parsed.markers_given) o.marker_every = mixed ? 1000000 : 0;

  if (!mixed) {
    if (o.gc_every != 0) usage_error("--gc-every is for --workload mixed");
    if (o.anomalies != 0) usage_error("--anomalies is for --workload mixed");
    if (o.teardown) usage_error("--teardown is for --workload mixed");
  }
  if (o.workload == Workload::Churn) {
    if (o.sampled) usage_error("--workload churn writes exact traces only");
    if (o.live == 0) usage_error("--live must be at least 1");
  }
  if (mixed && (o.live < 1 || o.live > (uint64_t{1} << 30))) usage_error("--live must be 1 to 2^30 for mixed");
  if (o.workload == Workload::Graph && (o.live < 2 || o.live > (uint64_t{1} << 32) - 1))
    usage_error("--live must be 2 to 2^32-1 for graph");
  if (o.sampled) {
    if (o.gc_every != 0) usage_error("--gc-every needs --refs exact (a sampled trace sees no collections)");
    if (o.anomalies != 0) usage_error("--anomalies needs --refs exact");
    if (mixed && o.marker_every == 0) usage_error("a sampled mixed trace needs --marker-every above 0 (checkpoints)");
  }
  if (o.workload == Workload::Churn && parsed.leaks_given && o.leak_fraction != 0)
    usage_error("--leak-fraction is not for --workload churn");
}

const char* workload_name(Workload w) {
  switch (w) {
    case Workload::Churn: return "churn";
    case Workload::Graph: return "graph";
    default: return "mixed";
  }
}

void write_preamble(TraceWriter& out, const GenOptions& o, int argc, char** argv) {
  out.line("refscope-trace 1");
  std::string command = "# written by";
  for (int i = 0; i < argc; ++i) {
    command += ' ';
    command += i == 0 ? "refscope-gen-trace" : argv[i];
  }
  out.line(command);
  out.start_counting();
  out.line(o.sampled ? "@ refs sampled" : "@ refs exact");
  out.line("@ generator refscope-gen-trace");
  out.line(std::string("@ workload ") + workload_name(o.workload));
  out.line("@ seed " + std::to_string(o.seed));
  ObjectCatalog::write_declarations(out);
}

void print_stats(const GenStats& s, uint64_t records, uint64_t bytes) {
  uint64_t anomalies = 0;
  for (uint64_t n : s.anomalies) anomalies += n;
  std::string line = "refscope-gen-trace:";
  auto add = [&](const char* key, uint64_t value) {
    line += ' ';
    line += key;
    line += '=';
    line += std::to_string(value);
  };
  add("records", records);
  add("bytes", bytes);
  add("allocs", s.allocs);
  add("frees", s.frees);
  add("live", s.live);
  add("owner_refs", s.owner_refs);
  add("leaks_unowned", s.leaks_unowned);
  add("leaks_retained", s.leaks_retained);
  add("leaks_cyclic", s.leaks_cyclic);
  add("leaks_indirect", s.leaks_indirect);
  add("gc_brackets", s.gc_brackets);
  add("garbage_collected", s.garbage_collected);
  add("markers", s.markers);
  add("anomalies", anomalies);
  for (int k = 0; k < 8; ++k) {
    if (s.anomalies[k] != 0) add((std::string("anomaly.") + kAnomalyKinds[k]).c_str(), s.anomalies[k]);
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

int run(int argc, char** argv) {
  Parsed parsed = parse_args(argc, argv);
  apply_defaults_and_check(parsed);
  const GenOptions& o = parsed.options;

  int fd = 1;
  std::string name = "stdout";
  if (o.output != "-") {
    fd = ::open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "refscope-gen-trace: cannot open %s: %s\n", o.output.c_str(), std::strerror(errno));
      return 2;
    }
    name = o.output;
  }
  GenStats stats;
  uint64_t records = 0, bytes = 0;
  {
    TraceWriter out(fd, name);
    write_preamble(out, o, argc, argv);
    switch (o.workload) {
      case Workload::Churn: run_churn(o, out, stats); break;
      case Workload::Graph: run_graph(o, out, stats); break;
      default: run_mixed(o, out, stats); break;
    }
    out.flush();
    records = out.records();
    bytes = out.bytes();
  }
  if (fd != 1 && ::close(fd) != 0) {
    std::fprintf(stderr, "refscope-gen-trace: cannot write %s: %s\n", name.c_str(), std::strerror(errno));
    return 2;
  }
  if (o.stats) print_stats(stats, records, bytes);
  return 0;
}

}  // namespace
}  // namespace refscope_bench

int main(int argc, char** argv) {
  try {
    return refscope_bench::run(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "refscope-gen-trace: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "refscope-gen-trace: %s\n", e.what());
    return 1;
  }
}
