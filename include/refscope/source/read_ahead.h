#pragma once
// Decompression on a thread of its own, a few MiB ahead of the reader (src/source/read_ahead.cpp).
#include <memory>

#include "refscope/source/byte_source.h"

namespace refscope {

// Decodes a gzip or zstd `source` on a thread of its own; a plain source is given back as it is. The reader gets
// the same bytes, and the end of the data (truncated or not) or the decoder's error after the bytes before them.
std::unique_ptr<ByteSource> read_ahead(std::unique_ptr<ByteSource> source);

}  // namespace refscope
