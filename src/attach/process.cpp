#include "refscope/attach/process.h"

#include <dirent.h>
#include <elf.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "refscope/util/error.h"

namespace refscope::attach {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool read_file(const std::string& path, std::vector<char>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

// One mapped ELF object: its symbols by name (defined ones only) and its load bias.
struct Process::Object {
  std::string path;
  bool parsed = false;
  uint64_t bias = 0;
  std::unordered_map<std::string, Symbol> symbols;
};

Process::Process(pid_t pid) : pid_(pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (pid <= 0 || access(proc.c_str(), F_OK) != 0) {
    throw UsageError("attach: there is no process " + std::to_string(pid));
  }
  std::ifstream maps(proc + "/maps");
  std::string line;
  bool any = false;
  while (std::getline(maps, line)) {
    any = true;
    // start-end perms offset dev inode path
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in >> std::ws, path);
    if (path.empty() || path[0] != '/') continue;
    if (path.size() > 10 && path.compare(path.size() - 10, 10, " (deleted)") == 0) path.resize(path.size() - 10);
    Mapping m;
    m.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    m.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    m.offset = std::stoull(offset, nullptr, 16);
    m.path = path;
    maps_.push_back(std::move(m));
  }
  if (!any) {
    if (access(proc.c_str(), F_OK) != 0) throw UsageError("attach: process " + std::to_string(pid) + " is gone");
    // An empty maps file: a zombie or a kernel thread; an unreadable one: not ours to look at.
    if (errno == EACCES || errno == EPERM) throw UsageError(ptrace_denied_advice(pid));
    throw UsageError("attach: process " + std::to_string(pid) + " (" + command() +
                     ") has no memory to attach to (a kernel thread, or a process that is exiting)");
  }
}

Process::~Process() = default;

std::string Process::command() const {
  std::string c = read_text("/proc/" + std::to_string(pid_) + "/comm");
  while (!c.empty() && c.back() == '\n') c.pop_back();
  return c.empty() ? "?" : c;
}

namespace {
unsigned status_field(pid_t pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return static_cast<unsigned>(std::stoul(line.substr(std::strlen(key))));
  }
  return static_cast<unsigned>(-1);
}
}  // namespace

uid_t Process::uid() const { return status_field(pid_, "Uid:"); }
gid_t Process::gid() const { return status_field(pid_, "Gid:"); }

char Process::state() const {
  std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '?';
  return stat[paren + 2];
}

std::vector<pid_t> Process::threads() const {
  std::vector<pid_t> out{pid_};
  std::string dir = "/proc/" + std::to_string(pid_) + "/task";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      pid_t tid = static_cast<pid_t>(std::atoi(e->d_name));
      if (tid > 0 && tid != pid_) out.push_back(tid);
    }
    closedir(d);
  }
  std::sort(out.begin() + 1, out.end());
  return out;
}

// The file as the target sees it: through /proc/PID/root (a container's root), else the path itself.
const Process::Object* Process::object(const std::string& path) const {
  for (const auto& o : objects_) {
    if (o->path == path) return o->parsed ? o.get() : nullptr;
  }
  objects_.push_back(std::make_unique<Object>());
  Object& obj = *objects_.back();
  obj.path = path;
  std::vector<char> data;
  if (!read_file("/proc/" + std::to_string(pid_) + "/root" + path, data) && !read_file(path, data)) return nullptr;
  if (data.size() < sizeof(Elf64_Ehdr) || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0 ||
      data[EI_CLASS] != ELFCLASS64) {
    return nullptr;
  }
  auto in_file = [&](uint64_t off, uint64_t n) { return off <= data.size() && n <= data.size() - off; };
  Elf64_Ehdr eh;
  std::memcpy(&eh, data.data(), sizeof eh);
  // The load bias: where the segment at file offset 0 was mapped, less the address it was linked at.
  uint64_t linked = UINT64_MAX;
  if (!in_file(eh.e_phoff, uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr))) return nullptr;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, data.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_LOAD && ph.p_offset == 0) linked = std::min(linked, ph.p_vaddr);
  }
  uint64_t mapped = UINT64_MAX;
  for (const Mapping& m : maps_) {
    if (m.path == path && m.offset == 0) mapped = std::min(mapped, m.start);
  }
  if (linked == UINT64_MAX || mapped == UINT64_MAX) return nullptr;
  obj.bias = mapped - (linked & ~uint64_t(0xfff));
  if (!in_file(eh.e_shoff, uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr))) return nullptr;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  std::memcpy(sections.data(), data.data() + eh.e_shoff, sections.size() * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) continue;
    if (sh.sh_link >= sections.size() || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
    const Elf64_Shdr& strings = sections[sh.sh_link];
    if (!in_file(sh.sh_offset, sh.sh_size) || !in_file(strings.sh_offset, strings.sh_size)) continue;
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, data.data() + sh.sh_offset + off, sizeof sym);
      if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0 || sym.st_name >= strings.sh_size) continue;
      int type = ELF64_ST_TYPE(sym.st_info);
      if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) continue;
      const char* name = data.data() + strings.sh_offset + sym.st_name;
      size_t len = strnlen(name, strings.sh_size - sym.st_name);
      obj.symbols.emplace(std::string(name, len), Symbol{sym.st_value + obj.bias, sym.st_size});
    }
  }
  obj.parsed = true;
  return &obj;
}

