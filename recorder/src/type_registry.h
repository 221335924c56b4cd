#pragma once
// Type ids for `T` records, and the strict check that decides whether a pointer read from a freed block is a type.
//
// At free time the recorder reads a candidate type pointer at offset 8 of each possible object start (0, 16 or
// 32 bytes into the block). Blocks that hold no object (dict keys, buffers) give junk there, so a candidate is
// trusted only if it is a type the registry already validated, or if reading it without faulting
// (process_vm_readv on our own memory) shows a ready type whose own type is a metatype. Rejected candidates are
// remembered in a small direct-mapped cache so that junk costs one syscall at most once in a while.
#include <Python.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trace_writer.h"

namespace refscope::recorder {

// Reads n bytes at `address` of our own memory without faulting if it is not mapped.
bool safe_read(void* out, uintptr_t address, size_t n);

struct TypeInfo {
  uintptr_t ptr = 0;
  uint32_t preheader = 0;  // bytes before the object in its block: GC header, managed dict/weakref pointers
  uint32_t basicsize = 0;
  uint32_t itemsize = 0;
  // The smallest an instance can be, from the object's start: basicsize, except for str, whose compact forms
  // (nearly every str) end with their characters right after a header shorter than tp_basicsize.
  uint32_t min_size = 0;
  bool is_str = false;
  bool is_code = false;        // code objects: freeing one must forget the stack keys that name it
  bool is_metatype = false;    // its instances are types (so freeing one must forget that type)
  bool has_freelist = false;   // instances may wait on a freelist with refcount 0 (no free is seen)
  bool written = false;        // its `T` record is in the current trace
  std::string name;
};

// What the free path needs of a validated type, in a small direct-mapped cache in front of the registry: the
// few types a program frees most stay in a few cache lines, where a lookup in the registry and its TypeInfo
// touched two more lines each time.
struct HotType {
  uintptr_t ptr = 0;
  uint32_t id = 0;  // 0: empty entry
  uint32_t min_size = 0;
  uint32_t preheader = 0;
  bool is_str = false;
  bool is_code = false;
  bool is_metatype = false;
};

class TypeRegistry {
 public:
  explicit TypeRegistry(TraceWriter& writer);

  // The id of the type of a real object (its ob_type is trusted); writes `T` the first time.
  uint32_t id_of(PyTypeObject* type);
  // The id of the type at `candidate` if it is a valid type, else 0.
  uint32_t validate(uintptr_t candidate);
  // validate(), answered from the hot cache when it can: nullptr if `candidate` is not a valid type.
  const HotType* lookup(uintptr_t candidate) {
    if (candidate < 4096 || (candidate & 7) != 0) return nullptr;  // a collector header's 0 or 1, junk
    HotType& h = hot_[hot_slot(candidate)];
    if (h.ptr == candidate && h.id != 0) return &h;
    return lookup_slow(candidate);
  }
  // A type object was freed: its address may become anything.
  void forget(uintptr_t type_address);

  const TypeInfo& info(uint32_t id) const { return infos_[id]; }
  // Makes every `T` to be written again (a new trace after fork).
  void reset_written();

  // Bytes before an object of this type in its block.
  static uint32_t preheader_of(unsigned long tp_flags);
  // Bytes before this object in its block: its type's preheader, except for the static types, which are C
  // variables with no collector header in front (their type, `type`, says GC all the same). Without this, a
  // static type and the static object 16 bytes before it (3.12: NotImplemented and its type) claimed one block.
  static uint32_t preheader_of(PyObject* op, const TypeInfo& info) {
    if (info.is_metatype && !(reinterpret_cast<PyTypeObject*>(op)->tp_flags & Py_TPFLAGS_HEAPTYPE)) return 0;
    return info.preheader;
  }
  // The size of the block of a live object whose allocation was not seen: preheader and the object's own size.
  static uint64_t block_size_of(PyObject* op, const TypeInfo& info);
  // Whether the `size` bytes from `object` hold a whole str, as its header says (the type is already known to
  // be exactly str).
  static bool str_fits(const char* object, uint64_t size);

 private:
  uint32_t find(uintptr_t ptr) const;
  const HotType* lookup_slow(uintptr_t candidate);
  static size_t hot_slot(uintptr_t p) { return static_cast<size_t>((p * 0x9E3779B97F4A7C15ull) >> (64 - 6)); }
  void clear_hot() {
    for (HotType& h : hot_) h = HotType{};
  }
  uint32_t add(PyTypeObject* type);
  bool check_type_memory(uintptr_t candidate, int depth);
  void write_type(TypeInfo& info, uint32_t id);
  void rehash(size_t capacity);

  TraceWriter& writer_;
  std::vector<TypeInfo> infos_;  // by id; id 0 is "unknown"
  struct Slot {
    uintptr_t ptr;
    uint32_t id;
  };
  std::vector<Slot> slots_;   // ptr -> id, open addressing; id 0 with ptr != 0 is a tombstone
  size_t used_ = 0;
  static constexpr size_t kRejectSlots = 4096;
  std::vector<uintptr_t> rejected_;
  uintptr_t last_ptr_ = 0;  // the last type validated, and its id: frees come in runs of one type
  uint32_t last_id_ = 0;
  HotType hot_[64];
};

}  // namespace refscope::recorder
