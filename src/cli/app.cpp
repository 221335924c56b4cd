#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>
#include <system_error>
#include <vector>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/output.h"
#include "refscope/util/checked.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"
#include "refscope/util/printable.h"
#include "refscope/util/progress.h"

namespace refscope::cli {
namespace {

constexpr int kExitUsage = 2;

// Messages quote names, labels and lines from the input: escaped, so that a trace cannot drive the terminal.
void print_error(const std::string& message) {
  progress::clear();
  std::fprintf(stderr, "refscope: error: %s\n", printable(message).c_str());
}

int report(const TraceError& e) {
  print_error(e.what());
  if (!e.text().empty()) std::fprintf(stderr, "  | %s\n", printable(e.text()).c_str());
  return kExitUsage;
}

// Runs `body` and maps every way it can end to the documented exit status: its own (0, or 1 for check), or 2
// with a message. Nothing escapes: an exception refscope did not expect is still a message and status 2, never an
// abort.
template <typename Body>
int guarded(Body&& body) {
  try {
    return body();
  } catch (const TraceError& e) {
    return report(e);
  } catch (const UsageError& e) {
    print_error(e.what());
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
  } catch (const OutputError& e) {
    print_error(e.what());
  } catch (const FigureOverflow& e) {
    print_error(e.what());
  } catch (const std::system_error& e) {
    // Under a memory limit, starting the replay's reader thread fails with EAGAIN: that is running out of memory.
    bool memory = e.code() == std::errc::resource_unavailable_try_again || e.code() == std::errc::not_enough_memory;
    print_error(std::string(memory ? "out of memory: " : "system error: ") + e.what());
  } catch (const std::length_error& e) {
    print_error(std::string("too large for refscope: ") + e.what());
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
  } catch (...) {
    print_error("internal error");
  }
  return kExitUsage;
}

// Help and version go to stdout through iostreams: a write error there is an error too (a closed pipe is not).
int help_written(int status) {
  errno = 0;
  std::cout.flush();
  if (std::cout.good() || errno == EPIPE) return status;
  print_error(std::string("cannot write to standard output: ") + std::strerror(errno ? errno : EIO));
  return kExitUsage;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

// "unknown command 'leak'; did you mean 'leaks'?": the closest command within two edits, or one the word starts.
std::string unknown_command(const CLI::App& app, const std::string& word) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& name : command_names(app)) {
    size_t d = edit_distance(word, name);
    if (name.starts_with(word) && word.size() >= 3) d = std::min<size_t>(d, 1);
    if (d < best_distance) best_distance = d, best = name;
  }
  std::string message = "unknown command '" + word + "'";
  if (!best.empty()) return message + "; did you mean '" + best + "'?";
  std::string all;
  for (const std::string& name : command_names(app)) all += (all.empty() ? "" : ", ") + name;
  return message + "; the commands are " + all;
}

// The first word that is not an option of refscope itself: the command. Empty when there is none.
std::string command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return "";
    if (!arg.empty() && arg.front() == '-') continue;  // refscope's own options are flags: no value follows
    return std::string(arg);
  }
  return "";
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// CLI11's messages in refscope's words: an option or argument named as the user writes it ("TRACE", not
// "[TRACE(0x)]"), what was wrong, in lower case like every other message.
std::string usage_message(const CLI::ParseError& e, const CLI::App& app) {
  std::string text = e.what();
  // Names CLI11 decorates: "[TRACE(0x)]", "TRACE(0x)" -> "TRACE".
  for (size_t open = text.find("(0x)"); open != std::string::npos; open = text.find("(0x)")) {
    text.erase(open, 4);
    size_t close = text.find(']', open);
    size_t start = text.rfind('[', open);
    if (close == open && start != std::string::npos) {
      text.erase(close, 1);
      text.erase(start, 1);
    }
  }
  auto parse_counts = [&](std::string_view marker, std::string& name, std::string& number, std::string& received) {
    size_t at = text.find(marker);
    if (at == std::string::npos) return false;
    name = text.substr(0, at);
    size_t n = at + marker.size();
    size_t sp = text.find(' ', n);
    number = text.substr(n, sp - n);
    size_t got = text.rfind(' ');
    received = text.substr(got + 1);
    return true;
  };
  std::string name, number, received;
  if (parse_counts(": At Most ", name, number, received))
    return name + ": at most " + number + " expected, " + received + " given";
  if (parse_counts(": At least ", name, number, received))
    return name + ": at least " + number + " expected, " + received + " given";
  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    if (text.rfind("A subcommand", 0) == 0) {
      std::string all;
      for (const std::string& n : command_names(app)) all += (all.empty() ? "" : ", ") + n;
      return "a command is needed: " + all;
    }
    return replace_all(text, " is required", ": required, and not given");
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    text = replace_all(text, "The following arguments were not expected: ", "unexpected arguments: ");
    return replace_all(text, "The following argument was not expected: ", "unexpected argument: ");
  }
  if (text.rfind("Could not convert: ", 0) == 0) {
    std::string rest = text.substr(19);
    size_t eq = rest.find(" = ");
    if (eq != std::string::npos) return rest.substr(0, eq) + ": '" + rest.substr(eq + 3) + "' is not a valid value";
  }
  text = replace_all(text, " not in {", " is not one of {");
  text = replace_all(text, "Expected exactly ", "expected exactly ");
  text = replace_all(text, "Expected at least ", "expected at least ");
  if (!text.empty() && std::isupper(static_cast<unsigned char>(text[0])) &&
      !(text.size() > 1 && std::isupper(static_cast<unsigned char>(text[1]))))
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

