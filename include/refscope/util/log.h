#pragma once
// Diagnostics go to stderr through spdlog, as `refscope: warning: ...`; reports go to stdout and never through here.
// The CLI sets the level from -q/-v (src/cli/app.cpp); the library only calls these. Messages may quote the trace
// (names, labels): they are escaped like every text output (util/printable.h).
#include <spdlog/spdlog.h>

#include "refscope/util/printable.h"

namespace refscope::log {

template <typename... Args>
void message(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  spdlog::log(level, "{}", printable(fmt::format(format, std::forward<Args>(args)...)));
}

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  message(spdlog::level::warn, format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  message(spdlog::level::info, format, std::forward<Args>(args)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  message(spdlog::level::debug, format, std::forward<Args>(args)...);
}

// Sends spdlog's default logger to stderr with refscope's prefix. Verbosity: -1 quiet (errors only), 0 warnings,
// 1 info, 2 debug.
void setup(int verbosity);

}  // namespace refscope::log
