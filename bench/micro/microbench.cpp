// refscope-microbench: the replay's two hottest parts on their own, so that a change to either shows as a number.
//
//   line-parser   TraceReader::read_batch over a trace held in memory (what the replay's reading thread runs):
//                 finding lines and fields, decoding addresses (what heaptrack's bench_linereader measures for its
//                 reader); and TraceReader::next, which gives the same records one Event at a time
//   hex           wide::hex16 alone, on addresses of 12 digits
//   addr-map      AddrMap: find / erase / put as a churn does (free an object, allocate one), with and without
//                 prefetching the slots a few operations ahead, at a live set that fits in cache and one that does not
//
// Each figure is the median of --repeat runs, in CPU time of this thread (steady on a shared machine): nanoseconds
// an operation and millions of operations a second.
//
//   refscope-microbench [--only NAME] [--records N] [--repeat K]
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "refscope/reader/trace_reader.h"
#include "refscope/reader/wide_scan.h"
#include "refscope/source/byte_source.h"
#include "refscope/util/addr_map.h"

namespace {

using namespace refscope;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int repeat = 5;

// Runs `body` (which does `ops` operations) `repeat` times, each after an untimed `reset`, and prints the median.
template <typename F, typename R>
void measure(const char* name, uint64_t ops, F&& body, R&& reset) {
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    reset();
    double start = cpu_seconds();
    body();
    t.push_back(cpu_seconds() - start);
  }
  std::sort(t.begin(), t.end());
  double s = t[t.size() / 2];
  std::printf("%-34s %9.2f ns/op %9.1f M/s\n", name, s * 1e9 / static_cast<double>(ops),
              static_cast<double>(ops) / s / 1e6);
}
template <typename F>
void measure(const char* name, uint64_t ops, F&& body) {
  measure(name, ops, body, [] {});
}

volatile uint64_t sink;

// A churn-like trace: A, D, F over a live set, and I/D with owners, addresses spread as a heap's are.
std::string make_trace(size_t records, std::vector<uint64_t>& addrs) {
  std::mt19937_64 rng(1);
  std::string t = "refscope-trace 1\nT 1 builtins.dict\nS 1 0 10 main app.py\n";
  const size_t live = 65536;
  addrs.resize(live);
  for (size_t i = 0; i < live; ++i) addrs[i] = 0x7f0000000000ull + (rng() & 0xffffffff0ull);
  char line[64];
  size_t n = 0;
  for (size_t i = 0; i < live && n < records; ++i, ++n)
    t.append(line, std::snprintf(line, sizeof line, "A %llx %u 1 1\n", static_cast<unsigned long long>(addrs[i]),
                                 static_cast<unsigned>(32 + (rng() & 255))));
  while (n < records) {
    size_t k = rng() % live, o = rng() % live;
    auto a = static_cast<unsigned long long>(addrs[k]), b = static_cast<unsigned long long>(addrs[o]);
    t.append(line, std::snprintf(line, sizeof line, "I %llx %llx\n", a, b));
    t.append(line, std::snprintf(line, sizeof line, "D %llx %llx\n", a, b));
    t.append(line, std::snprintf(line, sizeof line, "D %llx\n", a));
    t.append(line, std::snprintf(line, sizeof line, "F %llx\n", a));
    addrs[k] = 0x7f0000000000ull + (rng() & 0xffffffff0ull);
    t.append(line, std::snprintf(line, sizeof line, "A %llx %u 1 1\n", static_cast<unsigned long long>(addrs[k]),
                                 static_cast<unsigned>(32 + (rng() & 255))));
    n += 5;
  }
  return t;
}

void bench_line_parser(size_t records) {
  std::vector<uint64_t> addrs;
  std::string trace = make_trace(records, addrs);
  uint64_t count = 0;
  measure("line-parser (churn-like lines)", records, [&] {
    TraceReader r(open_memory(trace, "bench"), "bench");
    RecordBatch b;
    uint64_t n = 0, x = 0;
    do {
      r.read_batch(b);
      for (const HeapRecord& rec : b.records) x += rec.addr;
      n += b.records.size();
    } while (!b.end && !b.error);
    sink = x;
    count = n;
  });
  measure("line-parser, one Event at a time", records, [&] {
    TraceReader r(open_memory(trace, "bench"), "bench");
    Event ev;
    uint64_t x = 0;
    while (r.next(ev)) x += ev.addr;
    sink = x;
  });
  std::printf("%-34s %9.1f bytes/record, %llu records\n", "", static_cast<double>(trace.size()) / count,
              static_cast<unsigned long long>(count));
}

void bench_hex(size_t n) {
  std::vector<char> text(16 + n * 13 + 32);
  std::mt19937_64 rng(2);
  for (size_t i = 0; i < n; ++i)
    std::snprintf(text.data() + 16 + i * 13, 14, "%012llx ",
                  static_cast<unsigned long long>(0x7f0000000000ull + (rng() & 0xfffffffff0ull)));
  measure("hex (wide::hex16, 12 digits)", n, [&] {
    uint64_t x = 0, v = 0;
    for (size_t i = 0; i < n; ++i) {
      wide::hex16(text.data() + 16 + i * 13 + 12, 12, v);
      x += v;
    }
    sink = x;
  });
}

void bench_addr_map(size_t live, size_t ops, bool prefetch) {
  std::mt19937_64 rng(3);
  AddrMap map;
  std::vector<uint64_t> addrs(live);
  for (size_t i = 0; i < live; ++i) {
    addrs[i] = 0x7f0000000000ull + (rng() & 0xfffffffff0ull);
    map.put(addrs[i], static_cast<uint32_t>(i));
  }
  // The same random sequence of steps each repetition: free the object at a random slot, allocate a new one there.
  std::vector<uint32_t> victims(ops);
  std::vector<uint64_t> fresh(ops);
  for (size_t i = 0; i < ops; ++i) {
    victims[i] = static_cast<uint32_t>(rng() % live);
    fresh[i] = 0x7f0000000000ull + (rng() & 0xfffffffff0ull);
  }
  char name[64];
  std::snprintf(name, sizeof name, "addr-map %zuk live%s", live / 1000, prefetch ? ", prefetch" : "");
  std::vector<uint64_t> a;
  auto reset = [&] {
    // Back to the live set the steps start from.
    for (uint64_t k : a) map.erase(k);
    for (size_t i = 0; i < live; ++i) map.put(addrs[i], static_cast<uint32_t>(i));
    a = addrs;
  };
  measure(name, ops, [&] {
    uint64_t x = 0;
    constexpr size_t kAhead = 16;
    for (size_t i = 0; i < ops; ++i) {
      if (prefetch && i + kAhead < ops) map.prefetch(a[victims[i + kAhead]]);
      uint64_t old = a[victims[i]];
      x += map.find(old);
      map.erase(old);
      map.put(fresh[i], victims[i]);
      a[victims[i]] = fresh[i];
    }
    sink = x;
  }, reset);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  size_t records = 5'000'000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--records" && i + 1 < argc) records = std::stoull(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::stoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: refscope-microbench [--only line-parser|hex|addr-map] [--records N] [--repeat K]\n");
      return 2;
    }
  }
  auto on = [&](const char* name) { return only.empty() || only == name; };
  if (on("line-parser")) bench_line_parser(records);
  if (on("hex")) bench_hex(records);
  if (on("addr-map")) {
    for (size_t live : {size_t{65536}, size_t{4'000'000}}) {
      bench_addr_map(live, records / 2, false);
      bench_addr_map(live, records / 2, true);
    }
  }
  return 0;
}
