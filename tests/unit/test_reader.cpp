// The reader on well-formed traces: what each record decodes to, the lexical rules of TRACE-FORMAT.md (comments,
// blanks, CRLF, tabs, rest-of-line fields, address spellings), metadata, truncation and stdin.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "test_model_support.h"

namespace refscope::testing {
namespace {

struct Decoded {
  RecordKind kind;
  uint64_t line, addr, owner, size, extra;
  bool immortal;
  std::string text, text2;
  uint32_t type, site, parent;
};

std::vector<Decoded> decode(std::string text, TraceInfo* info = nullptr) {
  auto reader = reader_for(std::move(text));
  std::vector<Decoded> out;
  Event ev;
  while (reader->next(ev))
    out.push_back({ev.kind, ev.line, ev.addr, ev.owner, ev.size, ev.extra, ev.immortal, std::string(ev.text),
                   std::string(ev.text2), ev.type.value, ev.site.value, ev.parent.value});
  if (info) *info = reader->info();
  return out;
}

TEST(Reader, DecodesEveryRecordKind) {
  TraceInfo info;
  auto ev = decode(
      "refscope-trace 1\n"
      "@ python 3.11.2\n"
      "T 7 app.Node\n"
      "S 3 0 12 main app.py\n"
      "S 4 3 40 build lib/my app.py\n"
      "A 7f0000001000 56 7 4\n"
      "A 0x7F0000002000 24 0\n"
      "I 7f0000002000 7f0000001000\n"
      "I 7f0000002000\n"
      "D 7f0000002000 0x7f0000001000\n"
      "D 7f0000002000\n"
      "R 7f0000001000 3\n"
      "R 7f0000001000 immortal\n"
      "M iteration 1\n"
      "G 2\n"
      "F 7f0000002000\n"
      "g 1 0\n",
      &info);
  ASSERT_EQ(ev.size(), 16u);
  EXPECT_EQ(ev[0].kind, RecordKind::Meta);
  EXPECT_EQ(ev[0].text, "python");
  EXPECT_EQ(ev[0].text2, "3.11.2");
  EXPECT_EQ(ev[1].kind, RecordKind::Type);
  EXPECT_EQ(ev[1].text, "app.Node");
  EXPECT_EQ(ev[2].kind, RecordKind::Stack);
  EXPECT_EQ(ev[2].text, "main");
  EXPECT_EQ(ev[2].text2, "app.py");
  EXPECT_EQ(ev[2].extra, 12u);
  EXPECT_EQ(ev[3].text2, "lib/my app.py") << "FILE is the rest of the line, inner blanks kept";
  EXPECT_EQ(ev[3].parent, ev[2].site);
  EXPECT_EQ(ev[4].kind, RecordKind::Alloc);
  EXPECT_EQ(ev[4].line, 6u);
  EXPECT_EQ(ev[4].addr, 0x7f0000001000u);
  EXPECT_EQ(ev[4].size, 56u);
  EXPECT_EQ(ev[4].type, ev[1].type);
  EXPECT_EQ(ev[4].site, ev[3].site);
  EXPECT_EQ(ev[5].addr, 0x7f0000002000u) << "0x prefix and upper case";
  EXPECT_EQ(ev[5].type, 0u);
  EXPECT_EQ(ev[5].site, 0u) << "an absent SITE is the unknown site";
  EXPECT_EQ(ev[6].kind, RecordKind::Incref);
  EXPECT_EQ(ev[6].owner, 0x7f0000001000u);
  EXPECT_EQ(ev[7].owner, 0u);
  EXPECT_EQ(ev[8].kind, RecordKind::Decref);
  EXPECT_EQ(ev[8].owner, 0x7f0000001000u);
  EXPECT_EQ(ev[9].owner, 0u);
  EXPECT_EQ(ev[10].kind, RecordKind::Refcount);
  EXPECT_EQ(ev[10].size, 3u);
  EXPECT_FALSE(ev[10].immortal);
  EXPECT_TRUE(ev[11].immortal);
  EXPECT_EQ(ev[12].kind, RecordKind::Marker);
  EXPECT_EQ(ev[12].text, "iteration 1");
  EXPECT_EQ(ev[13].kind, RecordKind::GcStart);
  EXPECT_EQ(ev[13].size, 2u);
  EXPECT_EQ(ev[14].kind, RecordKind::Free);
  EXPECT_EQ(ev[15].kind, RecordKind::GcEnd);
  EXPECT_EQ(ev[15].size, 1u);
  EXPECT_EQ(ev[15].extra, 0u);
  EXPECT_EQ(ev[15].line, 17u);
  EXPECT_EQ(info.version, 1);
  EXPECT_EQ(info.encoding, "plain");
  EXPECT_FALSE(info.truncated);
  ASSERT_EQ(info.metadata.size(), 1u);
  EXPECT_EQ(info.metadata[0].first, "python");
}

TEST(Reader, CommentsAndBlankLinesAnywhereAlsoBeforeTheHeader) {
  auto ev = decode("# written by hand\n\n   \nrefscope-trace 1\n# A 10 16 0\n\t\nA 10 16 0\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].line, 7u);
}

TEST(Reader, CrLfLineEndsAndTabsAndRunsOfBlanks) {
  auto ev = decode("refscope-trace 1\r\nA\t10  16 \t 0\r\nM  a  label \t \r\n");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].addr, 0x10u);
  EXPECT_EQ(ev[0].size, 16u);
  EXPECT_EQ(ev[1].text, "a  label") << "rest of line: inner blanks kept, trailing blanks dropped";
}

TEST(Reader, AddressesWithLeadingZerosBeyondSixteenDigits) {
  auto ev = decode("refscope-trace 1\nA 0x00000000000000007f0000001000 16 0\n");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].addr, 0x7f0000001000u);
}

