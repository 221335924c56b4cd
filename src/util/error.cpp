#include "refscope/util/error.h"

namespace refscope {
namespace {
std::string compose(const std::string& file, uint64_t line, const std::string& message) {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}
}  // namespace

TraceError::TraceError(std::string file, uint64_t line, std::string message, std::string text)
    : std::runtime_error(compose(file, line, message)),
      file_(std::move(file)),
      line_(line),
      message_(std::move(message)),
      text_(std::move(text)) {}

}  // namespace refscope
