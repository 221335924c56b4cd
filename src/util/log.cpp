#include "refscope/util/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace refscope::log {

void setup(int verbosity) {
  spdlog::drop("refscope");
  auto logger = spdlog::stderr_logger_st("refscope");
  logger->set_pattern("refscope: %l: %v");
  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity < 0) level = spdlog::level::err;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity >= 2) level = spdlog::level::debug;
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace refscope::log