int parse_and_run(int argc, char** argv) {
  // A closed output pipe shows up as EPIPE from write(); see report/output.h.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"refscope: replays CPython heap traces and reports leaks, reference cycles and sharing.", "refscope"};
  app.set_version_flag("--version", std::string("refscope ") + REFSCOPE_VERSION);
  int quiet = 0, verbose = 0;
  app.add_flag("-q,--quiet", quiet, "Only errors on stderr, no warnings or progress");
  app.add_flag("-v,--verbose", verbose, "More detail on stderr (-vv for debugging)");
  app.require_subcommand(1);
  // -q and -v work after the command too (`refscope leaks -q t.trace`): its options fall through to these.
  app.fallthrough();
  app.footer("Run 'refscope COMMAND --help' for a command's options; 'man refscope' for every figure's meaning.\n"
             "Exit status: 0 done, 1 'check' found leaks over its limits, 2 bad usage or unreadable input.");

  CommandRun selected;
  add_summary_command(app, selected);
  add_leaks_command(app, selected);
  add_cycles_command(app, selected);
  add_sharing_command(app, selected);
  add_why_command(app, selected);
  add_diff_command(app, selected);
  add_check_command(app, selected);
  add_report_command(app, selected);
  add_convert_command(app, selected);
  add_record_command(app, selected);
  add_attach_command(app, selected);

  if (std::string word = command_word(argc, argv); !word.empty()) {
    std::vector<std::string> names = command_names(app);
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      print_error(unknown_command(app, word));
      std::fprintf(stderr, "Run 'refscope --help' for the commands.\n");
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return help_written(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return help_written(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return help_written(app.exit(e));
  } catch (const CLI::ParseError& e) {
    print_error(usage_message(e, app));
    std::fprintf(stderr, "Run 'refscope --help' or 'refscope COMMAND --help' for usage.\n");
    return kExitUsage;
  }

  log::setup(quiet ? -1 : verbose);
  set_progress_allowed(!quiet && ::isatty(STDERR_FILENO));
  if (!selected) return kExitUsage;
  int status = selected();
  progress::clear();
  standard_output().flush();
  return status;
}

}  // namespace

// Parsing the command line, setting up, running the command and flushing its output all run under guarded(): an
// exception from any of them (the command's own, or one refscope did not expect, such as std::length_error) ends
// refscope with a message and status 2.
int run(int argc, char** argv) {
  return guarded([&] { return parse_and_run(argc, argv); });
}

}  // namespace refscope::cli
