// Portable names of source files: what baselines and suppressions match across checkouts.
#include <gtest/gtest.h>

#include "refscope/analysis/check_gate.h"
#include "refscope/analysis/source_paths.h"
#include "refscope/analysis/suppressions.h"
#include "refscope/report/baseline.h"

namespace refscope {
namespace {

SourcePaths laptop() {
  SourcePaths p;
  p.add("root", "/home/ann/app");
  p.add("cwd", "/home/ann/app/tests");
  p.add("stdlib", "/usr/lib/python3.11");
  p.add("site", "/usr/lib/python3/dist-packages");
  p.add("site", "/home/ann/app/.venv/lib/python3.11/site-packages");
  return p;
}

TEST(SourcePaths, FilesAreNamedRelativeToTheDeepestDirectoryThatHoldsThem) {
  SourcePaths p = laptop();
  EXPECT_EQ(p.portable("/home/ann/app/tests/test_db.py"), "tests/test_db.py");
  EXPECT_EQ(p.portable("/usr/lib/python3.11/json/decoder.py"), "<stdlib>/json/decoder.py");
  EXPECT_EQ(p.portable("/usr/lib/python3/dist-packages/attr/_make.py"), "<site>/attr/_make.py");
  // A virtualenv inside the project is not the project's code
  EXPECT_EQ(p.portable("/home/ann/app/.venv/lib/python3.11/site-packages/x.py"), "<site>/x.py");
  EXPECT_EQ(p.in_project("/home/ann/app/.venv/lib/python3.11/site-packages/x.py"), std::nullopt);
  EXPECT_EQ(p.in_project("/home/ann/app/app/db.py"), "app/db.py");
  // Relative files are the recording's working directory's; dots and doubled slashes do not matter
  EXPECT_EQ(p.portable("helpers.py"), "tests/helpers.py");
  EXPECT_EQ(p.portable("/home/ann//app/./src/../app/db.py"), "app/db.py");
  // Files under none of them, and what is not a file, stay as they are
  EXPECT_EQ(p.portable("/opt/other/y.py"), "/opt/other/y.py");
  EXPECT_EQ(p.portable("<frozen importlib._bootstrap>"), "<frozen importlib._bootstrap>");
  // A directory is not a prefix of a longer name
  EXPECT_EQ(p.portable("/home/ann/application/z.py"), "/home/ann/application/z.py");
}

TEST(SourcePaths, TheRootIsTheWorkingDirectoryUnlessTheTraceOrRootSaysOtherwise) {
  TraceInfo info;
  info.add_metadata("python", "3.11.2");
  info.add_metadata("path", "cwd /srv/ci/build-17/app");
  info.add_metadata("path", "stdlib /usr/lib/python3.11");
  EXPECT_EQ(SourcePaths::of(info).portable("/srv/ci/build-17/app/tests/test_db.py"), "tests/test_db.py");
  info.add_metadata("path", "root /srv/ci/build-17");
  EXPECT_EQ(SourcePaths::of(info).portable("/srv/ci/build-17/app/tests/test_db.py"), "app/tests/test_db.py");
  // --root replaces the trace's
  EXPECT_EQ(SourcePaths::of(info, "/srv/ci/build-17/app/tests").portable("/srv/ci/build-17/app/tests/test_db.py"),
            "test_db.py");
  // A trace that names no directory leaves files as they are
  EXPECT_EQ(SourcePaths::of(TraceInfo{}).portable("/srv/ci/build-17/app/tests/test_db.py"),
            "/srv/ci/build-17/app/tests/test_db.py");
}

TEST(SourcePaths, FramesAreKeyedByFunctionAndLabelsOfVersion1BaselinesGiveTheSameKey) {
  SymbolTable symbols;
  uint64_t previous = 0;
  ASSERT_TRUE(symbols.define_stack(1, {StackIdx(0), 12, "Registry.add", "/home/ann/app/app/registry.py"}, 1, previous));
  ASSERT_TRUE(symbols.define_stack(2, {StackIdx(0), 7, "", "/home/ann/app/app/registry.py"}, 2, previous));
  SourcePaths p = laptop();
  StackIdx add(symbols.find_stack(1)), anonymous(symbols.find_stack(2));
  EXPECT_EQ(frame_key(symbols, add, p), "app/registry.py in Registry.add");
  EXPECT_EQ(frame_key(symbols, anonymous, p), "app/registry.py:7");
  EXPECT_EQ(frame_key(symbols, StackIdx(0), p), "?");
  EXPECT_EQ(frame_key_of_label(symbols.site_label(add), p), "app/registry.py in Registry.add");
  EXPECT_EQ(frame_key_of_label("/home/ann/app/a b.py:3 in <module>", p), "a b.py in <module>");
  EXPECT_EQ(frame_key_of_label("?", p), "?");
}

TEST(SourcePaths, SuppressionsMatchPortableFiles) {
  SymbolTable symbols;
  uint64_t previous = 0;
  ASSERT_TRUE(symbols.define_type(1, "builtins.dict", 1, previous));
  ASSERT_TRUE(symbols.define_stack(1, {StackIdx(0), 5, "<module>", "/srv/ci/app/tests/test_db.py"}, 2, previous));
  ASSERT_TRUE(symbols.define_stack(2, {StackIdx(symbols.find_stack(1)), 40, "load", "/usr/lib/python3.11/json/decoder.py"},
                                   3, previous));
  SuppressionList list;
  list.parse("leak:<stdlib>/json/*\n", "s.supp");
  TypeIdx dict(1);
  StackIdx in_json(symbols.find_stack(2));
  // Without the trace's directories only the recorded file can match
  EXPECT_EQ(list.match(dict, in_json, symbols), -1);
  SourcePaths p;
  p.add("stdlib", "/usr/lib/python3.11");
  p.add("root", "/srv/ci/app");
  list.set_paths(&p);
  EXPECT_EQ(list.match(dict, in_json, symbols), 0);
  SuppressionList tests;
  tests.parse("leak:tests/test_db.py\n", "s.supp");
  tests.set_paths(&p);
  EXPECT_EQ(tests.match(dict, in_json, symbols), 0);  // a caller's frame
}

LeakGroup group_at(const std::string& site, uint64_t objects, uint64_t bytes, const std::string& key) {
  LeakGroup g;
  g.key.kind = LeakKind::Unowned;
  g.names.kind = g.portable.kind = "unowned";
  g.names.type = g.portable.type = "builtins.dict";
  g.names.site = site;
  g.portable.site = key;
  g.id = group_identity(g.names);
  g.portable_id = group_identity(g.portable);
  g.objects = objects;
  g.bytes = bytes;
  return g;
}

TEST(Gate, GroupsAtTwoLinesOfOneFunctionShareItsBaseline) {
  // Given 3 and 2 dicts leaked at two lines of one function, and a baseline of 4 dicts for that function
  LeakAnalysis point;
  point.groups.push_back(group_at("/a/app.py:10 in f", 3, 300, "app.py in f"));
  point.groups.push_back(group_at("/a/app.py:11 in f", 2, 200, "app.py in f"));
  point.objects[0] = 5;
  point.bytes[0] = 500;
  std::vector<LeakAnalysis> points{point};
  std::map<std::string, BaselineEntry> baseline{{point.groups[0].portable_id, {4, 400}}};
  // When the gate compares them
  GateResult r = evaluate_gate({&points, 0, false, &baseline}, GateLimits{});
  // Then one dict (100 bytes) is beyond the baseline, not 0 (each group within 4) nor 5
  EXPECT_EQ(r.counted_objects, 1u);
  EXPECT_EQ(r.counted_bytes, 100u);
  EXPECT_FALSE(r.pass);
  // And a baseline of 5 lets both through
  baseline.begin()->second = {5, 500};
  EXPECT_TRUE(evaluate_gate({&points, 0, false, &baseline}, GateLimits{}).pass);
}

}  // namespace
}  // namespace refscope
