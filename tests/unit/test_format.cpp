// How figures are written: addresses, object names, grouped numbers, human byte sizes, tables.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>

#include "refscope/report/format.h"

namespace refscope {
namespace {

TEST(Format, AddressesAreLowercaseHexWithoutLeadingZeros) {
  EXPECT_EQ(hex_address(0x7F0000001000), "0x7f0000001000");
  EXPECT_EQ(hex_address(1), "0x1");
  EXPECT_EQ(hex_address(UINT64_MAX), "0xffffffffffffffff");
  EXPECT_EQ(object_name(0xabc, 12), "0xabc@12");
}

TEST(Format, GroupedThousands) {
  EXPECT_EQ(grouped(0), "0");
  EXPECT_EQ(grouped(999), "999");
  EXPECT_EQ(grouped(1000), "1,000");
  EXPECT_EQ(grouped(12345678), "12,345,678");
  EXPECT_EQ(grouped(UINT64_MAX), "18,446,744,073,709,551,615");
}

TEST(Format, HumanBytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.00 KiB");
  EXPECT_EQ(human_bytes(1536), "1.50 KiB");
  EXPECT_EQ(human_bytes(50 * 1024), "50.0 KiB");
  EXPECT_EQ(human_bytes(500 * 1024), "500 KiB");
  EXPECT_EQ(human_bytes(3ull << 30), "3.00 GiB");
  EXPECT_FALSE(human_bytes(UINT64_MAX).empty());
}

TEST(Format, TableAlignsColumnsWithoutTrailingBlanks) {
  Table t({{"type"}, {"bytes", Table::Align::Right}});
  t.add({"builtins.list", "56"});
  t.add({"a", "1,024"});
  EXPECT_EQ(t.text(),
            "  type           bytes\n"
            "  builtins.list     56\n"
            "  a              1,024\n");
}

TEST(Format, TsvReplacesTabsAndNewlinesInFields) {
  Table t({{"a"}, {"b"}});
  t.add({"x\ty", "1\n2"});
  EXPECT_EQ(t.tsv(), "a\tb\nx y\t1 2\n");
}

TEST(Format, SitesShownFromTheStdlibSitePackagesOrTheCurrentDirectory) {
  EXPECT_EQ(site_display("/usr/lib/python3.11/json/decoder.py:353 in JSONDecoder.raw_decode"),
            "python3.11/json/decoder.py:353 in JSONDecoder.raw_decode");
  EXPECT_EQ(site_display("/root/.pyenv/versions/3.13.0/lib/python3.13/ast.py:50 in parse"), "python3.13/ast.py:50 in parse");
  EXPECT_EQ(site_display("/usr/lib/python3/dist-packages/yaml/__init__.py:79 in load"),
            "dist-packages/yaml/__init__.py:79 in load");
  EXPECT_EQ(site_display("/venv/lib/python3.12/site-packages/requests/models.py:8 in get"),
            "site-packages/requests/models.py:8 in get");
  char cwd[PATH_MAX];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(site_display(std::string(cwd) + "/examples/app.py:12 in main"), "examples/app.py:12 in main");
  EXPECT_EQ(site_display(std::string(cwd) + "/a:b.py:3"), "a:b.py:3");  // the last ":LINE" ends the file name
  // Left as they are: relative paths, frozen modules, the unknown site, paths elsewhere.
  EXPECT_EQ(site_display("app.py:3 in f"), "app.py:3 in f");
  EXPECT_EQ(site_display("<frozen importlib._bootstrap>:241 in _call"), "<frozen importlib._bootstrap>:241 in _call");
  EXPECT_EQ(site_display("?"), "?");
  EXPECT_EQ(site_display("/opt/app/lib/python3.x/thing.py:1"), "/opt/app/lib/python3.x/thing.py:1");
}

TEST(Format, ElideMiddleKeepsBothEndsAndWholeCharacters) {
  EXPECT_EQ(elide_middle("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(elide_middle("abcdefghij", 7), "a...hij");
  EXPECT_EQ(elide_middle("abcdefghij", 2), "ab");
  std::string cut = elide_middle("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8);  // five two-byte characters
  EXPECT_LE(cut.size(), 8u);
  EXPECT_EQ(cut, "...\xc3\xa9\xc3\xa9");
}

TEST(Format, TextTablesFitOneHundredColumns) {
  Table t({{"kind"}, {"type"}, {"site", Table::Align::Left, true}, {"objects", Table::Align::Right}});
  std::string type(40, 't'), site = "/usr/lib/python3.11/" + std::string(70, 's') + ".py:1 in f";
  t.add({"retained", type, site, "1,234"});
  t.add({"cyclic", "short", "app.py:1", "5"});
  std::string text = t.text();
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    EXPECT_LE(nl - start, kTextColumns) << text;
  // The site shortened, then cut a third of the way in.
  EXPECT_NE(text.find("python3.11/...sss"), std::string::npos) << text;
  EXPECT_NE(text.find(type), std::string::npos) << text;  // a type is never cut
  EXPECT_NE(text.find("s.py:1 in f"), std::string::npos) << text;
  EXPECT_NE(text.find("1,234"), std::string::npos);  // numbers are never cut
  EXPECT_NE(text.find("app.py:1"), std::string::npos);
  // TSV keeps everything whole.
  EXPECT_NE(t.tsv().find(site), std::string::npos);
  EXPECT_NE(t.tsv().find(type), std::string::npos);
}

TEST(Format, ProseWrapsAtTheLastSpaceThatFits) {
  std::string words;
  for (int i = 0; i < 40; ++i) words += (i ? " " : "") + std::string("word") + std::to_string(i);
  std::string out = wrap_prose(words, "    ");
  size_t lines = 0, start = 0;
  for (size_t end = out.find('\n'); ; end = out.find('\n', start)) {
    std::string line = out.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(line.size(), kTextColumns) << line;
    EXPECT_NE(line.back(), ' ');
    if (lines++ > 0) EXPECT_EQ(line.rfind("    ", 0), 0u) << line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  EXPECT_GE(lines, 3u);
  // Nothing lost: the words come back with the breaks and indents taken out.
  std::string back;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == '\n') {
      back += ' ';
      k += 4;
      continue;
    }
    back += out[k];
  }
  EXPECT_EQ(back, words);
  EXPECT_EQ(wrap_prose("short line"), "short line");
  std::string word(150, 'x');  // a word longer than a line stays whole
  EXPECT_EQ(wrap_prose("a " + word + " b"), "a\n  " + word + "\n  b");
}

}  // namespace
}  // namespace refscope
