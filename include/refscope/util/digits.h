#pragma once
// "12,345,678": how every count reads for people, in reports and on the progress line alike.
#include <cstdint>
#include <string>

namespace refscope {

inline std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace refscope