TEST(Reader, UnknownMetadataIsKeptInOrder) {
  TraceInfo info;
  decode("refscope-trace 1\n@ pid 4242\n@ argv python -m app --flag\n@ some-future-key\n@ refs sampled\n", &info);
  ASSERT_EQ(info.metadata.size(), 4u);
  EXPECT_EQ(info.metadata[1].first, "argv");
  EXPECT_EQ(info.metadata[1].second, "python -m app --flag");
  EXPECT_EQ(info.metadata[2].first, "some-future-key");
  EXPECT_EQ(info.metadata[2].second, "");
  EXPECT_EQ(info.refs, RefsMode::Sampled);
}

TEST(Reader, RefsDefaultsToExact) {
  TraceInfo info;
  decode("refscope-trace 1\nA 10 16 0\n", &info);
  EXPECT_EQ(info.refs, RefsMode::Exact);
}

TEST(Reader, StacksChainToTheOutermostFrame) {
  auto reader = reader_for(
      "refscope-trace 1\nS 1 0 12 main app.py\nS 2 1 30 load app/io.py\nS 9 2 7 parse app/io.py\nA 10 16 0 9\n");
  Event ev;
  while (reader->next(ev)) {
  }
  const SymbolTable& sym = reader->symbols();
  uint32_t leaf = sym.find_stack(9);
  ASSERT_NE(leaf, SymbolTable::kMissing);
  auto frames = sym.frames(StackIdx(leaf));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(sym.stack(frames[0]).function, "parse");
  EXPECT_EQ(sym.stack(frames[2]).function, "main");
  EXPECT_EQ(sym.site_label(StackIdx(leaf)), "app/io.py:7 in parse");
  EXPECT_EQ(sym.site_label(StackIdx(0)), "?");
}

TEST(Reader, LargeSparseIdsAreMappedToDenseIndices) {
  auto reader = reader_for("refscope-trace 1\nT 4000000000 a.Big\nT 3 a.Small\nA 10 16 4000000000\n");
  Event ev;
  ASSERT_TRUE(reader->next(ev));
  ASSERT_TRUE(reader->next(ev));
  ASSERT_TRUE(reader->next(ev));
  EXPECT_EQ(reader->symbols().type_name(ev.type), "a.Big");
}

// --- Format 2: the end of the recording ----------------------------------------------------------------------------

TEST(ReaderEnd, AVersion2TraceEndsWithE) {
  // Given a recorder's format-2 trace that it closed after a final checkpoint
  TraceInfo info;
  auto ev = decode("refscope-trace 2\n@ recorder refscope_record\nA 10 16 0\nM start\nM exit\nE exit SIGTERM\n# c\n",
                   &info);
  // Then E gives no event, and says how the recording ended
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(info.version, 2);
  EXPECT_TRUE(info.recorded);
  EXPECT_EQ(info.end_reason, "exit");
  EXPECT_EQ(info.end_detail, "SIGTERM");
  EXPECT_EQ(info.end_line, 6u);
  EXPECT_EQ(info.last_marker_line, 5u);
  EXPECT_FALSE(info.truncated);
}

TEST(ReaderEnd, WithoutEThereIsNoEnd) {
  TraceInfo info;
  decode("refscope-trace 2\n@ recorder refscope_record\nM start\nA 10 16 0\n", &info);
  EXPECT_TRUE(info.end_reason.empty());
  EXPECT_EQ(info.end_line, 0u);
  EXPECT_EQ(info.last_marker_line, 3u);
}

TEST(ReaderEnd, ACutAtTheSizeCapIsATruncation) {
  TraceInfo info;
  auto ev = decode("refscope-trace 2\nA 10 16 0\nE cap 4096 bytes\n", &info);
  EXPECT_EQ(ev.size(), 1u);
  EXPECT_EQ(info.end_reason, "cap");
  EXPECT_TRUE(info.truncated);
}

// --- Truncation ---------------------------------------------------------------------------------------------------

TEST(ReaderTruncation, ALastLineWithoutLineEndIsIgnored) {
  // Given a trace whose last record was cut short by a crash
  TraceInfo info;
  auto ev = decode("refscope-trace 1\nA 10 16 0\nA 20 16 0\nA 30 1", &info);
  // Then the cut record is ignored, everything before it read, and the trace marked as cut short
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(info.truncated);
}

