// The fuzz target: arbitrary bytes -> ByteSource (plain, gzip or zstd by magic bytes) -> TraceReader -> Model.
// A TraceError is the expected answer to bad input; anything else (a crash, a sanitizer report, a broken model
// invariant, a hang) is a bug. Built as a libFuzzer binary with clang (REFSCOPE_BUILD_FUZZER=ON) and, in every
// build, linked into fuzz_corpus_driver, which replays tests/fuzz/corpus through this same function.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "refscope/model/model.h"
#include "refscope/reader/trace_reader.h"
#include "refscope/source/byte_source.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"

namespace {

// Invariants any replay keeps, whatever the input: a violation aborts so the fuzzer keeps the input.
void check(const refscope::Model& m) {
  uint64_t objects = 0, bytes = 0;
  bool ok = true;
  m.for_each_live([&](refscope::ObjSlot, const refscope::Object& o) {
    ++objects;
    bytes += o.size;
    if (o.refcount < 0 || o.refcount < static_cast<int64_t>(o.held)) ok = false;
  });
  if (!ok || objects != m.live_objects() || bytes != m.live_bytes() || m.peak_bytes() < bytes) {
    std::fprintf(stderr, "fuzz_trace: model invariant broken\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    refscope::log::setup(-1);  // truncation warnings on every other input would drown the fuzzer's output
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  try {
    refscope::TraceReader reader(
        refscope::open_memory(std::string(reinterpret_cast<const char*>(data), size), "fuzz.trace"), "fuzz.trace");
    refscope::ModelOptions options;
    options.keep_anomalies = 16;
    options.keep_markers = 16;
    refscope::Model model(options);
    refscope::Event ev;
    uint64_t records = 0;
    while (reader.next(ev)) {
      model.apply(ev);
      if (++records % 4096 == 0) check(model);
    }
    check(model);
  } catch (const refscope::TraceError&) {
  }
  return 0;
}
