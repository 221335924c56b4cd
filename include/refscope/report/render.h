#pragma once
// One format dispatch for every report. A report is a set of renderers of one finished analysis result, one
// function per format, all with the same signature:
//
//   void leaks_text(const LeaksResult& r, Output& out);
//
// and a table naming them (leak_report.h):
//
//   inline constexpr Renderers<LeaksResult> kLeakRenderers{.text = leaks_text, .json = leaks_json, .tsv = leaks_tsv};
//
// The command line offers exactly the formats a table fills (`--format`, its help) and renders through it. A new
// format is a member here and one function per report that offers it; a new report is a result type, its
// renderers and their table.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "refscope/report/output.h"

namespace refscope {

enum class Format : uint8_t { Text, Json, Tsv, Dot, Html };
inline constexpr std::array<Format, 5> kFormats{Format::Text, Format::Json, Format::Tsv, Format::Dot, Format::Html};

std::string_view format_name(Format f);
std::optional<Format> parse_format(std::string_view name);

template <typename Result>
using Renderer = void (*)(const Result&, Output&);

template <typename Result>
struct Renderers {
  Renderer<Result> text = nullptr;
  Renderer<Result> json = nullptr;
  Renderer<Result> tsv = nullptr;
  Renderer<Result> dot = nullptr;
  Renderer<Result> html = nullptr;

  // The renderer of a format, or null when the report does not offer it.
  constexpr Renderer<Result> of(Format f) const {
    switch (f) {
      case Format::Text: return text;
      case Format::Json: return json;
      case Format::Tsv: return tsv;
      case Format::Dot: return dot;
      case Format::Html: return html;
    }
    return nullptr;
  }
  // The formats offered, in kFormats order (text first: the default).
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (Format f : kFormats)
      if (of(f)) out.emplace_back(format_name(f));
    return out;
  }
};

// Renders `result` in format `f`. The command line offers only the formats a table has, so a missing renderer is a
// bug; it is still reported as an error rather than a crash.
template <typename Result>
void render(const Renderers<Result>& renderers, Format f, const Result& result, Output& out) {
  Renderer<Result> fn = renderers.of(f);
  if (!fn) throw OutputError("this report has no " + std::string(format_name(f)) + " format");
  fn(result, out);
}

}  // namespace refscope
