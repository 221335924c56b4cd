#pragma once
// Source files named so that the same file matches in another checkout or on another machine. A trace names each
// frame's file as the recording interpreter saw it, usually an absolute path; baselines, suppressions and JUnit
// reports want it relative to directories both machines have: the project root, the standard library and the site
// directories. The recorder names them in `@ path KIND DIR` metadata (KIND root, cwd, stdlib or site); `--root DIR`
// names the project root of a trace that does not, or replaces it.
//
//   /home/ann/app/tests/test_db.py                       -> tests/test_db.py           (root /home/ann/app)
//   /usr/lib/python3.11/json/decoder.py                  -> <stdlib>/json/decoder.py
//   /home/ann/app/.venv/lib/python3.11/site-packages/x.py -> <site>/x.py                (the deepest directory wins)
//   <frozen importlib._bootstrap>, /opt/other/y.py       -> unchanged
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "refscope/reader/symbols.h"
#include "refscope/reader/trace_reader.h"

namespace refscope {

class SourcePaths {
 public:
  // The trace's `@ path` records; a non-empty `root` (relative to the current directory) replaces its project root.
  // Without either, the project root is the recording's working directory (`@ path cwd`), if the trace names it.
  static SourcePaths of(const TraceInfo& info, const std::string& root = "");
  // One directory: kind "root", "cwd", "stdlib" or "site"; other kinds (a later recorder's) are ignored.
  void add(std::string_view kind, std::string_view dir);

  // The file relative to the deepest directory that holds it: plain under the project root, `<stdlib>/...` or
  // `<site>/...` under the others; a file under none of them as given. A relative file is taken relative to the
  // recording's working directory.
  std::string portable(const std::string& file) const;
  // The file relative to the project root, or nothing when it is not under the root (or there is no root).
  std::optional<std::string> in_project(const std::string& file) const;
  bool empty() const { return dirs_.empty(); }
  // The project root files are named relative to: the root, else the recording's working directory; "" for none.
  const std::string& project_root() const { return root_.empty() ? cwd_ : root_; }

 private:
  struct Dir {
    std::string path;    // absolute, normal, without a trailing '/'
    std::string prefix;  // what replaces it: "" for the root, "<stdlib>/", "<site>/"
  };
  std::string absolute(const std::string& file) const;
  std::vector<Dir> dirs_;  // the project root, if any, first
  std::string root_, cwd_;
};

// A frame as a key that survives edits elsewhere in its file: "FILE in FUNCTION" with FILE portable, or
// "FILE:LINE" when the trace does not name the function. Site 0 (unknown) is "?".
std::string frame_key(const SymbolTable& symbols, StackIdx frame, const SourcePaths& paths);
// The same key from a frame's label as reports and baselines of refscope.baseline/1 write it ("FILE:LINE in
// FUNCTION"); a label of another shape is returned as it is.
std::string frame_key_of_label(const std::string& label, const SourcePaths& paths);

}  // namespace refscope
