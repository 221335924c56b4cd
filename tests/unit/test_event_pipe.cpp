// The replay with its reader on a thread of its own must be indistinguishable from one that reads as it goes:
// the same model, the same declarations and metadata as far as the model has got, errors and the end of a cut
// trace seen only when the model gets there, and no hang when a command stops early.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "refscope/replay/point.h"
#include "refscope/replay/replay.h"
#include "refscope/util/error.h"

namespace refscope {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  FILE* f = std::fopen(path.c_str(), "w");
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return path;
}

// Many batches' worth of records, with declarations, metadata and markers spread among them so that text fields
// cross batch boundaries, owner references, and a few anomalies.
std::string big_trace(int steps) {
  std::string t = "refscope-trace 1\n@ refs exact\nT 1 builtins.dict\nS 1 0 1 main a.py\n";
  char line[128];
  for (int i = 0; i < steps; ++i) {
    unsigned long long a = 0x7f0000000000ull + static_cast<unsigned long long>(i % 5000) * 64;
    unsigned long long owner = 0x7f0000000000ull + static_cast<unsigned long long>((i * 7 + 1) % 5000) * 64;
    if (i % 997 == 0) {
      t.append(line, std::snprintf(line, sizeof line, "T %d type.number%d\nS %d 1 %d f%d file%d.py\n", i + 2, i,
                                   i + 2, i, i, i));
      t.append(line, std::snprintf(line, sizeof line, "@ step%d value %d\nM mark%d\n", i, i, i));
    }
    if (i < 5000) {
      t.append(line, std::snprintf(line, sizeof line, "A %llx %d 1 1\n", a, 16 + i % 100));
    } else {
      t.append(line, std::snprintf(line, sizeof line, "I %llx %llx\nD %llx\nD %llx %llx\nI %llx\n", a, owner, a, a,
                                   owner, a));
      if (i % 1001 == 0) t.append(line, std::snprintf(line, sizeof line, "D 123456\n"));  // unknown-object
    }
  }
  return t;
}

struct Outcome {
  uint64_t live = 0, bytes = 0, anomalies = 0, allocs = 0, increfs = 0, last_line = 0;
  size_t types = 0, stacks = 0, metadata = 0, markers = 0;
  bool truncated = false;
  std::string last_meta;
};

Outcome outcome(const Replay& r) {
  Outcome o;
  o.live = r.model().live_objects();
  o.bytes = r.model().live_bytes();
  o.anomalies = r.model().anomalies().total();
  o.allocs = r.model().counts().alloc;
  o.increfs = r.model().counts().incref;
  o.last_line = r.model().last_line();
  o.types = r.symbols().type_count();
  o.stacks = r.symbols().stack_count();
  o.metadata = r.info().metadata.size();
  o.markers = r.model().markers().size();
  o.truncated = r.info().truncated;
  if (!r.info().metadata.empty()) o.last_meta = r.info().metadata.back().first + "=" + r.info().metadata.back().second;
  return o;
}

void expect_same(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.live, b.live);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.anomalies, b.anomalies);
  EXPECT_EQ(a.allocs, b.allocs);
  EXPECT_EQ(a.increfs, b.increfs);
  EXPECT_EQ(a.last_line, b.last_line);
  EXPECT_EQ(a.types, b.types);
  EXPECT_EQ(a.stacks, b.stacks);
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.markers, b.markers);
  EXPECT_EQ(a.truncated, b.truncated);
  EXPECT_EQ(a.last_meta, b.last_meta);
}

ReplayOptions threads(bool on) {
  ReplayOptions o;
  o.threaded = on;
  return o;
}

TEST(EventPipe, ThreadedAndInlineReplaysAgreeToTheEnd) {
  std::string path = write_temp("refscope_pipe_agree.trace", big_trace(60000));
  Replay a(path, {}, threads(false));
  a.advance_to_end();
  Replay b(path, {}, threads(true));
  b.advance_to_end();
  Outcome oa = outcome(a), ob = outcome(b);
  expect_same(oa, ob);
  EXPECT_GT(oa.anomalies, 0u);
  EXPECT_GT(oa.types, 50u);
}

TEST(EventPipe, AtAMarkerDeclarationsAndMetadataAreThoseBeforeIt) {
  std::string path = write_temp("refscope_pipe_point.trace", big_trace(60000));
  PointSpec early = parse_point("mark9970");
  Replay a(path, {early}, threads(false));
  a.advance_to(early);
  Replay b(path, {early}, threads(true));
  b.advance_to(early);
  Outcome oa = outcome(a), ob = outcome(b);
  expect_same(oa, ob);
  EXPECT_EQ(ob.last_meta, "step9970=value 9970");  // nothing the reader read ahead of the point
  EXPECT_EQ(ob.types, 13u);  // the unknown type, type 1, and the eleven defined up to step 9970
}

