// How figures are written: addresses, object names, grouped numbers, human byte sizes, tables.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace refscope
