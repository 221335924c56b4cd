// The report layer's own parts: the streaming JSON writer against nlohmann's dump, escaping for terminals, write
// errors, input files that are not files, and the figures a trace could push past 64 bits.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "refscope/analysis/check_gate.h"
#include "refscope/analysis/collected_cycles.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/output.h"
#include "refscope/util/checked.h"
#include "refscope/util/error.h"
#include "refscope/util/file_text.h"
#include "refscope/util/printable.h"
#include "test_model_support.h"

namespace refscope {
namespace {

using Ordered = nlohmann::ordered_json;

std::string nlohmann_dump(const Ordered& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

TEST(JsonWriter, WritesWhatNlohmannDumpWrites) {
  // Given one document built both ways, with every kind of value, empty and nested containers, and strings that
  // need escaping (quotes, backslashes, controls, DEL, UTF-8, invalid UTF-8)
  std::vector<std::string> strings{"", "plain", "quo\"te", "back\\slash", "line\nend\ttab\r", "\x01\x1f\x7f",
                                   "caf\xc3\xa9", "bad \xff\xfe utf-8 \xc3", "\xe2\x82\xac"};
  Ordered doc = Ordered::object();
  doc["schema"] = "refscope.test/1";
  doc["zero"] = 0;
  doc["max"] = UINT64_MAX;
  doc["min"] = INT64_MIN;
  doc["yes"] = true;
  doc["nothing"] = nullptr;
  doc["empty_array"] = Ordered::array();
  doc["empty_object"] = Ordered::object();
  doc["strings"] = strings;
  doc["pairs"] = Ordered::array({Ordered::array({"0x1", "0x2"}), Ordered::array()});
  doc["nested"] = {{"a", {{"b", Ordered::array({1, 2})}}}, {"c", Ordered::object()}};
  for (const std::string& s : strings) doc[s] = s.size();

  StringOutput out;
  JsonWriter w(out);
  w.begin_object().field("schema", "refscope.test/1").field("zero", 0).field("max", UINT64_MAX);
  w.field("min", INT64_MIN).field("yes", true).key("nothing").null();
  w.key("empty_array").begin_array().end_array().key("empty_object").begin_object().end_object();
  w.field("strings", strings);
  w.key("pairs").begin_array().begin_array().value("0x1").value("0x2").end_array().begin_array().end_array();
  w.end_array();
  w.key("nested").begin_object().key("a").begin_object().field("b", std::vector<int>{1, 2}).end_object();
  w.key("c").begin_object().end_object().end_object();
  for (const std::string& s : strings) w.field(s, s.size());
  w.end_object().finish();
  // Then the two are the same bytes
  EXPECT_EQ(out.text(), nlohmann_dump(doc));
}

TEST(JsonWriter, OptionalsAndLabelsAreNullWhenAbsent) {
  StringOutput out;
  JsonWriter w(out);
  w.begin_object()
      .field("none", std::optional<uint64_t>{})
      .field("some", std::optional<uint64_t>{7})
      .label_field("at", "")
      .label_field("to", "end")
      .end_object()
      .finish();
  EXPECT_EQ(out.text(), "{\n  \"none\": null,\n  \"some\": 7,\n  \"at\": null,\n  \"to\": \"end\"\n}\n");
}

TEST(Printable, EscapesWhatCouldDriveATerminalAndKeepsUtf8) {
  EXPECT_EQ(printable("app.Node"), "app.Node");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d");
  EXPECT_EQ(printable("\x1b[2Jclear"), "\\x1b[2Jclear");
  EXPECT_EQ(printable("a\nb\tc\rd\x7f"), "a\\x0ab\\x09c\\x0dd\\x7f");
  EXPECT_EQ(printable("csi\xc2\x9b" "31m"), "csi\\u009b31m");  // C1 control, UTF-8 encoded
  EXPECT_EQ(printable("raw\x9b" "31m"), "raw\\x9b31m");           // a lone byte that is no UTF-8
  EXPECT_EQ(printable("\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82"),  // overlong, surrogate, too big, cut
            "\\xc0\\xaf \\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80 \\xe2\\x82");
  // Escaping twice changes nothing more: text already shown is printable
  std::string once = printable("\x1b\xff\xc2\x85");
  EXPECT_EQ(printable(once), once);
}

TEST(Output, AFullDiskIsAnErrorAndAClosedPipeIsNot) {
  int full = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(full, 0);
  {
    FdOutput out(full, "standard output", true);
    out.write("report\n");
    EXPECT_THROW(out.flush(), OutputError);
  }
  ::close(full);

  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  FdOutput out(fds[1], "standard output", true);
  out.write("nobody reads this\n");
  EXPECT_NO_THROW(out.flush());
  EXPECT_TRUE(out.closed());
  ::close(fds[1]);
}

TEST(Output, AFileThatCannotBeCreatedIsAnError) {
  EXPECT_THROW(FileOutput("/nonexistent-dir/out.xml"), OutputError);
}

TEST(InputFiles, ADirectoryIsNotAnEmptyFile) {
  std::string dir = std::filesystem::temp_directory_path().string();
  try {
    read_text_file(dir, "the suppression file");
    FAIL() << "a directory was read";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos) << e.what();
  }
  SuppressionList list;
  EXPECT_THROW(list.load(dir), TraceError);
}

TEST(Figures, LiveBytesPast2To63AreCaughtWhereTheyHappen) {
  // Given 2^15 objects of 2^48 bytes: 2^63 bytes live, one more than a signed 64-bit figure holds
  testing::ModelDriver d;
  uint64_t line = 0;
  for (uint64_t i = 0; i < (1u << 15); ++i) line = d.A(0x1000 + 16 * i, uint64_t{1} << 48);
  // Then the model says on which line the live bytes went beyond what reports can count
  EXPECT_EQ(d.model.bytes_overflow_line(), line);
  testing::ModelDriver small;
  small.A(0x1000, uint64_t{1} << 48);
  EXPECT_EQ(small.model.bytes_overflow_line(), 0u);
}

TEST(Figures, CheckedAddThrowsInsteadOfWrapping) {
  EXPECT_EQ(checked_add(1, 2, "x"), 3u);
  EXPECT_THROW(checked_add(UINT64_MAX, 1, "the bytes"), FigureOverflow);
}

TEST(Figures, CollectedBytesOverAWholeTraceDoNotWrap) {
  // Given 2^15 collections, each freeing a cycle of two objects of 2^48 bytes: 2^64 bytes collected in all
  testing::ModelDriver d;
  SymbolTable symbols;
  Namer namer(symbols);
  CollectedCycles cc(d.model, namer, 1);
  d.model.set_observer(&cc);
  auto collect_one = [&] {
    d.A(0x10, uint64_t{1} << 48);
    d.A(0x20, uint64_t{1} << 48);
    d.I(0x20, 0x10);
    d.I(0x10, 0x20);
    d.D(0x10);
    d.D(0x20);
    d.G(0);
    d.D(0x20, 0x10);
    d.F(0x20);
    d.F(0x10);
    d.g(2, 0);
  };
  for (int i = 0; i + 1 < (1 << 15); ++i) collect_one();
  EXPECT_EQ(cc.bytes(), UINT64_MAX - (uint64_t{1} << 49) + 1);
  // Then the one that would wrap the sum is an error, not a small number
  EXPECT_THROW(collect_one(), FigureOverflow);
  d.model.set_observer(nullptr);
}

TEST(Gate, ABaselineBeyond2To63IsCompared) {
  // Given a cyclic group of 3 objects, 100 bytes, and a baseline of the same group with a count beyond 2^63
  LeakAnalysis point;
  LeakGroup g;
  g.key.kind = LeakKind::Cyclic;
  g.names.kind = "cyclic";
  g.names.type = "app.Node";
  g.id = g.portable_id = group_identity(g.names);
  g.objects = 3;
  g.bytes = 100;
  point.groups.push_back(g);
  point.objects[3] = 3;
  point.bytes[3] = 100;
  std::vector<LeakAnalysis> points{point};
  std::map<std::string, BaselineEntry> baseline{{g.portable_id, {UINT64_MAX, (uint64_t{1} << 63) + 5}}};
  // When the gate compares them
  GateResult r = evaluate_gate({&points, 0, false, &baseline}, GateLimits{});
  // Then the group is within its baseline: nothing counts and the gate passes
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].counted_objects, 0u);
  EXPECT_EQ(r.groups[0].counted_bytes, 0u);
  EXPECT_TRUE(r.pass) << r.reason;
}

}  // namespace
}  // namespace refscope
