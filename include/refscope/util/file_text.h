#pragma once
// Small input files read whole (suppression lists, baselines). Whatever keeps one from being read (missing,
// unreadable, a directory, an I/O error) is a TraceError naming the file, never an empty file read in silence.
#include <string>

namespace refscope {

// `what` names the file in messages: "the suppression file", "the baseline".
std::string read_text_file(const std::string& path, const std::string& what);

}  // namespace refscope
