// Every malformed line is a TraceError naming the file and the line. Each case: a trace in a string, the line the
// error must name, and a piece of the message that says what is wrong.
#include <gtest/gtest.h>

#include "test_model_support.h"

namespace refscope::testing {
namespace {

struct ErrorCase {
  const char* name;
  const char* trace;
  uint64_t line;
  const char* message;  // a substring of the message
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ReaderError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ReaderError, NamesFileAndLine) {
  const ErrorCase& c = GetParam();
  TraceError e = trace_error(c.trace);
  EXPECT_EQ(e.file(), "t.trace");
  EXPECT_EQ(e.line(), c.line) << e.what();
  EXPECT_NE(e.message().find(c.message), std::string::npos) << "message: " << e.message();
  if (c.line != 0) {
    std::string where = "t.trace:" + std::to_string(c.line) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(where, 0), 0u) << e.what();
  }
}

#define H "refscope-trace 1\n"
#define H2 "refscope-trace 2\n"

const ErrorCase kCases[] = {
    // The header
    {"Empty", "", 0, "not a refscope trace"},
    {"OnlyComments", "# a comment\n\n", 0, "not a refscope trace"},
    {"NotATrace", "# comment\n\nhello world\n", 3, "not a refscope trace"},
    {"OtherMagic", "heaptrack 1\n", 1, "not a refscope trace"},
    {"Version3", "refscope-trace 3\n", 1, "trace version 3, this refscope reads 1 and 2"},
    {"Version0", "refscope-trace 0\n", 1, "trace version 0"},
    {"HeaderWithoutVersion", "refscope-trace\n", 1, "malformed header"},
    {"HeaderWithExtraField", "refscope-trace 1 x\n", 1, "malformed header"},
    // Unknown records
    {"UnknownRecord", H "X 10\n", 2, "unknown record 'X'"},
    {"BareRecordLetter", H "A\n", 2, "missing field ADDR"},
    {"UnknownWord", H "Alloc 10 16 0\n", 2, "unknown record 'Alloc'"},
    {"IndentedRecord", H "  A 10 16 0\n", 2, "must start at the beginning"},
    // Missing fields
    {"AllocMissingType", H "A 10 16\n", 2, "missing field TYPE"},
    {"AllocMissingSize", H "A 10\n", 2, "missing field SIZE"},
    {"IncrefMissingAddr", H "I\n", 2, "missing field ADDR"},
    {"RefcountMissingCount", H "R 10\n", 2, "missing field COUNT"},
    {"TypeMissingName", H "T 1\n", 2, "missing field NAME"},
    {"StackMissingFile", H "S 1 0 12 main\n", 2, "missing field FILE"},
    {"StackMissingFunction", H "S 1 0 12\n", 2, "missing field FUNCTION"},
    {"MarkerMissingLabel", H "M   \n", 2, "missing field LABEL"},
    {"GcMissingGeneration", H "G\n", 2, "missing field GENERATION"},
    {"GcEndMissingField", H "G 0\ng 1\n", 3, "missing field UNCOLLECTABLE"},
    {"MetaMissingKey", H "@\n", 2, "missing field KEY"},
    // Extra fields
    {"FreeExtraField", H "A 10 16 0\nF 10 20\n", 3, "extra field '20'"},
    {"AllocExtraField", H "A 10 16 0 0 5\n", 2, "extra field '5'"},
    {"IncrefExtraField", H "I 10 20 30\n", 2, "extra field '30'"},
    {"RefcountExtraField", H "R 10 1 2\n", 2, "extra field '2'"},
    {"GcExtraField", H "G 0 1\n", 2, "extra field '1'"},
    // Non-numeric fields
    {"AllocSizeNotNumber", H "A 10 sixteen 0\n", 2, "SIZE 'sixteen' is not a decimal number"},
    {"AllocSizeNegative", H "A 10 -16 0\n", 2, "is not a decimal number"},
    {"AllocAddrNotHex", H "A 10zz 16 0\n", 2, "ADDR '10zz' is not a hexadecimal address"},
    {"AllocAddrOnlyPrefix", H "A 0x 16 0\n", 2, "is not a hexadecimal address"},
    {"OwnerNotHex", H "I 10 owner\n", 2, "OWNER 'owner' is not a hexadecimal address"},
    {"RefcountNotNumber", H "R 10 many\n", 2, "neither a decimal number nor 'immortal'"},
    {"GcGenerationNotNumber", H "G x\n", 2, "GENERATION 'x' is not a decimal number"},
    {"TypeIdNotNumber", H "T one builtins.int\n", 2, "ID 'one' is not a decimal number"},
    // Undefined and redefined ids
    {"UndefinedType", H "A 10 16 5\n", 2, "type 5 is not defined"},
    {"UndefinedStack", H "A 10 16 0 7\n", 2, "stack node 7 is not defined"},
    {"UndefinedParent", H "S 2 1 3 f app.py\n", 2, "names parent 1"},
    {"OwnParent", H "S 1 1 3 f app.py\n", 2, "names parent 1"},
    {"RedefinedType", H "T 1 app.A\nT 1 app.A\nT 1 app.B\n", 4, "first defined on line 2"},
    {"RedefinedStack", H "S 1 0 3 f app.py\nS 1 0 4 f app.py\n", 3, "first defined on line 2"},
    {"TypeIdZero", H "T 0 app.A\n", 2, "reserved"},
    {"StackIdZero", H "S 0 0 3 f app.py\n", 2, "reserved"},
    // Address 0
    {"AllocAddressZero", H "A 0 16 0\n", 2, "addresses are never 0"},
    {"OwnerAddressZero", H "A 10 16 0\nI 10 0x0\n", 3, "addresses are never 0"},
    {"FreeAddressZero", H "F 000\n", 2, "addresses are never 0"},
    // Numbers out of range
    {"SizeOver2To48", H "A 10 281474976710657 0\n", 2, "out of range"},
    {"TypeIdOver32Bits", H "T 4294967296 app.A\n", 2, "out of range"},
    {"SiteOver32Bits", H "A 10 16 0 4294967296\n", 2, "out of range"},
    {"RefcountOver63Bits", H "A 10 16 0\nR 10 9223372036854775808\n", 3, "out of range"},
    {"AddressOver64Bits", H "F 1ffffffffffffffff\n", 2, "longer than 64 bits"},
    {"GenerationThree", H "G 3\n", 2, "out of range"},
    {"CollectedOver32Bits", H "G 0\ng 4294967296 0\n", 3, "out of range"},
    // Metadata
    {"RefsAfterHeapRecords", H "A 10 16 0\n@ refs sampled\n", 3, "must come before the first A"},
    {"RefsRepeatedAfterHeapRecords", H "@ refs exact\nA 10 16 0\n@ refs exact\n", 4, "must come before the first A"},
    {"RefsAfterIncref", H "I 10\n@ refs exact\n", 3, "must come before"},
    {"RefsBadValue", H "@ refs some\n", 2, "'exact' or 'sampled'"},
    // Collection brackets
    {"GcWhileOpen", H "G 0\nA 10 16 0\nG 1\n", 4, "collection started on line 2 is still open"},
    {"GcEndWithNoneOpen", H "g 0 0\n", 2, "no collection open"},
    {"GcEndTwice", H "G 0\ng 0 0\ng 0 0\n", 4, "no collection open"},
    // Named roots (format 2)
    {"RootInVersion1", H "N 1 sys.modules\n", 2, "N (named root) records need trace format 2"},
    {"RootRefInVersion1", H "A 10 16 0\nP 10 1\n", 3, "need trace format 2"},
    {"RootUnrefInVersion1", H "U 10 1\n", 2, "need trace format 2"},
    {"RootIdZero", H2 "N 0 sys.modules\n", 2, "reserved"},
    {"RootMissingName", H2 "N 3\n", 2, "missing field NAME"},
    {"RootMissingId", H2 "N\n", 2, "missing field ID"},
    {"RootIdNotNumber", H2 "N x sys.modules\n", 2, "ID 'x' is not a decimal number"},
    {"RootIdOver32Bits", H2 "N 4294967296 sys.modules\n", 2, "out of range"},
    {"UndefinedRoot", H2 "A 10 16 0\nP 10 4\n", 3, "root 4 is not defined"},
    {"RootRefToRootZero", H2 "N 1 r\nA 10 16 0\nP 10 0\n", 4, "root 0 is not defined"},
    {"RootRefMissingRoot", H2 "A 10 16 0\nP 10\n", 3, "missing field ROOT"},
    {"RootUnrefExtraField", H2 "N 1 r\nU 10 1 2\n", 3, "extra field '2'"},
    {"RootRefAddressZero", H2 "N 1 r\nP 0 1\n", 3, "addresses are never 0"},
    {"RootRefRootNotNumber", H2 "N 1 r\nP 10 r\n", 3, "ROOT 'r' is not a decimal number"},
    {"RefsAfterRootRef", H2 "N 1 r\nP 10 1\n@ refs exact\n", 4, "must come before"},
    // Sizes (format 2)
    {"SizeInVersion1", H "A 10 16 0\nZ 10 64\n", 3, "Z (size) records need trace format 2"},
    {"SizeMissingSize", H2 "A 10 16 0\nZ 10\n", 3, "missing field SIZE in Z (size)"},
    {"SizeNotNumber", H2 "A 10 16 0\nZ 10 big\n", 3, "SIZE 'big' is not a decimal number"},
    {"ZSizeOver2To48", H2 "A 10 16 0\nZ 10 281474976710657\n", 3, "out of range (at most 2^48)"},
    {"SizeBadMark", H2 "A 10 16 0\nZ 10 64 !\n", 3, "only '?' may follow SIZE"},
    {"SizeExtraField", H2 "A 10 16 0\nZ 10 64 ? ?\n", 3, "extra field '?'"},
    {"SizeAddressZero", H2 "Z 0 64\n", 2, "addresses are never 0"},
    {"RefsAfterSize", H2 "A 10 16 0\n@ refs exact\n", 3, "must come before"},
    // Labels and names (format 2)
    {"LabelInVersion1", H "L 1 .buf\n", 2, "L (label) records need trace format 2"},
    {"LabelFieldInVersion1", H "A 10 16 0\nA 20 16 0\nI 10 20 1\n", 4, "extra field '1'"},
    {"LabelFieldOfRootInVersion1", H "A 10 16 0\nP 10 1 1\n", 3, "need trace format 2"},
    {"LabelIdZero", H2 "L 0 .buf\n", 2, "label id 0 is reserved"},
    {"LabelMissingText", H2 "L 3\n", 2, "missing field TEXT in L (label)"},
    {"LabelRedefined", H2 "L 3 .a\nL 3 .b\n", 3, "label 3 redefined with another text (first defined on line 2)"},
    {"LabelUndefined", H2 "A 10 16 0\nA 20 16 0\nI 10 20 7\n", 4, "label 7 is not defined"},
    {"LabelOnDecref", H2 "L 1 .a\nA 10 16 0\nD 10 20 1\n", 4, "extra field '1'"},
    {"LabelNotNumber", H2 "A 10 16 0\nA 20 16 0\nI 10 20 .a\n", 4, "LABEL '.a' is not a decimal number"},
    {"LabelOnRootRefUndefined", H2 "N 1 r\nA 10 16 0\nP 10 1 5\n", 4, "label 5 is not defined"},
    {"LabelOnRootUnref", H2 "N 1 r\nL 1 .a\nU 10 1 1\n", 4, "extra field '1'"},
    {"NameInVersion1", H "A 10 16 0\nK 10 1\n", 3, "K (object name) records need trace format 2"},
    {"NameMissingLabel", H2 "A 10 16 0\nK 10\n", 3, "missing field LABEL in K (object name)"},
    {"NameLabelZero", H2 "A 10 16 0\nK 10 0\n", 3, "needs a label"},
    {"NameUndefinedLabel", H2 "A 10 16 0\nK 10 4\n", 3, "label 4 is not defined"},
    {"NameExtraField", H2 "L 1 app\nA 10 16 0\nK 10 1 2\n", 4, "extra field '2'"},
    // The end of the recording (format 2)
    {"EndInVersion1", H "A 10 16 0\nE exit\n", 3, "E (end of the recording) records need trace format 2"},
    {"EndWithoutReason", "refscope-trace 2\nE\n", 2, "missing field REASON in E (end of the recording)"},
    {"RecordAfterEnd", "refscope-trace 2\nM exit\nE exit\n# fine\n\nA 10 16 0\n", 6,
     "a record after E, the end of the recording on line 3"},
    {"EndTwice", "refscope-trace 2\nE exit\nE exit\n", 3, "a record after E"},
    // Lines are counted across comments, blank lines and CRLF
    {"LineCountsCommentsAndBlanks", "# c\n\n" H "\n# c\n\nA 10 16 0\r\nQ\n", 8, "unknown record"},
};

INSTANTIATE_TEST_SUITE_P(Trace, ReaderError, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ReaderErrorText, TheErrorCarriesTheOffendingLine) {
  TraceError e = trace_error(H "A 10 16 0\nA 20 abc 0   \n");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.text(), "A 20 abc 0   ");
}

