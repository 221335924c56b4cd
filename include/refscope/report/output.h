#pragma once
// Where a rendered report goes. Every renderer writes to an Output, a piece at a time, so that a report never has to
// exist whole in memory (a garbage cycle of a million objects is written as it is walked), and the same renderer
// serves stdout, a file (--junit, --write-baseline) or a string (tests, the fuzz target).
//
// Write errors are part of the exit-status contract: a reader that goes away (`refscope leaks big.trace | head`) is
// not an error, so once a write to stdout fails with EPIPE everything else is dropped quietly and the command ends
// with its own status; any other failure (a full disk, an I/O error) throws OutputError, which the command
// boundary turns into a message and exit status 2.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace refscope {

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Output {
 public:
  virtual ~Output() = default;
  virtual void write(std::string_view text) = 0;
};

// Collects everything written (tests, the fuzz target).
class StringOutput final : public Output {
 public:
  void write(std::string_view text) override { text_ += text; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Buffered writes to a file descriptor; `name` is how messages call it ("standard output", "'out.xml'").
class FdOutput : public Output {
 public:
  FdOutput(int fd, std::string name, bool quiet_on_closed_pipe);
  ~FdOutput() override;
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  void write(std::string_view text) override;
  // Writes what is buffered. Throws OutputError for a write error other than a closed pipe.
  void flush();
  // True once a closed pipe made the output drop everything.
  bool closed() const { return closed_; }
  const std::string& name() const { return name_; }

 protected:
  int fd_;

 private:
  void drain(std::string_view text);
  std::string name_;
  bool quiet_on_closed_pipe_;
  bool closed_ = false;
  std::string buffer_;
};

// A file the report creates (truncating it). Throws OutputError when it cannot be opened, written or closed.
class FileOutput final : public FdOutput {
 public:
  explicit FileOutput(const std::string& path);
  ~FileOutput() override;
  // Flushes and closes; a report that wrote a file calls it, so that a failing close is an error too.
  void close();
};

// Standard output, shared by every report of the process: quiet on a closed pipe.
FdOutput& standard_output();

}  // namespace refscope
