#pragma once
// Named roots for `N` records (trace format 2): an id for each holder the checkpoint found outside the heap,
// and the name it has now. A holder is known by a key that stays the same while it does (the interpreter's
// module table; a static type's address; a thread's frame at a given depth), so that a checkpoint diffs a root's
// references against the last one's and writes `N` again only when the name changes (the frame at that depth
// now runs another function).
//
// In the walk's (owner, referent) lists a root stands in the owner's place as an odd number, (id << 1) | 1:
// object addresses are always even, so one sorted list holds both.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "python_text.h"
#include "record_format.h"
#include "trace_writer.h"

namespace refscope::recorder {

class RootTable {
 public:
  explicit RootTable(TraceWriter& writer) : writer_(writer) {}

  static bool is_root(uintptr_t owner) { return owner & 1; }
  static uint32_t id_of_owner(uintptr_t owner) { return static_cast<uint32_t>(owner >> 1); }

  // The owner value of the root known by `key`, named `name` from now on (an `N` goes out when the name is new).
  uintptr_t owner(const std::string& key, std::string name) {
    sanitize_line(name);
    auto [it, inserted] = ids_.try_emplace(key, 0);
    if (inserted) {
      it->second = static_cast<uint32_t>(names_.size() + 1);
      names_.emplace_back();
    }
    uint32_t id = it->second;
    if (inserted || names_[id - 1] != name) {
      names_[id - 1] = std::move(name);
      write(id, names_[id - 1]);
    }
    return (uintptr_t{id} << 1) | 1;
  }

  // Every root ever defined, as owners: a checkpoint diffs them all, so that a root that holds nothing any more
  // (a frame that returned) releases what it held.
  void all_owners(std::vector<uintptr_t>& out) const {
    for (uint32_t id = 1; id <= names_.size(); ++id) out.push_back((uintptr_t{id} << 1) | 1);
  }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }

  // A new trace (after fork): roots are defined again as they are next used.
  void reset() {
    ids_.clear();
    names_.clear();
  }

 private:
  void write(uint32_t id, const std::string& name) {
    char* start = writer_.reserve(name.size() + 32 + TraceWriter::kTextSlack);
    char* p = put_text(start, "N ");
    p = put_dec(p, id);
    p = put_char(p, ' ');
    p = put_text(p, name);
    p = put_char(p, '\n');
    writer_.commit_text(start, p);
  }

  TraceWriter& writer_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;  // by id - 1
};

}  // namespace refscope::recorder
