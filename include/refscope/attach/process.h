#pragma once
// A running process as `refscope attach` sees it from outside: its threads, the ELF objects it has mapped and the
// symbols they export, and its memory (process_vm_readv/writev, which need the same permission as ptrace).
//
// Symbols come from each object's .dynsym (and .symtab when it was not stripped): Debian's python3.11 is one
// static executable that exports the C API from its .dynsym; pyenv and most source builds map a shared
// libpython3.X.so; both are found the same way. Addresses are the symbol's value plus the object's load bias
// (where its first PT_LOAD segment was mapped, minus the address it was linked at), which is 0 for a non-PIE
// executable.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refscope::attach {

struct Symbol {
  uint64_t address = 0;
  uint64_t size = 0;
};

class Process {
 public:
  // Reads /proc/PID/maps. Throws UsageError when there is no such process or it may not be inspected.
  explicit Process(pid_t pid);
  ~Process();

  pid_t pid() const { return pid_; }
  std::string command() const;       // /proc/PID/comm
  uid_t uid() const;                 // the real user id
  gid_t gid() const;
  char state() const;                // R, S, D, T, t, Z, ... from /proc/PID/stat ('?' if gone)
  std::vector<pid_t> threads() const;  // the main thread first

  // The mapped object (path) that exports `name`, preferring those whose file name contains `hint`.
  std::optional<std::string> object_exporting(const std::string& name, const std::string& hint = {}) const;
  // `name` in the object mapped from `path`.
  std::optional<Symbol> symbol(const std::string& path, const std::string& name) const;

  // Reads or writes the target's memory. Throws UsageError (with the errno) on failure.
  void read(uint64_t address, void* out, size_t n) const;
  void write(uint64_t address, const void* data, size_t n) const;

 private:
  struct Mapping {
    uint64_t start, end, offset;
    std::string path;
  };
  struct Object;
  const Object* object(const std::string& path) const;

  pid_t pid_;
  std::vector<Mapping> maps_;
  mutable std::vector<std::unique_ptr<Object>> objects_;  // parsed lazily
};

// Why the kernel refused to let us look into or trace another process, and what to do about it.
std::string ptrace_denied_advice(pid_t pid);

}  // namespace refscope::attach
