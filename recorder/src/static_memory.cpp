#include "static_memory.h"

#include <link.h>
#include <unistd.h>

#include <algorithm>

namespace refscope::recorder {

namespace {
struct Collect {
  std::vector<std::pair<uintptr_t, uintptr_t>>* ranges;
  std::vector<StaticMemory::Segment>* writable;
  std::vector<StaticMemory::Segment>* segments;
  std::vector<std::string>* images;
};

int add_segments(struct dl_phdr_info* info, size_t, void* data) {
  auto* c = static_cast<Collect*>(data);
  std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (name.empty()) {
    // The main program: its path from /proc.
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    name = n > 0 ? std::string(path, static_cast<size_t>(n)) : "the program";
  }
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  auto image = static_cast<uint32_t>(c->images->size());
  c->images->push_back(name);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    c->ranges->emplace_back(begin, begin + ph.p_memsz);  // p_memsz covers .bss as well
    c->segments->push_back({begin, begin + ph.p_memsz, image});
    if (ph.p_flags & PF_W) c->writable->push_back({begin, begin + ph.p_memsz, image});
  }
  return 0;
}
}  // namespace

void StaticMemory::refresh() {
  ranges_.clear();
  writable_.clear();
  segments_.clear();
  images_.clear();
  Collect c{&ranges_, &writable_, &segments_, &images_};
  dl_iterate_phdr(add_segments, &c);
  std::sort(ranges_.begin(), ranges_.end());
  std::sort(segments_.begin(), segments_.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  // Merge overlaps so that the binary search sees disjoint ranges.
  size_t out = 0;
  for (const auto& r : ranges_) {
    if (out > 0 && r.first <= ranges_[out - 1].second) {
      ranges_[out - 1].second = std::max(ranges_[out - 1].second, r.second);
    } else {
      ranges_[out++] = r;
    }
  }
  ranges_.resize(out);
}

int StaticMemory::image_of(uintptr_t addr) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), addr,
                             [](uintptr_t a, const Segment& s) { return a < s.begin; });
  if (it == segments_.begin()) return -1;
  --it;
  return addr < it->end ? static_cast<int>(it->image) : -1;
}

}  // namespace refscope::recorder
