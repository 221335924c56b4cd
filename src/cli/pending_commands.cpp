// Placeholders for commands whose files are still being written: each registers nothing, and the real
// definition in src/cli/cmd_NAME.cpp replaces it. This file goes away when every command is in.
#include "refscope/cli/command.h"

namespace refscope::cli {
__attribute__((weak)) void add_record_command(CLI::App&, CommandRun&) {}
}  // namespace refscope::cli
