#include "refscope/util/progress.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "refscope/util/printable.h"

namespace refscope::progress {
namespace {

bool allowed = false;
bool shown = false;
std::string subject;
const auto started = std::chrono::steady_clock::now();

// REFSCOPE_PROGRESS_AFTER=SECONDS: how long refscope works before the line appears (default 1).
double delay() {
  static const double seconds = [] {
    const char* env = std::getenv("REFSCOPE_PROGRESS_AFTER");
    if (env == nullptr || *env == '\0') return 1.0;
    char* end = nullptr;
    double v = std::strtod(env, &end);
    return (end && *end == '\0' && v >= 0 && v < 1e6) ? v : 1.0;
  }();
  return seconds;
}

bool past_first_second() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >= delay();
}

}  // namespace

void enable(bool on) { allowed = on; }
bool enabled() { return allowed; }

void show(std::string_view text) {
  if (!allowed || !past_first_second()) return;
  std::fprintf(stderr, "\r\033[Krefscope: %s", printable(text).c_str());
  std::fflush(stderr);
  shown = true;
}

void set_subject(std::string_view trace) { subject = trace; }

void phase(std::string_view what) {
  if (!allowed) return;
  std::string text = subject;
  if (!text.empty()) text += ": ";
  text += what;
  text += "...";
  show(text);
}

void clear() {
  if (!shown) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown = false;
}

}  // namespace refscope::progress
