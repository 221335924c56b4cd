#include "refscope/analysis/source_paths.h"

#include <filesystem>
#include <system_error>

namespace refscope {
namespace {

// Lexically normal, without a trailing '/': "/a/./b//c/" -> "/a/b/c". Links are not followed: the trace's paths
// are what the interpreter saw, and the directories it named are compared with them as text.
std::string normal(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// `file` relative to `dir` when `dir` holds it.
std::optional<std::string> under(const std::string& file, const std::string& dir) {
  if (dir == "/") {
    if (file.size() > 1 && file.front() == '/') return file.substr(1);
    return std::nullopt;
  }
  if (file.size() <= dir.size() + 1 || file.compare(0, dir.size(), dir) != 0 || file[dir.size()] != '/')
    return std::nullopt;
  return file.substr(dir.size() + 1);
}

}  // namespace

SourcePaths SourcePaths::of(const TraceInfo& info, const std::string& root) {
  SourcePaths p;
  for (const auto& [key, value] : info.metadata) {
    if (key != "path") continue;
    size_t space = value.find(' ');
    if (space == std::string::npos) continue;
    p.add(std::string_view(value).substr(0, space), std::string_view(value).substr(space + 1));
  }
  if (!root.empty()) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(root, ec);
    p.add("root", ec ? root : abs.string());
  }
  return p;
}

void SourcePaths::add(std::string_view kind, std::string_view dir) {
  if (dir.empty() || dir.front() != '/') return;  // only absolute directories say where a file is
  std::string path = normal(std::string(dir));
  if (kind == "root") {
    root_ = path;
  } else if (kind == "cwd") {
    cwd_ = path;
  } else if (kind == "stdlib") {
    dirs_.push_back({path, "<stdlib>/"});
  } else if (kind == "site") {
    dirs_.push_back({path, "<site>/"});
  }
}

std::string SourcePaths::absolute(const std::string& file) const {
  if (file.empty() || file.front() == '<') return file;  // <frozen ...>, <string>, <stdin>: not files
  if (file.front() == '/') return normal(file);
  if (cwd_.empty()) return file;
  return normal(cwd_ + "/" + file);
}

std::optional<std::string> SourcePaths::in_project(const std::string& file) const {
  const std::string& root = root_.empty() ? cwd_ : root_;
  if (root.empty()) return std::nullopt;
  std::string abs = absolute(file);
  auto rel = under(abs, root);
  if (!rel) return std::nullopt;
  // A site or stdlib directory inside the project (a virtualenv) is not the project's code.
  for (const Dir& d : dirs_)
    if (d.path.size() > root.size() && under(abs, d.path)) return std::nullopt;
  return rel;
}

std::string SourcePaths::portable(const std::string& file) const {
  std::string abs = absolute(file);
  if (abs.empty() || abs.front() != '/') return file;
  const std::string& root = root_.empty() ? cwd_ : root_;
  std::optional<std::string> best;
  size_t depth = 0;
  if (!root.empty())
    if (auto rel = under(abs, root)) {
      best = *rel;
      depth = root.size();
    }
  for (const Dir& d : dirs_) {
    if (best && d.path.size() <= depth) continue;  // the deepest wins; the root, on a tie
    if (auto rel = under(abs, d.path)) {
      best = d.prefix + *rel;
      depth = d.path.size();
    }
  }
  return best ? *best : file;
}

std::string frame_key(const SymbolTable& symbols, StackIdx frame, const SourcePaths& paths) {
  if (frame.value == 0) return "?";
  const StackNode& n = symbols.stack(frame);
  std::string file = paths.portable(n.file);
  if (n.function.empty() || n.function == "?") return file + ":" + std::to_string(n.line);
  return file + " in " + n.function;
}

std::string frame_key_of_label(const std::string& label, const SourcePaths& paths) {
  // FILE:LINE in FUNCTION. Functions (qualified names) hold no spaces; files may hold anything.
  size_t in = label.rfind(" in ");
  if (in == std::string::npos) return label;
  std::string place = label.substr(0, in), function = label.substr(in + 4);
  size_t colon = place.rfind(':');
  if (colon == std::string::npos || colon + 1 == place.size()) return label;
  for (size_t i = colon + 1; i < place.size(); ++i)
    if (place[i] < '0' || place[i] > '9') return label;
  std::string file = paths.portable(place.substr(0, colon));
  if (function.empty() || function == "?") return file + place.substr(colon);
  return file + " in " + function;
}

}  // namespace refscope
