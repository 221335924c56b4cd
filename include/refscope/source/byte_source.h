#pragma once
// Where trace bytes come from: a file or stdin, plain or compressed. The compression is told by the magic bytes,
// never by the file name, so `zstd -dc` and `cat` pipelines and misnamed files all read.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace refscope {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to `capacity` bytes; returns how many, 0 at the end of the data. Throws TraceError when the data is
  // unreadable (an I/O error, a corrupt compressed stream).
  virtual size_t read(char* buffer, size_t capacity) = 0;
  // True once the end was reached in the middle of a compressed frame: what came before is still good.
  virtual bool truncated() const { return false; }
  // Bytes taken from the file or stdin so far: compressed bytes for a compressed trace (progress compares them
  // with the file's size).
  virtual uint64_t bytes_in() const = 0;
  // "gzip", "zstd" or "plain".
  virtual const char* encoding() const = 0;
};

// Opens `path` ("-" is stdin) and wraps it in the decompressor its first bytes call for.
// `display_name` is what messages call it ("<stdin>" for "-").
std::unique_ptr<ByteSource> open_source(const std::string& path);

// Reads `data` as if it were a file called `name`, compression detected the same way (tests, the fuzzer).
std::unique_ptr<ByteSource> open_memory(std::string data, const std::string& name);

// How messages name a path: "<stdin>" for "-", the path itself otherwise.
std::string display_name(const std::string& path);

}  // namespace refscope
