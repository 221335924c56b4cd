#pragma once
// Reports go to stdout through here. A reader that goes away (`refscope leaks big.trace | head`) is not an error:
// once a write fails with EPIPE, everything else is dropped quietly and the command finishes with its own status.
#include <string_view>

namespace refscope {

void write_out(std::string_view text);
// Flushes stdout; returns false when the output is gone (closed pipe), true otherwise.
bool flush_out();
bool output_closed();

}  // namespace refscope
