#pragma once
// Option values given as comma lists ("unowned,cyclic", "type,site"): the words, empty ones dropped.
#include <string>
#include <string_view>
#include <vector>

namespace refscope {

inline std::vector<std::string> comma_words(std::string_view text) {
  std::vector<std::string> words;
  while (true) {
    size_t comma = text.find(',');
    std::string_view word = text.substr(0, comma);
    if (!word.empty()) words.emplace_back(word);
    if (comma == std::string_view::npos) return words;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace refscope
