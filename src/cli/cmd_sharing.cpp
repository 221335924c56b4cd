// refscope sharing: how references are spread over the live objects, which objects are shared most, and what each
// retains (its dominator subtree).
#include "refscope/analysis/sharing.h"
#include "refscope/cli/command.h"
#include "refscope/cli/common.h"
#include "refscope/report/sharing_report.h"
#include "refscope/util/error.h"

namespace refscope::cli {
namespace {

struct SharingCliOptions {
  CommonOptions common;
  size_t limit = 20;
  size_t type_rows = 20;
  std::string sort = "refcount";
};

int run_sharing(const SharingCliOptions& o) {
  auto replay = open_replay(o.common);
  Window w = advance_window(*replay, o.common);
  replay->model().release_address_index();  // the replay is over; the dominator tree needs the room
  SharingOptions options;
  options.limit = o.limit;
  options.sort = o.sort == "retained" ? SharingSort::Retained : SharingSort::Refcount;
  SharingResult r = analyse_sharing(replay->model(), replay->symbols(), options);
  r.at = w.to;
  r.type_rows = o.type_rows;
  emit(kSharingRenderers, o.common, r);
  return 0;
}

}  // namespace

void add_sharing_command(CLI::App& app, CommandRun& selected) {
  auto o = std::make_shared<SharingCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sharing", "Refcount and owner histograms, shared objects by type, most shared objects, retained sizes");
  add_trace_argument(cmd, o->common);
  add_format_option(cmd, o->common, kSharingRenderers);
  add_at_option(cmd, o->common);
  add_anomaly_option(cmd, o->common);
  add_count_option(cmd, "--limit", o->limit, "Objects listed (0 = all; default 20)");
  cmd->add_option("--sort", o->sort,
                  "refcount (default): shared objects, highest refcount first; retained: every object, largest "
                  "retained size first")
      ->check(CLI::IsMember({"refcount", "retained"}))
      ->type_name("KEY");
  add_count_option(cmd, "--types", o->type_rows, "Rows of the by-type table in text output (0 = all; default 20)");
  cmd->callback([&selected, o] { selected = [o] { return run_sharing(*o); }; });
}

}  // namespace refscope::cli
