// refscope sharing: how references are spread over the live objects, which objects are shared most, and what each
// retains (its dominator subtree).
#include "refscope/analysis/sharing.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/output.h"
#include "refscope/report/sharing_report.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct SharingCliOptions {
  CommonOptions common;
  size_t limit = 20;
  size_t type_limit = 20;
  std::string sort = "refcount";
};

int run_sharing(const SharingCliOptions& o) {
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  replay->model().release_address_index();  // the replay is over; the dominator tree needs the room
  SharingOptions options;
  options.limit = o.limit;
  options.sort = o.sort == "retained" ? SharingSort::Retained : SharingSort::Refcount;
  SharingResult r = analyse_sharing(replay->model(), options);
  SharingReport report{o.common.at, w.to_line, options.sort, o.limit, o.type_limit};
  switch (o.common.parsed_format()) {
    case Format::Json: write_json(sharing_json(r, report, replay->model(), replay->symbols())); break;
    case Format::Tsv: write_out(sharing_tsv(r, replay->model(), replay->symbols())); break;
    default: write_out(sharing_text(r, report, replay->model(), replay->symbols())); break;
  }
  return 0;
}

}  // namespace

void add_sharing_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<SharingCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sharing", "Refcount and owner histograms, shared objects by type, most shared objects, retained sizes");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, {"text", "json", "tsv"});
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  cmd->add_option("--limit", o->limit, "Objects listed (0 = all; default 20)")->type_name("N");
  cmd->add_option("--sort", o->sort,
                  "refcount (default): shared objects, highest refcount first; retained: every object, largest "
                  "retained size first")
      ->check(CLI::IsMember({"refcount", "retained"}))
      ->type_name("KEY");
  cmd->add_option("--types", o->type_limit, "Rows of the by-type table in text output (0 = all; default 20)")
      ->type_name("N");
  cmd->callback([&selected, o] { selected = [o] { return run_sharing(*o); }; });
}

}  // namespace refscope::cli
