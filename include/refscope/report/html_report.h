#pragma once
// `refscope report`: one self-contained HTML page for people who would rather look than read. It renders results
// the other commands render too (summary, leaks, cycles) and two only it draws (the timeline of live objects and
// bytes, the dominator tree cut for browsing), all taken in one replay. Styles and the small script are refscope's
// own (src/report/html/), embedded when refscope is built; the pictures (chart, icicle graph, cycles) are SVG
// written here, so the page reads in any current browser, offline, and mostly without scripts.
#include <string>

#include "refscope/analysis/cycles.h"
#include "refscope/analysis/leak_analysis.h"
#include "refscope/analysis/retention.h"
#include "refscope/analysis/summary.h"
#include "refscope/analysis/timeline.h"
#include "refscope/report/render.h"

namespace refscope {

struct HtmlReportResult {
  SummaryResult summary;    // at the window's end
  TimelineResult timeline;  // the replay up to the window's end
  LeaksResult leaks;        // grouped by type and site, as `refscope leaks` groups by default
  LeakAnalysis stacks;      // the same leaks grouped by stack (the icicle graph)
  CyclesResult cycles;
  RetentionResult retention;
  size_t cycle_pictures = 30;  // cycles drawn (live and collected each); the rest are counted
};

void report_html(const HtmlReportResult& r, Output& out);

inline constexpr Renderers<HtmlReportResult> kHtmlReportRenderers{.html = report_html};

}  // namespace refscope