TEST(ReaderTruncation, EvenAWellFormedLastLineWithoutLineEndIsIgnored) {
  TraceInfo info;
  auto ev = decode("refscope-trace 1\nA 10 16 0\nF 10", &info);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(info.truncated);
}

TEST(ReaderTruncation, AGarbledLastLineWithoutLineEndIsNotAnError) {
  TraceInfo info;
  auto ev = decode("refscope-trace 1\nA 10 16 0\nA 2\x01\xff", &info);
  EXPECT_EQ(ev.size(), 1u);
  EXPECT_TRUE(info.truncated);
}

TEST(ReaderTruncation, ATraceEndingWithALineEndIsComplete) {
  TraceInfo info;
  decode("refscope-trace 1\nA 10 16 0\n", &info);
  EXPECT_FALSE(info.truncated);
}

TEST(ReaderTruncation, AHeaderWithoutLineEndIsNoHeader) {
  TraceError e = trace_error("refscope-trace 1");
  EXPECT_NE(e.message().find("not a refscope trace"), std::string::npos);
}

TEST(ReaderTruncation, LinesLongerThanTheBufferAreRead) {
  std::string label(3 << 20, 'm');
  auto ev = decode("refscope-trace 1\nA 10 16 0\nM " + label + "\nF 10\n");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[1].text.size(), label.size());
  EXPECT_EQ(ev[2].kind, RecordKind::Free);
  EXPECT_EQ(ev[2].line, 4u);
}

// --- Sources ------------------------------------------------------------------------------------------------------

TEST(ReaderFile, ReadsAFileAndNamesItInErrors) {
  std::string path = ::testing::TempDir() + "refscope_reader_file.trace";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("refscope-trace 1\nA 10 16 0\nZ\n", f);
  std::fclose(f);
  TraceReader reader(path);
  EXPECT_EQ(reader.info().path, path);
  Event ev;
  ASSERT_TRUE(reader.next(ev));
  try {
    reader.next(ev);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3u);
  }
  std::remove(path.c_str());
}

TEST(ReaderFile, AMissingFileIsATraceErrorWithoutLine) {
  try {
    TraceReader reader("/nonexistent/refscope.trace");
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(e.line(), 0u);
    EXPECT_EQ(e.file(), "/nonexistent/refscope.trace");
    EXPECT_NE(e.message().find("cannot open"), std::string::npos);
  }
}

TEST(ReaderFile, ADirectoryIsATraceError) {
  EXPECT_THROW(
      {
        TraceReader reader(::testing::TempDir());
        Event ev;
        while (reader.next(ev)) {
        }
      },
      TraceError);
}

TEST(ReaderStdin, DashReadsStandardInput) {
  // Given a trace on a pipe in place of stdin
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string trace = "refscope-trace 1\nA 10 16 0\nA 20 16 0\nQ 1\n";
  ASSERT_EQ(::write(fds[1], trace.data(), trace.size()), static_cast<ssize_t>(trace.size()));
  ::close(fds[1]);
  int saved = ::dup(0);
  ::dup2(fds[0], 0);
  ::close(fds[0]);
  // When it is read as "-"
  uint64_t records = 0, error_line = 0;
  std::string error_file, name;
  try {
    TraceReader reader("-");
    name = reader.info().name;
    Event ev;
    while (reader.next(ev)) ++records;
  } catch (const TraceError& e) {
    error_line = e.line();
    error_file = e.file();
  }
  ::dup2(saved, 0);
  ::close(saved);
  // Then its records are read and errors name it <stdin>
  EXPECT_EQ(name, "<stdin>");
  EXPECT_EQ(records, 2u);
  EXPECT_EQ(error_file, "<stdin>");
  EXPECT_EQ(error_line, 4u);
}

// --- The format document's small example ------------------------------------------------------------------------

TEST(ReaderExample, TheFormatDocumentsExampleReplaysToTwoNodesHoldingEachOther) {
  Replayed r = replay_text(
      "refscope-trace 1\n"
      "@ refs exact\n"
      "T 1 app.Node\n"
      "S 1 0 12 main app.py\n"
      "A 7f0000001000 56 1 1\n"
      "A 7f0000002000 56 1 1\n"
      "I 7f0000002000 7f0000001000\n"
      "I 7f0000001000 7f0000002000\n"
      "D 7f0000001000\n"
      "D 7f0000002000\n");
  const Model& m = *r.model;
  EXPECT_EQ(m.anomalies().total(), 0u);
  EXPECT_EQ(m.live_objects(), 2u);
  EXPECT_EQ(m.live_bytes(), 112u);
  for (uint64_t a : {0x7f0000001000u, 0x7f0000002000u}) {
    const Object& o = m.object(m.find(a));
    EXPECT_EQ(o.refcount, 1);
    EXPECT_EQ(o.held, 1u);
    EXPECT_EQ(o.external(), 0u) << "each is held only by the other";
  }
  EXPECT_TRUE(invariants_hold(m, 2));
}

}  // namespace
}  // namespace refscope::testing