TEST(ReaderErrorText, ALongLineIsShownShortened) {
  std::string label(1000, 'x');
  TraceError e = trace_error(H "G " + label + "\n");
  EXPECT_LT(e.text().size(), 300u);
  EXPECT_LT(e.message().size(), 300u);
}

// Limits that are inside the range read cleanly.
TEST(ReaderLimits, ValuesAtTheLimitsAreAccepted) {
  Replayed r = replay_text(H "T 4294967295 app.Big\n"
                             "S 4294967295 0 4294967295 f app.py\n"
                             "A ffffffffffffffff 281474976710656 4294967295 4294967295\n"
                             "R 0xFFFFFFFFFFFFFFFF 9223372036854775807\n"
                             "A 0x00000000000000000000001 0 0\n"
                             "G 2\n"
                             "g 4294967295 4294967295\n"
                             "G 0\n");
  EXPECT_EQ(r.model->live_objects(), 2u);
  EXPECT_EQ(r.model->live_bytes(), 281474976710656u);
  EXPECT_EQ(r.model->anomalies().count(AnomalyKind::RefcountMismatch), 1u);
  EXPECT_TRUE(r.model->gc_open()) << "a G still open at the end is not an error";
  EXPECT_TRUE(invariants_hold(*r.model, r.reader->symbols().type_count()));
}

TEST(ReaderLimits, RepeatingADefinitionIdenticallyIsNotAnError) {
  Replayed r = replay_text(H "T 1 app.A\nT 1 app.A\nS 1 0 3 f app.py\nS 1 0 3 f app.py\nA 10 16 1 1\n");
  EXPECT_EQ(r.reader->symbols().type_count(), 2u);
  EXPECT_EQ(r.reader->symbols().stack_count(), 2u);
}

TEST(ReaderLimits, RefsMayBeRepeatedBeforeHeapRecords) {
  Replayed r = replay_text(H "@ refs exact\n@ refs sampled\nT 1 app.A\nM start\nA 10 16 1\n");
  EXPECT_EQ(r.reader->info().refs, RefsMode::Sampled);
  EXPECT_EQ(r.model->refs_mode(), RefsMode::Sampled);
}

#undef H

}  // namespace
}  // namespace refscope::testing
