#include "refscope/report/output.h"

#include <cerrno>
#include <cstdio>

namespace refscope {
namespace {
bool closed = false;
}

void write_out(std::string_view text) {
  if (closed || text.empty()) return;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    closed = true;  // EPIPE or a full disk: either way nothing more can be written
    std::clearerr(stdout);
  }
}

bool flush_out() {
  if (!closed && std::fflush(stdout) != 0) closed = true;
  return !closed;
}

bool output_closed() { return closed; }

}  // namespace refscope
