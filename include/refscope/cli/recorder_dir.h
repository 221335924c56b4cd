#pragma once
// Where the recorder for a Python version lives (`refscope record` and `refscope attach` both need it).
#include <filesystem>
#include <string>

namespace refscope::cli {

// The directory holding refscope_record/ and sitecustomize.py for Python `version` ("3.11"): REFSCOPE_RECORDER_PATH,
// then recorder/ beside the binary (a build tree), then lib/refscope/python/ of an installed tree. Throws
// UsageError, naming `command` and the places it looked, when there is none.
std::filesystem::path find_recorder_dir(const std::string& version, const std::string& command);

}  // namespace refscope::cli