std::optional<std::string> Process::object_exporting(const std::string& name, const std::string& hint) const {
  std::vector<std::string> paths;
  for (const Mapping& m : maps_) {
    if (std::find(paths.begin(), paths.end(), m.path) == paths.end()) paths.push_back(m.path);
  }
  std::stable_partition(paths.begin(), paths.end(), [&](const std::string& p) {
    return !hint.empty() && p.substr(p.rfind('/') + 1).find(hint) != std::string::npos;
  });
  for (const std::string& p : paths) {
    const Object* o = object(p);
    if (o != nullptr && o->symbols.count(name)) return p;
  }
  return std::nullopt;
}

std::optional<Symbol> Process::symbol(const std::string& path, const std::string& name) const {
  const Object* o = object(path);
  if (o == nullptr) return std::nullopt;
  auto it = o->symbols.find(name);
  if (it == o->symbols.end()) return std::nullopt;
  return it->second;
}

void Process::read(uint64_t address, void* out, size_t n) const {
  iovec local{out, n};
  iovec remote{reinterpret_cast<void*>(address), n};
  ssize_t got = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  if (got == static_cast<ssize_t>(n)) return;
  if (got < 0 && (errno == EPERM || errno == EACCES)) throw UsageError(ptrace_denied_advice(pid_));
  if (got < 0 && errno == ESRCH) throw UsageError("attach: process " + std::to_string(pid_) + " is gone");
  throw UsageError("attach: cannot read the memory of process " + std::to_string(pid_) + ": " +
                   std::strerror(errno));
}

void Process::write(uint64_t address, const void* data, size_t n) const {
  iovec local{const_cast<void*>(data), n};
  iovec remote{reinterpret_cast<void*>(address), n};
  ssize_t put = process_vm_writev(pid_, &local, 1, &remote, 1, 0);
  if (put == static_cast<ssize_t>(n)) return;
  throw UsageError("attach: cannot write into the memory of process " + std::to_string(pid_) + ": " +
                   std::strerror(errno));
}

std::string ptrace_denied_advice(pid_t pid) {
  std::string why = "attach: the kernel does not let refscope trace process " + std::to_string(pid) + " (ptrace: " +
                    std::strerror(EPERM) + "). ";
  std::string scope = read_text("/proc/sys/kernel/yama/ptrace_scope");
  while (!scope.empty() && (scope.back() == '\n' || scope.back() == ' ')) scope.pop_back();
  if (getuid() != 0) {
    why += "It must run as the same user as the process, or as root. ";
  }
  if (scope == "1") {
    why += "Yama's ptrace_scope is 1: only a parent may trace its child; run refscope as root, or allow it with "
           "'sysctl kernel.yama.ptrace_scope=0'.";
  } else if (scope == "2") {
    why += "Yama's ptrace_scope is 2: only root (CAP_SYS_PTRACE) may attach.";
  } else if (scope == "3") {
    why += "Yama's ptrace_scope is 3: no process may be traced until the next reboot.";
  } else {
    why += "In a container, refscope needs CAP_SYS_PTRACE (docker run --cap-add=SYS_PTRACE); a process that made "
           "itself undumpable (prctl PR_SET_DUMPABLE 0) can be traced by root only.";
  }
  return why;
}

}  // namespace refscope::attach
