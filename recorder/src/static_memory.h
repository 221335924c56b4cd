#pragma once
// Which addresses belong to the program's images (the python binary, libpython, extension modules): an object
// there was laid out by the compiler, not allocated (3.11's None, True and False, static types, deep-frozen code,
// a C module's PyModuleDef). It is never freed, so the checkpoint reports it immortal whatever its count says,
// and the references static objects hold to each other (initialized without counting) do not matter.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace refscope::recorder {

class StaticMemory {
 public:
  // Reads the loaded images' segments again (an extension module may have been loaded since).
  void refresh();
  bool contains(uintptr_t addr) const {
    size_t lo = 0, hi = ranges_.size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (ranges_[mid].second <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo < ranges_.size() && ranges_[lo].first <= addr;
  }

  // The writable segments of each image (.data and .bss): where C code keeps its static variables.
  struct Segment {
    uintptr_t begin, end;
    uint32_t image;  // index into images()
  };
  const std::vector<Segment>& writable() const { return writable_; }
  const std::vector<std::string>& images() const { return images_; }  // file names, "python3.11"
  // The image holding `addr`, or -1.
  int image_of(uintptr_t addr) const;

 private:
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges_;  // [begin, end), sorted, disjoint
  std::vector<Segment> writable_;
  std::vector<Segment> segments_;  // every segment, sorted by begin
  std::vector<std::string> images_;
};

}  // namespace refscope::recorder
