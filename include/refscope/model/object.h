#pragma once
// What the model keeps for one live object: 56 bytes, so that with its address-map slot (12 bytes at a load
// between 7/16 and 7/8) a live object stays under the 100-byte budget of BRIEF.md, even while the map grows.
#include <cstdint>
#include <memory>
#include <vector>

#include "refscope/util/addr_map.h"
#include "refscope/util/ids.h"

namespace refscope {

enum ObjectFlags : uint8_t {
  kLive = 1,       // the slot holds a live object
  kImmortal = 2,   // `R ADDR immortal`: ignores I and D
  kSynthetic = 4,  // made known by an anomaly, not by an A: older than every window, not counted as an alloc
  kUnmeasured = 8,  // `Z ADDR SIZE ?`: it owns memory its size leaves out
};

struct Object {
  uint64_t addr = 0;
  uint64_t line = 0;  // line of its A record, or of the record that first made it known
  uint64_t size : 49 = 0;  // the format allows up to 2^48 inclusive: 48 bits are one short
  uint64_t flags : 8 = 0;
  uint64_t edge_cap_log : 7 = 0;  // edge storage: 0 none, else 2^(n-1) entries (EdgeStore); at most 33
  int64_t refcount = 0;
  uint32_t held = 0;  // references to it held by live objects: the sum of its incoming edge multiplicities
  uint32_t gen = 0;   // bumped when the slot is freed, so edges that point at an older occupant read as stale
  TypeIdx type;
  StackIdx site;
  // Where its owner edges live in the EdgeStore pool: the block's offset and the entries in use (in a small list,
  // its edges, some maybe stale; in a hashed one, also tombstones).
  uint32_t edge_offset = 0;
  uint32_t edge_used = 0;

  uint32_t edge_capacity() const { return edge_cap_log ? 1u << (edge_cap_log - 1) : 0; }

  bool live() const { return flags & kLive; }
  bool immortal() const { return flags & kImmortal; }
  bool synthetic() const { return flags & kSynthetic; }
  bool unmeasured() const { return flags & kUnmeasured; }
  // References from outside the traced heap: refcount minus what live objects hold, never below 0.
  uint64_t external() const {
    return refcount > static_cast<int64_t>(held) ? static_cast<uint64_t>(refcount) - held : 0;
  }
};

}  // namespace refscope

namespace refscope {
static_assert(sizeof(Object) == 56, "the per-object budget counts on 56 bytes");

// The model's objects by slot, in fixed-size chunks: growing never copies the table or holds two of it at once,
// and a slot's object never moves. A chunk is 2^18 objects, 14 MB: exactly seven huge pages (see huge_alloc).
class ObjectTable {
 public:
  static constexpr uint32_t kChunkBits = 18;
  static constexpr uint32_t kChunk = 1u << kChunkBits;
  static_assert(kChunk * sizeof(Object) % kHugePage == 0);

  ObjectTable() = default;
  ObjectTable(const ObjectTable&) = delete;
  ObjectTable& operator=(const ObjectTable&) = delete;
  ~ObjectTable() {
    for (Object* c : chunks_) huge_free(c);
  }

  Object& operator[](uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunk - 1)]; }
  const Object& operator[](uint32_t slot) const { return chunks_[slot >> kChunkBits][slot & (kChunk - 1)]; }
  uint32_t size() const { return size_; }
  uint32_t push_back() {
    if ((size_ & (kChunk - 1)) == 0) {
      chunks_.reserve(chunks_.size() + 1);
      chunks_.push_back(static_cast<Object*>(huge_alloc(size_t{kChunk} * sizeof(Object))));
    }
    // Constructed as slots are handed out, so a small trace touches only the pages it uses.
    new (&(*this)[size_]) Object();
    return size_++;
  }
  size_t memory_bytes() const { return static_cast<size_t>(size_) * sizeof(Object); }

 private:
  std::vector<Object*> chunks_;
  uint32_t size_ = 0;
};

}  // namespace refscope
