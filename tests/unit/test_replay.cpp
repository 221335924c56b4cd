// Points chosen by marker: LABEL, LABEL#N (1-based), a marker literally labelled LABEL#N winning over the N-th
// LABEL, and the usage errors for a marker that does not exist or was passed already.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "refscope/replay/point.h"
#include "refscope/replay/replay.h"
#include "refscope/util/error.h"

namespace refscope {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path;
}

const char* kTrace =
    "refscope-trace 1\n"  // 1
    "M start\n"           // 2
    "A 10 16 0\n"         // 3
    "M iter\n"            // 4
    "A 20 16 0\n"         // 5
    "M iter\n"            // 6
    "A 30 16 0\n"         // 7
    "M iter\n"            // 8
    "M end\n";            // 9

TEST(PointSpec, ParsesLabelAndOccurrence) {
  PointSpec p = parse_point("iter#3");
  EXPECT_EQ(p.label, "iter");
  EXPECT_EQ(p.occurrence, 3u);
  EXPECT_TRUE(p.has_occurrence);
  PointSpec q = parse_point("iter");
  EXPECT_EQ(q.label, "iter");
  EXPECT_EQ(q.occurrence, 1u);
  EXPECT_FALSE(q.has_occurrence);
}

TEST(PointSpec, AHashWithoutDigitsIsPartOfTheLabel) {
  EXPECT_EQ(parse_point("a#").label, "a#");
  EXPECT_EQ(parse_point("#3").label, "#3");
  EXPECT_EQ(parse_point("a#b").label, "a#b");
  EXPECT_EQ(parse_point("a#1#2").label, "a#1");
}

TEST(PointSpec, EmptyAndZerothAreUsageErrors) {
  EXPECT_THROW(parse_point(""), UsageError);
  EXPECT_THROW(parse_point("iter#0"), UsageError);
}

TEST(Replay, AdvancesToTheNthOccurrence) {
  std::string path = write_temp("refscope_replay_nth.trace", kTrace);
  PointSpec second = parse_point("iter#2");
  Replay r(path, {second});
  EXPECT_EQ(r.advance_to(second), 6u);
  EXPECT_EQ(r.model().live_objects(), 2u);
  EXPECT_EQ(r.advance_to_end(), 9u);
  EXPECT_EQ(r.model().live_objects(), 3u);
}

TEST(Replay, ALabelAloneIsItsFirstOccurrence) {
  std::string path = write_temp("refscope_replay_first.trace", kTrace);
  PointSpec p = parse_point("iter");
  Replay r(path, {p});
  EXPECT_EQ(r.advance_to(p), 4u);
  EXPECT_EQ(r.model().live_objects(), 1u);
}

TEST(Replay, FromThenTo) {
  std::string path = write_temp("refscope_replay_window.trace", kTrace);
  PointSpec from = parse_point("iter#1"), to = parse_point("iter#3");
  Replay r(path, {from, to});
  EXPECT_EQ(r.advance_to(from), 4u);
  EXPECT_EQ(r.advance_to(to), 8u);
}

TEST(Replay, AMarkerLiterallyLabelledLabelHashNWins) {
  std::string path = write_temp("refscope_replay_literal.trace",
                                "refscope-trace 1\nM iter\nM iter\nA 10 16 0\nM iter#2\nM end\n");
  PointSpec p = parse_point("iter#2");
  Replay r(path, {p});
  EXPECT_EQ(r.advance_to(p), 5u);
}

TEST(Replay, AMissingMarkerIsAUsageError) {
  std::string path = write_temp("refscope_replay_missing.trace", kTrace);
  PointSpec p = parse_point("nowhere");
  Replay r(path, {p});
  try {
    r.advance_to(p);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no marker 'nowhere'"), std::string::npos) << e.what();
  }
}

TEST(Replay, AnOccurrenceBeyondTheLastIsAUsageErrorThatSaysHowMany) {
  std::string path = write_temp("refscope_replay_beyond.trace", kTrace);
  PointSpec p = parse_point("iter#4");
  Replay r(path, {p});
  try {
    r.advance_to(p);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("occurs 3 times"), std::string::npos) << e.what();
  }
}

TEST(Replay, APointAlreadyPassedIsAUsageError) {
  std::string path = write_temp("refscope_replay_passed.trace", kTrace);
  PointSpec early = parse_point("start"), late = parse_point("end");
  Replay r(path, {early, late});
  r.advance_to(late);
  EXPECT_THROW(r.advance_to(early), UsageError);
}

}  // namespace
}  // namespace refscope
