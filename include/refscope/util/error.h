#pragma once
// One error type for every problem a user can fix, thrown where it is found and caught once at the command
// boundary (src/cli/app.cpp), which prints it as `refscope: ...` and exits with status 2.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace refscope {

// Bad command-line usage: an unknown marker, a --from after the --to, a flag value out of range.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Input that cannot be read or does not parse. `line` is 0 when the problem is the file as a whole.
class TraceError : public std::runtime_error {
 public:
  TraceError(std::string file, uint64_t line, std::string message, std::string text = {});

  const std::string& file() const { return file_; }
  uint64_t line() const { return line_; }
  const std::string& message() const { return message_; }
  // The offending input line, shown under the message so the user sees what was read.
  const std::string& text() const { return text_; }

 private:
  std::string file_;
  uint64_t line_;
  std::string message_;
  std::string text_;
};

}  // namespace refscope