TEST(EventPipe, AnErrorAfterThePointIsNotSeenThere) {
  std::string text = big_trace(60000) + "X what\n";
  std::string path = write_temp("refscope_pipe_error.trace", text);
  PointSpec early = parse_point("mark997");
  Replay r(path, {early}, threads(true));
  EXPECT_NO_THROW(r.advance_to(early));
  try {
    r.advance_to_end();
    FAIL() << "the bad last line went unnoticed";
  } catch (const TraceError& e) {
    size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    EXPECT_EQ(e.line(), lines);
  }
}

TEST(EventPipe, ATraceCutShortIsTruncatedOnlyAtItsEnd) {
  std::string text = big_trace(60000) + "A 7f00";
  std::string path = write_temp("refscope_pipe_cut.trace", text);
  PointSpec early = parse_point("mark997");
  Replay r(path, {early}, threads(true));
  r.advance_to(early);
  EXPECT_FALSE(r.info().truncated);
  r.advance_to_end();
  EXPECT_TRUE(r.info().truncated);
}

// Everything the model holds about its live objects, in address order, to compare two models.
std::vector<std::tuple<uint64_t, int64_t, uint32_t, uint64_t, uint64_t>> fingerprint(const Model& m) {
  std::vector<std::tuple<uint64_t, int64_t, uint32_t, uint64_t, uint64_t>> out;
  m.for_each_live([&](ObjSlot s, const Object& o) {
    uint64_t edges = 0;
    m.for_each_edge(s, [&](ObjSlot t, uint32_t n) { edges += m.object(t).addr * n; });
    out.emplace_back(o.addr, o.refcount, o.held, static_cast<uint64_t>(o.size), edges);
  });
  std::sort(out.begin(), out.end());
  return out;
}

// The replay finds each record's objects a few records ahead of applying it. Addresses freed, reused and used as
// owners within that window must still land on the right objects: the result must be the model's own, record by
// record without lookahead.
TEST(EventPipe, SlotsFoundAheadNeverOutliveTheirObjects) {
  std::string t = "refscope-trace 1\n";
  char line[128];
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8) % 12; };
  for (int i = 0; i < 40000; ++i) {
    unsigned long long a = 0x1000 + rnd() * 16, b = 0x1000 + rnd() * 16;
    switch (rnd() % 6) {
      case 0: t.append(line, std::snprintf(line, sizeof line, "A %llx 8 0\n", a)); break;
      case 1: t.append(line, std::snprintf(line, sizeof line, "F %llx\n", a)); break;
      case 2: t.append(line, std::snprintf(line, sizeof line, "I %llx %llx\n", a, b)); break;
      case 3: t.append(line, std::snprintf(line, sizeof line, "D %llx %llx\n", a, b)); break;
      case 4: t.append(line, std::snprintf(line, sizeof line, "D %llx\n", a)); break;
      default: t.append(line, std::snprintf(line, sizeof line, "R %llx %u\n", a, rnd())); break;
    }
  }
  std::string path = write_temp("refscope_pipe_hints.trace", t);
  Model plain;
  {
    TraceReader reader(path);
    Event ev;
    while (reader.next(ev)) plain.apply(ev);
  }
  for (bool threaded : {false, true}) {
    Replay r(path, {}, threads(threaded));
    r.advance_to_end();
    EXPECT_EQ(fingerprint(r.model()), fingerprint(plain)) << "threaded " << threaded;
    EXPECT_EQ(r.model().anomalies().total(), plain.anomalies().total());
    for (size_t k = 0; k < kAnomalyKinds; ++k)
      EXPECT_EQ(r.model().anomalies().count(AnomalyKind(k)), plain.anomalies().count(AnomalyKind(k)));
    EXPECT_GT(plain.anomalies().total(), 1000u);
    EXPECT_GT(plain.live_objects(), 0u);
  }
}

TEST(EventPipe, StoppingEarlyLeavesNoThreadBehind) {
  std::string path = write_temp("refscope_pipe_early.trace", big_trace(200000));
  for (int i = 0; i < 20; ++i) {
    PointSpec early = parse_point("mark0");
    Replay r(path, {early}, threads(true));
    r.advance_to(early);
  }  // each destructor stops a reader that is blocked on a full pool, or still reading
  SUCCEED();
}

}  // namespace
}  // namespace refscope
