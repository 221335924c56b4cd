#pragma once
// How a subcommand plugs into the command line: each command lives in its own file src/cli/cmd_NAME.cpp and
// defines one `add_NAME_command`, which declares its options on `app` and, when the user picks it, stores in
// `selected` the function that runs it. app.cpp calls them all, runs the one chosen and maps how it ended to the
// exit status; main() only calls run().
#include <CLI/CLI.hpp>
#include <functional>

namespace refscope::cli {

// Runs the selected command; returns its exit status (0 done, 1 `check` over its limits).
using CommandRun = std::function<int()>;

void add_summary_command(CLI::App& app, CommandRun& selected);
void add_leaks_command(CLI::App& app, CommandRun& selected);
void add_cycles_command(CLI::App& app, CommandRun& selected);
void add_sharing_command(CLI::App& app, CommandRun& selected);
void add_why_command(CLI::App& app, CommandRun& selected);
void add_diff_command(CLI::App& app, CommandRun& selected);
void add_check_command(CLI::App& app, CommandRun& selected);
void add_record_command(CLI::App& app, CommandRun& selected);
void add_attach_command(CLI::App& app, CommandRun& selected);
void add_report_command(CLI::App& app, CommandRun& selected);
void add_convert_command(CLI::App& app, CommandRun& selected);

// Parses the command line and runs the command; every error, expected or not, is a message and exit status 2.
// The whole of main().
int run(int argc, char** argv);

}  // namespace refscope::cli
