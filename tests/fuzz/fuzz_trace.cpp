// The fuzz target: arbitrary bytes -> ByteSource (plain, gzip or zstd by magic bytes) -> TraceReader -> Model, then
// every analysis on what the model holds (leak kinds and groups, the gate, garbage and collected cycles, sharing and
// the dominator tree, paths to roots, growth, the summary, the HTML report's timeline and retention tree) and every
// renderer of every result in every format.
// A TraceError is the expected answer to bad input, and FigureOverflow to sizes that add up past 64 bits; anything
// else (a crash, a sanitizer report, an uncaught exception, a broken invariant, a hang) is a bug. The invariants are
// those the unit tests check, on whatever the fuzzer makes: a violation aborts so the fuzzer keeps the input.
//
// Built as a libFuzzer binary with clang (REFSCOPE_BUILD_FUZZER=ON) and, in every build, linked into
// fuzz_corpus_driver, which replays tests/fuzz/corpus through this same function.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "refscope/analysis/check_gate.h"
#include "refscope/analysis/cycles.h"
#include "refscope/analysis/diff_growth.h"
#include "refscope/analysis/dominator_tree.h"
#include "refscope/analysis/leak_analysis.h"
#include "refscope/analysis/retention.h"
#include "refscope/analysis/timeline.h"
#include "refscope/analysis/sharing.h"
#include "refscope/analysis/summary.h"
#include "refscope/analysis/why_paths.h"
#include "refscope/model/model.h"
#include "refscope/reader/convert.h"
#include "refscope/reader/trace_reader.h"
#include "refscope/report/baseline.h"
#include "refscope/report/check_report.h"
#include "refscope/report/cycle_report.h"
#include "refscope/report/diff_report.h"
#include "refscope/report/html_report.h"
#include "refscope/report/leak_report.h"
#include "refscope/report/sharing_report.h"
#include "refscope/report/summary_report.h"
#include "refscope/report/why_report.h"
#include "refscope/source/byte_source.h"
#include "refscope/util/checked.h"
#include "refscope/util/error.h"
#include "refscope/util/log.h"

namespace refscope {
namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_trace: invariant broken: %s\n", what);
  std::abort();
}

void require(bool ok, const char* what) {
  if (!ok) broken(what);
}

// The model's own invariants (as test_model_support.h states them).
void check_model(const Model& m) {
  if (m.bytes_overflow_line() != 0) return;  // past 2^63 live bytes the sums below wrap: the replay stops there
  uint64_t objects = 0, bytes = 0;
  bool ok = true;
  m.for_each_live([&](ObjSlot, const Object& o) {
    ++objects;
    bytes += o.size;
    if (o.refcount < 0 || o.refcount < static_cast<int64_t>(o.held)) ok = false;
  });
  require(ok, "refcount below 0 or below the references live objects hold");
  require(objects == m.live_objects() && bytes == m.live_bytes(), "live totals are not the sums over live objects");
  require(m.peak_bytes() >= bytes && m.peak_objects() >= objects, "peaks below the current figures");
}

// True when `owner` holds a reference to `target` in the model, both named as reports name them.
bool holds(const Model& m, const ObjectRef& owner, const ObjectRef& target) {
  ObjSlot o = m.find(owner.addr), t = m.find(target.addr);
  if (!Model::valid(o) || !Model::valid(t) || m.object(o).line != owner.line || m.object(t).line != target.line)
    return false;
  bool found = false;
  m.for_each_edge(o, [&](ObjSlot s, uint32_t) { found = found || s == t; });
  return found;
}

// Renders a result in every format its report offers: text must hold no control character but line ends (and tabs
// in TSV), and JSON must parse.
template <typename Result>
void render_all(const Renderers<Result>& renderers, const Result& r) {
  for (Format f : kFormats) {
    if (!renderers.of(f)) continue;
    StringOutput out;
    render(renderers, f, r, out);
    const std::string& text = out.text();
    if (f == Format::Json) {
      require(nlohmann::json::accept(text), "a JSON report does not parse");
    } else if (f != Format::Dot) {
      for (unsigned char c : text)
        require(c >= 0x20 ? c != 0x7f : c == '\n' || (c == '\t' && f == Format::Tsv),
                "a control character reached text output");
    }
  }
}

