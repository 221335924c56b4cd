#include "refscope/report/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace refscope {
namespace {

constexpr size_t kBufferSize = 64 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

FdOutput::FdOutput(int fd, std::string name, bool quiet_on_closed_pipe)
    : fd_(fd), name_(std::move(name)), quiet_on_closed_pipe_(quiet_on_closed_pipe) {
  buffer_.reserve(kBufferSize);
}

// What is still buffered when an output is destroyed without a flush belongs to a command that failed: dropped.
FdOutput::~FdOutput() = default;

void FdOutput::write(std::string_view text) {
  if (closed_ || text.empty()) return;
  if (buffer_.size() + text.size() > kBufferSize) {
    flush();
    if (text.size() >= kBufferSize) {
      drain(text);
      return;
    }
  }
  buffer_.append(text);
}

void FdOutput::flush() {
  std::string pending;
  pending.swap(buffer_);
  buffer_.reserve(kBufferSize);
  drain(pending);
}

void FdOutput::drain(std::string_view text) {
  while (!text.empty() && !closed_) {
    ssize_t n = ::write(fd_, text.data(), text.size());
    if (n >= 0) {
      text.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE && quiet_on_closed_pipe_) {
      closed_ = true;  // the reader went away: not an error, nothing more to write
      return;
    }
    int err = errno;
    closed_ = true;  // one message is enough; the command ends with it
    throw OutputError("cannot write to " + name_ + ": " + errno_text(err));
  }
}

FileOutput::FileOutput(const std::string& path)
    : FdOutput(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666), "'" + path + "'", false) {
  if (fd_ < 0) throw OutputError("cannot write '" + path + "': " + errno_text(errno));
}

FileOutput::~FileOutput() {
  if (fd_ >= 0) ::close(fd_);
}

void FileOutput::close() {
  flush();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw OutputError("cannot write to " + name() + ": " + errno_text(errno));
}

FdOutput& standard_output() {
  static FdOutput out(STDOUT_FILENO, "standard output", true);
  return out;
}

}  // namespace refscope
