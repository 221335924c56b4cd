#include "refscope/cli/recorder_dir.h"

#include <cstdlib>
#include <vector>

#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

namespace fs = std::filesystem;

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : exe.parent_path();
}

}  // namespace

fs::path find_recorder_dir(const std::string& version, const std::string& command) {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("REFSCOPE_RECORDER_PATH"); env != nullptr && *env != '\0') {
    roots.emplace_back(env);
  }
  fs::path exe = executable_dir();
  if (!exe.empty()) {
    roots.push_back(exe / "recorder");                              // the build tree
    roots.push_back(exe / ".." / "lib" / "refscope" / "python");    // an installed tree, wherever it moved
  }
#ifdef REFSCOPE_RECORDER_BUILD_DIR
  roots.emplace_back(REFSCOPE_RECORDER_BUILD_DIR);
#endif
#ifdef REFSCOPE_RECORDER_INSTALL_DIR
  roots.emplace_back(REFSCOPE_RECORDER_INSTALL_DIR);
#endif
  std::string looked;
  for (const fs::path& root : roots) {
    for (const fs::path& dir : {root / version, root}) {
      std::error_code ec;
      if (fs::exists(dir / "refscope_record" / "__init__.py", ec) && fs::exists(dir / "sitecustomize.py", ec)) {
        return fs::absolute(dir, ec).lexically_normal();
      }
    }
    looked += (looked.empty() ? "" : ", ") + (root / version).string();
  }
  throw UsageError(command + ": no recorder built for Python " + version + " (looked in " + looked +
                   "); build it with cmake -DREFSCOPE_RECORDER_PYTHONS=/path/to/python" + version +
                   " or point REFSCOPE_RECORDER_PATH at one");
}

}  // namespace refscope::cli