nlohmann::json json_of(void (*renderer)(const LeaksResult&, Output&), const LeaksResult& r) {
  StringOutput out;
  renderer(r, out);
  return nlohmann::json::parse(out.text());
}

void fuzz_leaks(const Model& m, const SymbolTable& symbols, const TraceInfo& info, uint64_t from_line,
                std::vector<LeakAnalysis>& points) {
  LeaksResult r;
  r.trace = TraceFacts::of(info, m);
  r.window.from.line = from_line;
  r.window.to.line = m.last_line();
  r.by = {true, true, true};
  r.limit = 0;
  r.leaks = analyse_leaks(m, symbols, {from_line, r.by, true, 0, nullptr});
  const LeakAnalysis& a = r.leaks;
  uint64_t window = 0;
  m.for_each_live([&](ObjSlot, const Object& o) { window += in_leak_window(o, from_line); });
  require(a.total_objects() == window && a.listed.size() == window, "the kinds do not cover the window");
  uint64_t group_objects = 0, group_bytes = 0, listed_bytes = 0;
  for (const LeakGroup& g : a.groups) {
    group_objects += g.objects;
    group_bytes += g.bytes;
  }
  std::array<uint64_t, kLeakKinds> kind_objects{};
  for (const LeakObject& x : a.listed) {
    listed_bytes += x.object.size;
    ++kind_objects[static_cast<size_t>(x.kind)];
    if (x.kind == LeakKind::Unowned) require(x.state.external > 0 || x.state.refcount <= 0, "unowned but owned");
    if (x.kind != LeakKind::Retained) {
      require(x.path.empty(), "a path for an object that is not retained");
      continue;
    }
    require(!x.path.empty() && x.path.back().addr == x.object.addr && x.path.back().line == x.object.line,
            "a retained path does not end at its object");
    ObjSlot root = m.find(x.path.front().addr);
    // An older root: outside the window, or (format 2) held by a named root, older than every window.
    bool named = !x.path_root.named_roots.empty();
    require(Model::valid(root) && (named || !in_leak_window(m.object(root), from_line)) &&
                (m.object(root).immortal() || m.object(root).external() > 0 || named),
            "a retained path starts elsewhere than at a root older than the window");
    for (size_t k = 0; k + 1 < x.path.size(); ++k)
      require(holds(m, x.path[k], x.path[k + 1]), "a retained path steps along no reference");
  }
  require(group_objects == a.total_objects() && group_bytes == a.total_bytes() && listed_bytes == a.total_bytes(),
          "groups and objects do not add up to the totals");
  require(kind_objects == a.objects, "the objects' kinds do not add up to the totals by kind");
  nlohmann::json doc = json_of(leaks_json, r);
  require(doc["totals"]["objects"] == a.total_objects() && doc["objects"].size() == a.listed.size(),
          "JSON and the result disagree");
  render_all(kLeakRenderers, r);

  // The same pipeline as the gate samples it, with a suppression of the first type it meets.
  SuppressionList suppressions;
  suppressions.parse("leak:" + (symbols.type_count() > 1 ? symbols.type_name(TypeIdx(1)) : std::string("?")),
                     "fuzz.supp");
  // Files named portably by the trace's own `@ path` records, as check does.
  SourcePaths paths = SourcePaths::of(info);
  suppressions.set_paths(&paths);
  LeakAnalysis gated =
      analyse_leaks(m, symbols, {from_line, {true, true, false}, false, 20, &suppressions, &paths});
  require(gated.total_objects() + gated.suppressed_objects == window, "suppressed and kept do not add up");
  for (const LeakGroup& g : gated.groups)
    require(!g.portable_id.empty() && g.portable.kind == g.names.kind && g.portable.type == g.names.type,
            "a group's portable name differs from its name in more than its frames");
  points.push_back(std::move(gated));
}

