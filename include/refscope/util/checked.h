#pragma once
// Arithmetic on figures a trace controls. Sizes are at most 2^48 and a trace can hold billions of objects, so a sum
// of sizes can pass 2^64 and wrap, and a report would then show a small number (and a gate pass) where the truth
// is enormous. Sums that no other bound keeps in range go through checked_add; past the range they throw
// FigureOverflow, which the command boundary reports with exit status 2: no figure is better than a wrong one.
// (The model keeps the live bytes below 2^63 itself, Model::bytes_overflow_line; any sum over live objects at one
// point is bounded by that.)
#include <cstdint>
#include <stdexcept>
#include <string>

namespace refscope {

class FigureOverflow : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

inline uint64_t checked_add(uint64_t a, uint64_t b, const char* what) {
  uint64_t sum;
  if (__builtin_add_overflow(a, b, &sum))
    throw FigureOverflow(std::string(what) + " add up to more than 2^64-1: the trace cannot be right");
  return sum;
}

}  // namespace refscope
