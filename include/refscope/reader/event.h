#pragma once
// One decoded record of a trace. The reader fills it; the model applies it. Text fields point into the reader's
// buffer and stay valid until the next call to TraceReader::next.
#include <cstdint>
#include <string_view>

#include "refscope/util/ids.h"

namespace refscope {

enum class RecordKind : uint8_t {
  Meta,      // @ KEY VALUE...
  Type,      // T ID NAME
  Stack,     // S ID PARENT LINE FUNCTION FILE
  Alloc,     // A ADDR SIZE TYPE [SITE]
  Incref,    // I ADDR [OWNER]
  Decref,    // D ADDR [OWNER]
  Free,      // F ADDR
  Refcount,  // R ADDR COUNT|immortal
  RootRef,   // P ADDR ROOT (version 2)
  RootUnref, // U ADDR ROOT (version 2)
  Resize,    // Z ADDR SIZE [?] (version 2): the object's size, with the memory it owns, is now SIZE
  Name,      // K ADDR LABEL (version 2): the object's own name (a module's, a class's, a function's, a code's)
  Marker,    // M LABEL
  GcStart,   // G GENERATION
  GcEnd,     // g COLLECTED UNCOLLECTABLE
  RootDef,   // N ID NAME (version 2)
  LabelDef,  // L ID TEXT (version 2)
};

// A, I, D, F, R, P, U, Z and K name an object by ADDR (the kinds from Alloc to Name); the others do not.
constexpr bool names_object(RecordKind k) { return k >= RecordKind::Alloc && k <= RecordKind::Name; }

enum class RefsMode : uint8_t { Exact, Sampled };

struct Event {
  RecordKind kind = RecordKind::Meta;
  bool immortal = false;  // R ... immortal
  bool unmeasured = false;  // Z ... ?: the object owns memory that SIZE leaves out
  uint32_t id = 0;        // T, S: the id the trace gives the type or stack node (N keeps its id in extra)
  uint64_t line = 0;
  uint64_t addr = 0;   // A I D F R
  uint64_t owner = 0;  // I D; 0 when the reference is held from outside the traced heap
  uint64_t size = 0;   // A Z: bytes; R: count; G: generation; g: collected
  uint64_t extra = 0;  // g: uncollectable; S: source line; N P U: the root's id in the trace
  TypeIdx type;        // A: the object's type; T: the type being defined
  StackIdx site;       // A: allocation site; S: the node being defined
  StackIdx parent;     // S: the calling node
  RootIdx root;        // N: the root being defined; P U: the root holding the reference
  LabelIdx label;      // I P: what the reference is (0: not said); K: the object's name; L: the label defined
  std::string_view text;   // @ key, T name, M label, S function, N name, L text
  std::string_view text2;  // @ value, S file
};

}  // namespace refscope