void fuzz_check(const Model& m, const TraceInfo& info, std::vector<LeakAnalysis>& points, bool repeat) {
  CheckResult r;
  r.trace = TraceFacts::of(info, m);
  r.by = {"type", "site"};
  r.limits.max_bytes = 100;
  std::map<std::string, BaselineEntry> baseline;
  if (!points.front().groups.empty()) baseline[points.front().groups.front().portable_id] = {1, UINT64_MAX};
  r.gate = evaluate_gate({&points, repeat ? points.size() - 2 : 0, repeat, &baseline}, r.limits);
  uint64_t counted_objects = 0, counted_bytes = 0;
  for (const GateGroup& g : r.gate.groups) {
    counted_objects += g.counted_objects;
    counted_bytes += g.counted_bytes;
    require(g.counted_bytes <= static_cast<uint64_t>(std::max<int64_t>(0, g.measured_bytes)), "counted beyond measured");
  }
  require(counted_objects == r.gate.counted_objects && counted_bytes == r.gate.counted_bytes, "gate sums");
  r.line = points.back().line;
  r.leaked_objects = points.back().objects;
  r.leaked_bytes = points.back().bytes;
  if (repeat) {
    r.repeat_label = "fuzz";
    r.iteration_lines.assign(points.size() - 1, r.line);
  }
  render_all(kCheckRenderers, r);
  StringOutput junit, base;
  check_junit(r, junit);
  baseline_json(r, base);
  require(nlohmann::json::accept(base.text()), "a baseline does not parse");
}

void fuzz_cycles(const Model& m, Namer& namer, CollectedCycles& collected) {
  CyclesResult r;
  r.at.line = m.last_line();
  r.limit = 3;
  r.collected = collected.take();
  find_garbage(m, namer, r);
  r.names = namer.take();
  uint64_t objects = r.other.size(), bytes = r.other_bytes;
  for (const CycleDetail& d : r.cycles) {
    objects += d.objects.size() + d.held.size();
    bytes += d.bytes + d.held_bytes;
    require(d.path.size() >= 2 && d.path.front() == d.path.back(), "a cycle's path is not closed");
    for (size_t k = 0; k + 1 < d.path.size(); ++k)
      require(holds(m, d.objects[d.path[k]], d.objects[d.path[k + 1]]), "a cycle's path steps along no reference");
    for (auto [from, to] : d.edges) require(holds(m, d.at(from), d.at(to)), "a cycle's edge is no reference");
  }
  require(objects == r.unreachable_objects && bytes == r.unreachable_bytes,
          "cycles, held and other do not add up to the unreachable objects");
  for (const CycleDetail& d : r.collected.kept) require(d.path.front() == d.path.back(), "collected path not closed");
  render_all(kCyclesRenderers, r);
}

void fuzz_sharing(const Model& m, const SymbolTable& symbols) {
  // The dominator tree's own invariants: every live object is in it, each node's immediate dominator comes before it
  // in preorder, every root and unreachable entry hangs from the virtual root, and the retained sizes of the
  // virtual root's children in the tree add up to the live bytes.
  Graph g = Graph::from_model(m);
  DominatorTree tree = dominator_tree(g);
  require(tree.preorder.size() == g.size(), "the dominator tree misses live objects");
  std::vector<uint32_t> order(g.size(), 0);
  for (uint32_t i = 0; i < tree.preorder.size(); ++i) order[tree.preorder[i]] = i;
  for (uint32_t v = 0; v < g.size(); ++v)
    require(tree.idom[v] == DominatorTree::kVirtualRoot || order[tree.idom[v]] < order[v],
            "an immediate dominator after what it dominates");
  for (uint32_t v : virtual_root_children(g))
    require(tree.idom[v] == DominatorTree::kVirtualRoot, "a root dominated by another object");
  std::vector<uint64_t> retained = retained_sizes(tree, [&](uint32_t v) { return uint64_t{m.object(g.slot(v)).size}; });
  uint64_t top = 0;
  for (uint32_t v = 0; v < g.size(); ++v)
    if (tree.idom[v] == DominatorTree::kVirtualRoot) top += retained[v];
  require(top == m.live_bytes(), "retained sizes of the virtual root's children do not add up to the live bytes");
  for (SharingSort sort : {SharingSort::Refcount, SharingSort::Retained}) {
    SharingResult r = analyse_sharing(m, symbols, {0, sort});
    require(r.live_objects == m.live_objects() && r.live_bytes == m.live_bytes(), "sharing's live totals");
    for (const SharedObject& o : r.objects) require(o.retained >= o.object.size, "retains less than itself");
    render_all(kSharingRenderers, r);
  }
}

