#pragma once
// The one progress line on stderr: while the replay reads ("reading app.trace.zst: 42% of 1,234 MB, 56,789,012
// lines") and then the phase that runs ("finding cycles", "dominator tree"), each replacing the last. Only on a
// terminal and without -q (the command line decides: enable()), and only once the work has taken a second, so
// that quick commands never flash a line. Cleared before the report is written and when refscope ends.
#include <string>
#include <string_view>

namespace refscope::progress {

void enable(bool on);
bool enabled();

// Replaces the line with "refscope: TEXT", if enabled and a second has passed since refscope started.
void show(std::string_view text);
// What the work is on (how messages name the trace), for phase(); the replay sets it.
void set_subject(std::string_view trace);
// The phase that starts now: "refscope: TRACE: PHASE...".
void phase(std::string_view what);
// Removes the line, if one is shown.
void clear();

}  // namespace refscope::progress
