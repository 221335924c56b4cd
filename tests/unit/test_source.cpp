// Byte sources: gzip and zstd told by magic bytes, concatenated members and frames, streams cut short (read up to
// the cut, marked truncated), corrupt data (a TraceError), and decoders drained to the last byte whatever the size of
// the caller's reads; the same through read_ahead(), which decodes on a thread of its own. Compressed data is made
// here with zlib and libzstd.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <random>
#include <string>

#include "refscope/source/read_ahead.h"
#include "test_model_support.h"

namespace refscope::testing {
namespace {

std::string gzip(const std::string& data, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(const std::string& data, int level = 3) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Reads a whole source in reads of the given sizes (cycled), the way a caller with little room left would.
std::string drain(ByteSource& src, std::vector<size_t> sizes = {1 << 16}) {
  std::string out;
  std::vector<char> buf(*std::max_element(sizes.begin(), sizes.end()));
  for (size_t i = 0;; ++i) {
    size_t n = src.read(buf.data(), sizes[i % sizes.size()]);
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

// A trace of n allocations and frees, varied enough that compression uses long matches and several blocks.
std::string churn_trace(size_t n) {
  std::string t = "refscope-trace 1\nT 1 app.Node\n";
  std::mt19937 rng(7);
  for (size_t i = 0; i < n; ++i) {
    uint64_t addr = 0x7f0000000000 + 16 * (rng() % 4096);
    t += "A " + std::to_string(addr) + " " + std::to_string(16 + rng() % 200) + " 1\n";
    t += "D " + std::to_string(addr) + "\nF " + std::to_string(addr) + "\n";
  }
  return t;
}

const std::string kTrace = "refscope-trace 1\nT 1 app.Node\nA 10 56 1\nA 20 56 1\nI 20 10\nD 20\nM done\n";

TEST(Source, PlainTextIsPassedThrough) {
  auto src = open_memory(kTrace, "t.trace");
  EXPECT_STREQ(src->encoding(), "plain");
  EXPECT_EQ(drain(*src), kTrace);
  EXPECT_FALSE(src->truncated());
}

TEST(Source, GzipIsToldByItsMagicBytes) {
  auto src = open_memory(gzip(kTrace), "trace.txt");
  EXPECT_STREQ(src->encoding(), "gzip");
  EXPECT_EQ(drain(*src), kTrace);
  EXPECT_FALSE(src->truncated());
}

TEST(Source, ZstdIsToldByItsMagicBytes) {
  auto src = open_memory(zstd(kTrace), "trace.gz");
  EXPECT_STREQ(src->encoding(), "zstd");
  EXPECT_EQ(drain(*src), kTrace);
  EXPECT_FALSE(src->truncated());
}

TEST(Source, TinyInputsShorterThanAnyMagicArePlain) {
  for (std::string s : {"", "r", "\x1f", "\x28\xb5\x2f"}) {
    auto src = open_memory(s, "t");
    EXPECT_STREQ(src->encoding(), "plain");
    EXPECT_EQ(drain(*src), s);
  }
}

TEST(Source, ConcatenatedGzipMembersReadAsOne) {
  std::string a = "refscope-trace 1\nA 10 16 0\n", b = "A 20 16 0\nM end\n";
  auto src = open_memory(gzip(a) + gzip(b), "t");
  EXPECT_EQ(drain(*src), a + b);
  EXPECT_FALSE(src->truncated());
}

TEST(Source, ConcatenatedZstdFramesReadAsOne) {
  std::string a = "refscope-trace 1\nA 10 16 0\n", b = "A 20 16 0\nM end\n";
  auto src = open_memory(zstd(a) + zstd(b), "t");
  EXPECT_EQ(drain(*src), a + b);
  EXPECT_FALSE(src->truncated());
}

// Decoders may hold decoded bytes after the last input byte was consumed; small or odd-sized reads must still get
// every byte, and a complete stream must not be called truncated.
TEST(Source, CompressedStreamsAreDrainedToTheLastByteWithSmallReads) {
  std::string text = churn_trace(20000);
  for (auto make : {&gzip, &zstd}) {
    std::string packed = make(text, 9);
    for (std::vector<size_t> sizes : std::vector<std::vector<size_t>>{{1}, {7, 4096, 13}, {65536}, {1 << 20}}) {
      if (sizes == std::vector<size_t>{1} && text.size() > (1 << 20)) continue;
      auto src = open_memory(packed, "t");
      std::string got = drain(*src, sizes);
      EXPECT_EQ(got.size(), text.size()) << src->encoding() << " with reads of " << sizes[0];
      EXPECT_TRUE(got == text);
      EXPECT_FALSE(src->truncated()) << src->encoding() << " with reads of " << sizes[0];
    }
  }
}

TEST(Source, CompressedTracesReplayLikeThePlainOne) {
  std::string text = churn_trace(5000);
  auto plain = replay_text(text);
  for (std::string packed : {gzip(text), zstd(text)}) {
    Replayed r{reader_for(packed), std::make_unique<Model>()};
    Event ev;
    while (r.reader->next(ev)) r.model->apply(ev);
    EXPECT_EQ(r.model->counts().alloc, plain.model->counts().alloc);
    EXPECT_EQ(r.model->counts().free, plain.model->counts().free);
    EXPECT_EQ(r.model->anomalies().total(), plain.model->anomalies().total());
    EXPECT_EQ(r.model->last_line(), plain.model->last_line());
    EXPECT_FALSE(r.reader->info().truncated);
  }
}

// --- Cut short --------------------------------------------------------------------------------------------------

TEST(SourceTruncated, AGzipStreamCutMidFrameGivesWhatItHadAndIsMarked) {
  std::string text = churn_trace(3000);
  std::string packed = gzip(text);
  auto src = open_memory(packed.substr(0, packed.size() / 2), "t");
  std::string got = drain(*src);
  EXPECT_TRUE(src->truncated());
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), text.size());
  EXPECT_EQ(text.compare(0, got.size(), got), 0) << "what was decoded is a prefix of the original";
}

TEST(SourceTruncated, AZstdStreamCutMidFrameGivesWhatItHadAndIsMarked) {
  std::string text = churn_trace(30000);  // several blocks, so half the frame decodes to something
  std::string packed = zstd(text);
  auto src = open_memory(packed.substr(0, packed.size() / 2), "t");
  std::string got = drain(*src);
  EXPECT_TRUE(src->truncated());
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), text.size());
  EXPECT_EQ(text.compare(0, got.size(), got), 0);
}

TEST(SourceTruncated, ACutCompressedTraceReadsUpToTheCutWithoutError) {
  std::string text = churn_trace(30000);
  for (std::string packed : {gzip(text), zstd(text)}) {
    Replayed r{reader_for(packed.substr(0, packed.size() * 2 / 3)), std::make_unique<Model>()};
    Event ev;
    while (r.reader->next(ev)) r.model->apply(ev);
    EXPECT_TRUE(r.reader->info().truncated);
    EXPECT_GT(r.model->counts().alloc, 0u);
    EXPECT_LT(r.model->counts().alloc, 30000u);
    EXPECT_TRUE(invariants_hold(*r.model, 2));
  }
}

TEST(SourceTruncated, AGzipHeaderAloneIsTruncatedAndEmpty) {
  std::string packed = gzip(kTrace);
  auto src = open_memory(packed.substr(0, 10), "t");
  EXPECT_EQ(drain(*src), "");
  EXPECT_TRUE(src->truncated());
}

// --- Corrupt ----------------------------------------------------------------------------------------------------

TEST(SourceCorrupt, GzipMagicFollowedByGarbageIsATraceError) {
  std::string bad = "\x1f\x8b" + std::string("this is not deflate data at all, not at all\n");
  try {
    auto src = open_memory(bad, "bad.gz");
    drain(*src);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(e.file(), "bad.gz");
    EXPECT_NE(e.message().find("corrupt gzip data"), std::string::npos) << e.message();
  }
}

TEST(SourceCorrupt, ZstdMagicFollowedByGarbageIsATraceError) {
  std::string bad = std::string("\x28\xb5\x2f\xfd", 4) + std::string(64, '\x7f');
  try {
    auto src = open_memory(bad, "bad.zst");
    drain(*src);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(e.file(), "bad.zst");
    EXPECT_NE(e.message().find("corrupt zstd data"), std::string::npos) << e.message();
  }
}

TEST(SourceCorrupt, AFlippedByteInsideAGzipStreamIsATraceError) {
  std::string text = churn_trace(2000);
  std::string packed = gzip(text);
  packed[packed.size() - 6] ^= 0x55;  // inside the CRC32 trailer: the data decodes, the check fails
  auto src = open_memory(packed, "t");
  EXPECT_THROW(drain(*src), TraceError);
}

TEST(SourceCorrupt, TheReaderPassesDecoderErrorsOn) {
  std::string bad = std::string("\x28\xb5\x2f\xfd", 4) + std::string(64, '\x7f');
  EXPECT_THROW(replay_text(bad), TraceError);
}

// --- Read ahead (decoding on a thread of its own) ---------------------------------------------------------------

// Everything read through read_ahead(), in reads of the given sizes, with what came after: the end, or the error.
struct Drained {
  std::string bytes;
  std::string error;  // the TraceError's message, empty at a clean end
  bool truncated = false;
};

Drained drain_all(ByteSource& src, std::vector<size_t> sizes) {
  Drained d;
  std::vector<char> buf(*std::max_element(sizes.begin(), sizes.end()));
  try {
    for (size_t i = 0;; ++i) {
      size_t n = src.read(buf.data(), sizes[i % sizes.size()]);
      if (n == 0) break;
      d.bytes.append(buf.data(), n);
    }
  } catch (const TraceError& e) {
    d.error = e.message();
  }
  d.truncated = src.truncated();
  return d;
}

TEST(SourceReadAhead, APlainSourceIsLeftAsItIs) {
  auto src = open_memory(kTrace, "t");
  ByteSource* inner = src.get();
  EXPECT_EQ(read_ahead(std::move(src)).get(), inner);
}

// Several times the decoder's ring of chunks, read in odd sizes and in large ones: the same bytes, in order.
TEST(SourceReadAhead, GivesEveryByteInOrderWhateverTheReads) {
  std::string text = churn_trace(120000);
  ASSERT_GT(text.size(), size_t{6} << 20);
  for (auto make : {&gzip, &zstd}) {
    std::string packed = make(text, 1);
    for (std::vector<size_t> sizes : std::vector<std::vector<size_t>>{{7, 4096, 13}, {65536}, {3 << 20, 5}}) {
      auto src = read_ahead(open_memory(packed, "t"));
      Drained d = drain_all(*src, sizes);
      EXPECT_EQ(d.error, "");
      EXPECT_EQ(d.bytes.size(), text.size()) << src->encoding() << " with reads of " << sizes[0];
      EXPECT_TRUE(d.bytes == text);
      EXPECT_FALSE(d.truncated);
    }
  }
}

// A stream cut short: the reader gets every byte decoding inline gives, then the mark. A corrupt one: the bytes
// before the error (as far as the decoder got in its last read, inline too), then the same error.
TEST(SourceReadAhead, TheEndAndErrorsComeAfterTheBytesBeforeThem) {
  std::string text = churn_trace(60000);
  std::string cut_gzip = gzip(text), cut_zstd = zstd(text), bad_crc = gzip(text);
  cut_gzip.resize(cut_gzip.size() / 2);
  cut_zstd.resize(cut_zstd.size() / 2);
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // the data decodes, the CRC32 check at the end fails
  std::string garbage = std::string("\x28\xb5\x2f\xfd", 4) + std::string(64, '\x7f');
  for (const std::string& packed : {cut_gzip, cut_zstd}) {
    Drained expected = drain_all(*open_memory(packed, "t"), {1 << 20});
    Drained got = drain_all(*read_ahead(open_memory(packed, "t")), {1 << 20});
    EXPECT_TRUE(expected.truncated);
    EXPECT_EQ(got.error, "");
    EXPECT_TRUE(got.truncated);
    EXPECT_TRUE(got.bytes == expected.bytes) << got.bytes.size() << " bytes, inline " << expected.bytes.size();
  }
  for (const std::string& packed : {bad_crc, garbage}) {
    Drained expected = drain_all(*open_memory(packed, "t"), {1 << 20});
    Drained got = drain_all(*read_ahead(open_memory(packed, "t")), {1 << 20});
    EXPECT_NE(expected.error, "");
    EXPECT_EQ(got.error, expected.error);
    EXPECT_EQ(text.compare(0, got.bytes.size(), got.bytes), 0) << "what came before the error is the data's start";
  }
}

// A reader that stops early (a command that found its marker) ends the decoder, which was waiting for room.
TEST(SourceReadAhead, AReaderThatStopsEarlyEndsTheDecoder) {
  std::string packed = zstd(churn_trace(120000), 1);
  for (int i = 0; i < 20; ++i) {
    auto src = read_ahead(open_memory(packed, "t"));
    char buf[100];
    if (i % 2) {
      EXPECT_GT(src->read(buf, sizeof buf), 0u);
    }
  }
}

TEST(SourceReadAhead, ACompressedTraceReplaysTheSameThroughIt) {
  std::string text = churn_trace(5000);
  auto plain = replay_text(text);
  for (std::string packed : {gzip(text), zstd(text)}) {
    TraceReader reader(read_ahead(open_memory(packed, "t")), "t");
    Model model;
    Event ev;
    while (reader.next(ev)) model.apply(ev);
    EXPECT_EQ(model.counts().alloc, plain.model->counts().alloc);
    EXPECT_EQ(model.counts().free, plain.model->counts().free);
    EXPECT_EQ(model.last_line(), plain.model->last_line());
    EXPECT_FALSE(reader.info().truncated);
  }
}

}  // namespace
}  // namespace refscope::testing