void fuzz_why(const Model& m, const SymbolTable& symbols) {
  // The first live object and the last (often one no root reaches).
  ObjSlot first{UINT32_MAX}, last{UINT32_MAX};
  m.for_each_live([&](ObjSlot s, const Object&) {
    if (!Model::valid(first)) first = s;
    last = s;
  });
  if (!Model::valid(first)) return;
  for (ObjSlot target : {first, last}) {
    WhyResult r = why_alive(m, symbols, target, 0);
    for (const OwnerPath& p : r.paths) {
      require(p.root.immortal || p.root.external > 0 || !p.root.named_roots.empty(), "a path starts at no root");
      require(p.steps.back().addr == r.target.addr && p.steps.back().line == r.target.line, "a path misses its end");
      for (size_t k = 0; k + 1 < p.steps.size(); ++k)
        require(holds(m, p.steps[k], p.steps[k + 1]), "a path steps along no reference");
    }
    render_all(kWhyRenderers, r);
  }
}

void fuzz_diff(const Model& m, const SymbolTable& symbols, const LiveCounts& a, uint64_t from_line) {
  DiffResult r;
  r.a = {"fuzz.trace", "start", from_line, false};
  r.b = {"fuzz.trace", "", m.last_line(), false};
  r.growth = compare_live(a, live_counts(m, symbols, from_line), true);
  const GrowthRow& t = r.growth.total;
  require(t.objects_growth() == static_cast<int64_t>(*t.added_objects) - static_cast<int64_t>(*t.removed_objects),
          "growth is not added minus removed");
  render_all(kDiffRenderers, r);
}

// The HTML report's own parts: the timeline stays within its bounds and by line; the retention tree's figures add up
// (what it shows and what it counts as left out come to the live bytes); then the whole page renders.
void fuzz_report(const Model& m, const SymbolTable& symbols, const TraceInfo& info, uint64_t from_line,
                 Timeline& timeline) {
  HtmlReportResult r;
  r.timeline = timeline.finish(m);
  require(!r.timeline.samples.empty() && r.timeline.samples.size() <= Timeline::kMaxSamples, "timeline bounds");
  for (size_t k = 1; k < r.timeline.samples.size(); ++k)
    require(r.timeline.samples[k - 1].line < r.timeline.samples[k].line, "timeline samples out of order");
  require(r.timeline.samples.back().objects == m.live_objects() && r.timeline.samples.back().bytes == m.live_bytes(),
          "the timeline's last sample is not the model at its end");
  RetentionResult& t = r.retention = analyse_retention(m, symbols, {3, 2, 3, 20});
  require(t.live_objects == m.live_objects() && t.live_bytes == m.live_bytes(), "retention's live totals");
  require(t.nodes.size() <= 20, "the retention tree is larger than asked");
  uint64_t top = t.top_hidden_bytes;
  for (const RetainedNode& n : t.nodes) {
    if (n.parent == UINT32_MAX) top += n.retained;
    else require(n.parent < static_cast<size_t>(&n - t.nodes.data()) && t.nodes[n.parent].retained >= n.retained, "retention order");
    require(n.retained >= n.object.size, "an object retains less than itself");
  }
  require(top == m.live_bytes(), "the retention tree's top does not add up to the live bytes");
  r.summary = summarize(m, symbols, info);
  r.leaks.trace = TraceFacts::of(info, m);
  r.leaks.window = {{"start", from_line}, {"", m.last_line()}};
  r.leaks.by = {true, true, false};
  r.leaks.leaks = analyse_leaks(m, symbols, {from_line, r.leaks.by, true, 5, nullptr});
  r.stacks = analyse_leaks(m, symbols, {from_line, {false, false, true}, false, 0, nullptr});
  Namer namer(symbols);
  r.cycles.at.line = m.last_line();
  find_garbage(m, namer, r.cycles);
  r.cycles.names = namer.take();
  r.cycle_pictures = 3;
  render_all(kHtmlReportRenderers, r);
}

