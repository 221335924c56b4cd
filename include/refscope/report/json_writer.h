#pragma once
// JSON written as it is produced: every JSON report goes through this writer, so that no report builds a document
// in memory (nlohmann's values take about 2 KB an object: a garbage cycle of a million objects would need 2 GB) and
// every report is laid out the same way: two-space indentation, one member or element a line, `{}` and `[]` for
// empty ones, strings escaped as JSON requires with invalid UTF-8 replaced by U+FFFD (the reader keeps a trace's
// bytes as they are). That is nlohmann's dump(2) byte for byte, which the unit tests check.
//
//   JsonWriter w(out);
//   w.begin_object().field("schema", "refscope.leaks/1").key("groups").begin_array();
//   ... w.end_array().end_object().finish();
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "refscope/report/output.h"

namespace refscope {

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

class JsonWriter {
 public:
  explicit JsonWriter(Output& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The name of the next member of the current object.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& value(T n) {
    if constexpr (std::signed_integral<T>)
      return number(static_cast<int64_t>(n));
    else
      return number(static_cast<uint64_t>(n));
  }
  template <typename T>
  JsonWriter& value(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  template <typename T>
  JsonWriter& value(const std::vector<T>& list) {
    begin_array();
    for (const T& item : list) value(item);
    return end_array();
  }
  JsonWriter& null();

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }
  // A string member that is null when empty ("at": null for the end of the trace).
  JsonWriter& label_field(std::string_view name, const std::string& label) {
    key(name);
    return label.empty() ? null() : value(label);
  }

  // Ends the document with its line end.
  void finish();

 private:
  JsonWriter& number(uint64_t n);
  JsonWriter& number(int64_t n);
  void before_value();  // the separator and indentation a value needs where it goes
  void open(char bracket, bool array);
  void close(char bracket);
  void indent(size_t depth);

  struct Level {
    bool array = false;
    bool empty = true;
  };
  Output& out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace refscope
