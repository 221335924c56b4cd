#pragma once
// Anomalies: records of a well-formed trace that the reference model cannot take at face value. Each is counted
// exactly; the first N are kept with their line and address (N is an option), so memory stays bounded.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace refscope {

// In the order of precedence of TRACE-FORMAT.md: one record gives at most one anomaly, the first kind that applies.
enum class AnomalyKind : uint8_t {
  UnknownObject,
  UnknownOwner,
  OwnerMismatch,
  RefcountUnderflow,
  FreedWhileReferenced,
  AddressReused,
  ExternalNegative,
  RefcountMismatch,
};
inline constexpr size_t kAnomalyKinds = 8;

std::string_view anomaly_name(AnomalyKind kind);

struct Anomaly {
  AnomalyKind kind;
  uint64_t line = 0;
  uint64_t addr = 0;
  uint64_t owner = 0;     // the OWNER of the record, when it had one (U: its ROOT)
  int64_t observed = 0;   // R: the count the recorder saw
  int64_t modelled = 0;   // R, F: the model's refcount; D: the external count
  bool root = false;      // U: `owner` is the id of a named root, not an address
};

// A one-line explanation for people: what the record said and what the model did about it.
std::string describe(const Anomaly& a);

class AnomalyLog {
 public:
  explicit AnomalyLog(size_t keep = 100) : keep_(keep) {}

  void add(const Anomaly& a) {
    ++counts_[static_cast<size_t>(a.kind)];
    ++total_;
    if (first_.size() < keep_) first_.push_back(a);
  }
  uint64_t total() const { return total_; }
  uint64_t count(AnomalyKind k) const { return counts_[static_cast<size_t>(k)]; }
  const std::vector<Anomaly>& first() const { return first_; }
  size_t keep() const { return keep_; }

 private:
  size_t keep_;
  uint64_t total_ = 0;
  std::array<uint64_t, kAnomalyKinds> counts_{};
  std::vector<Anomaly> first_;
};

}  // namespace refscope
