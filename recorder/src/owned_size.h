#pragma once
// What an object costs: its own block and the memory it owns outside it (a list's item array, a dict's tables, a
// set's table, a bytearray's buffer, a deque's blocks), as `sys.getsizeof` says it, read at checkpoints only.
//
// The figure is what the object's type's C `__sizeof__` returns, plus the bytes CPython puts before the object
// (the collector's header; on 3.12+ the managed dict and weakref pointers too), exactly as `sys.getsizeof` adds
// them; never less than the block the allocator gave the object (3.13 allocates a class instance's attribute
// values inside its block, which `sys.getsizeof` leaves out). The C function is called directly:
// a `__sizeof__` written in Python is never run (a checkpoint runs no Python code), so objects of such a type,
// and of the few C types known to own memory they do not report (io.StringIO's buffer), are "unmeasured": their
// figure is their own block, and the trace says so (`Z ADDR SIZE ?`).
#include <Python.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace refscope::recorder {

class OwnedSizes {
 public:
  // Forgets what it resolved for each type: a checkpoint starts (types may have died, classes changed).
  void begin_checkpoint();
  // The checkpoint is over: lets go of the key it looked `__sizeof__` up with.
  void end_checkpoint();
  // The figure for a live object of type id `type` (TypeRegistry's) that starts `preheader` bytes into a block of
  // `block_bytes`. `measured` says whether it counts all the object owns.
  uint64_t size_of(PyObject* op, uint32_t type, uint32_t preheader, uint64_t block_bytes, bool& measured);
  // Whether objects of this type have names of their own (modules, classes, functions, code objects: `K`).
  bool has_name(PyObject* op, uint32_t type) { return ready() && resolve(Py_TYPE(op), type).named; }

 private:
  enum class How : uint8_t { Unresolved, OwnBlock, CallC, Unmeasured };
  struct Resolved {
    How how = How::Unresolved;
    bool named = false;
    PyCFunction function = nullptr;
  };
  const Resolved& resolve(PyTypeObject* type, uint32_t id);
  bool ready();

  // "__sizeof__", made for one checkpoint and released at its end: not interned (on 3.11 it is no identifier of
  // CPython's own, and an interned copy or one kept from checkpoint to checkpoint would be a reference that no
  // object of the program accounts for: `unowned` in every trace).
  PyObject* name_ = nullptr;
  bool own_block_known_ = false;
  // The C functions whose answer is the object's own block: no call needed.
  std::vector<PyCFunction> own_block_functions_;
  std::vector<Resolved> resolved_;  // by type id, for the current checkpoint
};

}  // namespace refscope::recorder
