// refscope convert: a trace written again in the other encoding (text for people and other tools, binary for
// size and speed), record for record, so that every report gives the same figures from either.
#include <sys/stat.h>
#include <unistd.h>

#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/reader/convert.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct ConvertOptions {
  std::string trace = "-";
  std::string output = "-";
  bool binary = false;
};

int write_converted(const ConvertOptions& o, bool& created) {
  TraceReader reader(o.trace);  // a trace that cannot be read fails before the output is made
  const TraceEncoding encoding = o.binary ? TraceEncoding::Binary : TraceEncoding::Text;
  if (o.output == "-") {
    FdOutput& out = standard_output();
    convert_trace(reader, out, encoding);
    out.flush();
    return 0;
  }
  FileOutput out(o.output);
  created = true;
  convert_trace(reader, out, encoding);
  out.close();
  return 0;
}

// A conversion that failed half way leaves no half trace behind, as `report` leaves no half page (only a regular
// file is removed: `-o /dev/full` must not take the device away). To stdout, what was written stays written.
int run_convert(const ConvertOptions& o) {
  bool created = false;
  try {
    return write_converted(o, created);
  } catch (...) {
    struct stat st {};
    if (created && ::stat(o.output.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(o.output.c_str());
    throw;
  }
}

}  // namespace

void add_convert_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Write a trace again as text (the default) or in the binary encoding, record for record");
  cmd->add_option("TRACE", o->trace, "Trace file, text or binary, plain, gzip or zstd; - (the default) reads stdin");
  cmd->add_option("-o,--output", o->output, "Where to write the trace; - (the default) writes standard output")
      ->type_name("OUT");
  cmd->add_flag("--binary", o->binary, "Write the binary encoding (man refscope-trace(5)) instead of text");
  cmd->callback([&selected, o] { selected = [o] { return run_convert(*o); }; });
}

}  // namespace refscope::cli