void analyse_everything(const std::string& input) {
  TraceReader reader(open_memory(input, "fuzz.trace"), "fuzz.trace");
  ModelOptions options;
  options.keep_anomalies = 16;
  options.keep_markers = 16;
  Model model(options);
  Namer namer(reader.symbols());
  CollectedCycles collected(model, namer, 4);
  model.set_observer(&collected);
  // The window starts at the first marker: the gate samples there, diff compares from there.
  uint64_t from_line = 0;
  std::vector<LeakAnalysis> points;
  LiveCounts at_start;
  Event ev;
  uint64_t records = 0;
  Timeline timeline;
  while (reader.next(ev)) {
    model.apply(ev);
    if (ev.kind == RecordKind::Marker) timeline.sample(model, &ev);
    if (++records % 4096 == 0) check_model(model);
    if (records % 64 == 0) timeline.sample(model, nullptr);
    if (ev.kind == RecordKind::Marker && from_line == 0 && model.bytes_overflow_line() == 0) {
      from_line = ev.line;
      at_start = live_counts(model, reader.symbols(), UINT64_MAX);
      points.push_back(analyse_leaks(model, reader.symbols(), {from_line, {true, true, false}, false, 20, nullptr}));
    }
  }
  check_model(model);
  collected.finish();
  model.set_observer(nullptr);
  if (model.bytes_overflow_line() != 0) return;  // the command line stops with an error here

  SummaryResult summary = summarize(model, reader.symbols(), reader.info());
  summary.type_rows = 2;
  render_all(kSummaryRenderers, summary);
  fuzz_leaks(model, reader.symbols(), reader.info(), from_line, points);
  fuzz_check(model, reader.info(), points, points.size() >= 2);
  fuzz_cycles(model, namer, collected);
  fuzz_sharing(model, reader.symbols());
  fuzz_why(model, reader.symbols());
  if (from_line != 0) fuzz_diff(model, reader.symbols(), at_start, from_line);
  fuzz_report(model, reader.symbols(), reader.info(), from_line, timeline);
}

}  // namespace
}  // namespace refscope

namespace refscope {
namespace {

std::string converted(const std::string& input, TraceEncoding encoding) {
  TraceReader reader(open_memory(input, "fuzz.trace"), "fuzz.trace");
  StringOutput out;
  convert_trace(reader, out, encoding);
  return out.text();
}

// Text and binary are two forms of the same records: an input that reads to its end reads the same in the other
// form (its text form, and the text form of its binary form, are the same bytes).
void check_conversion(const std::string& input) {
  std::string text;
  try {
    text = converted(input, TraceEncoding::Text);
  } catch (const TraceError&) {
    return;  // bad input: analyse_everything takes the records before the error
  }
  std::string binary = converted(input, TraceEncoding::Binary);
  try {
    require(converted(binary, TraceEncoding::Text) == text, "a trace's binary form reads differently");
  } catch (const TraceError&) {
    broken("a conversion of a good trace does not read");
  }
}

}  // namespace
}  // namespace refscope

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    refscope::log::setup(-1);  // truncation warnings on every other input would drown the fuzzer's output
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  const std::string input(reinterpret_cast<const char*>(data), size);
  try {
    refscope::analyse_everything(input);
  } catch (const refscope::TraceError&) {
  } catch (const refscope::FigureOverflow&) {
  }
  refscope::check_conversion(input);
  return 0;
}
