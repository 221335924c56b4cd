#pragma once
// What the model keeps for one live object: 64 bytes, so that with its address-map slot and its edges a live
// object stays under the 100-byte budget of BRIEF.md.
#include <cstdint>

#include "refscope/util/ids.h"

namespace refscope {

// Where an object's owner edges live in the EdgeStore pool.
struct EdgeList {
  uint32_t offset = 0;
  uint32_t used = 0;      // slots in use (small mode: edges, some maybe stale; hashed mode: also tombstones)
  uint32_t capacity = 0;  // 0: no storage; up to EdgeStore::kSmall a plain array, above it a hash table
};

enum ObjectFlags : uint16_t {
  kLive = 1,       // the slot holds a live object
  kImmortal = 2,   // `R ADDR immortal`: ignores I and D
  kSynthetic = 4,  // made known by an anomaly, not by an A: older than every window, not counted as an alloc
};

struct Object {
  uint64_t addr = 0;
  uint64_t line = 0;  // line of its A record, or of the record that first made it known
  uint64_t size : 48 = 0;
  uint64_t flags : 16 = 0;
  int64_t refcount = 0;
  uint32_t held = 0;  // references to it held by live objects: the sum of its incoming edge multiplicities
  uint32_t gen = 0;   // bumped when the slot is freed, so edges that point at an older occupant read as stale
  TypeIdx type;
  StackIdx site;
  EdgeList edges;

  bool live() const { return flags & kLive; }
  bool immortal() const { return flags & kImmortal; }
  bool synthetic() const { return flags & kSynthetic; }
  // References from outside the traced heap: refcount minus what live objects hold, never below 0.
  uint64_t external() const {
    return refcount > static_cast<int64_t>(held) ? static_cast<uint64_t>(refcount) - held : 0;
  }
};

}  // namespace refscope
