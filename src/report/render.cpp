#include "refscope/report/render.h"

namespace refscope {

std::string_view format_name(Format f) {
  switch (f) {
    case Format::Text: return "text";
    case Format::Json: return "json";
    case Format::Tsv: return "tsv";
    case Format::Dot: return "dot";
    case Format::Html: return "html";
  }
  return "?";
}

std::optional<Format> parse_format(std::string_view name) {
  for (Format f : kFormats)
    if (format_name(f) == name) return f;
  return std::nullopt;
}

}  // namespace refscope
