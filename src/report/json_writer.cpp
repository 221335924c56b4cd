#include "refscope/report/json_writer.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace refscope {

std::string json_quote(std::string_view text) {
  bool plain = true;
  for (unsigned char c : text)
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  if (plain) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    out += text;
    out += '"';
    return out;
  }
  // Escapes, UTF-8 and the replacement of invalid bytes exactly as nlohmann does them: rare, so not worth a copy.
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonWriter::indent(size_t depth) {
  static constexpr std::string_view kSpaces = "                                                                ";
  size_t n = 2 * depth;
  while (n > 0) {
    size_t k = std::min(n, kSpaces.size());
    out_.write(kSpaces.substr(0, k));
    n -= k;
  }
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) return;  // the document itself
  Level& level = levels_.back();
  out_.write(level.empty ? "\n" : ",\n");
  level.empty = false;
  indent(levels_.size());
}

JsonWriter& JsonWriter::key(std::string_view name) {
  Level& level = levels_.back();
  out_.write(level.empty ? "\n" : ",\n");
  level.empty = false;
  indent(levels_.size());
  out_.write(json_quote(name));
  out_.write(": ");
  after_key_ = true;
  return *this;
}

void JsonWriter::open(char bracket, bool array) {
  before_value();
  out_.write(std::string_view(&bracket, 1));
  levels_.push_back({array, true});
}

void JsonWriter::close(char bracket) {
  bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) {
    out_.write("\n");
    indent(levels_.size());
  }
  out_.write(std::string_view(&bracket, 1));
}

JsonWriter& JsonWriter::begin_object() {
  open('{', false);
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  close('}');
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  open('[', true);
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  close(']');
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  before_value();
  out_.write(json_quote(text));
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_.write(b ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_.write("null");
  return *this;
}

JsonWriter& JsonWriter::number(uint64_t n) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out_.write(std::string_view(buf, static_cast<size_t>(end - buf)));
  return *this;
}

JsonWriter& JsonWriter::number(int64_t n) {
  before_value();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out_.write(std::string_view(buf, static_cast<size_t>(end - buf)));
  return *this;
}

void JsonWriter::finish() { out_.write("\n"); }

}  // namespace refscope
