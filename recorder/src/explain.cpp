// REFSCOPE_RECORD_EXPLAIN=FILE: at each checkpoint, the objects the walk reached whose refcount is more (or less)
// than the references it found to them, with every word of static data that holds their address, and the live
// objects the trace knows that the walk did not reach at all. An object
// that shows here and has no such word is held by something the recorder cannot see: a C local variable, memory
// a C extension allocated, or a reference nobody will release (a refcount bug). This is how to find out which,
// when refscope reports an `unowned` object and the C code around it is yours.
#include <link.h>

#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkpoint_walk.h"
#include "python_text.h"

namespace refscope::recorder {

namespace {

std::string short_text(PyObject* op) {
  std::string out;
  if (PyUnicode_Check(op)) {
    out = "'";
    append_utf8(out, op, 60);
    out += "'";
  } else if (PyType_Check(op)) {
    out = reinterpret_cast<PyTypeObject*>(op)->tp_name;
  } else if (PyCFunction_Check(op)) {
    out = reinterpret_cast<PyCFunctionObject*>(op)->m_ml->ml_name;
  } else if (PyFunction_Check(op)) {
    append_utf8(out, reinterpret_cast<PyFunctionObject*>(op)->func_qualname, 80);
  }
  return out;
}

}  // namespace

void CheckpointWalk::explain_unexplained(const char* path) {
  FILE* out = std::fopen(path, "a");
  if (out == nullptr) return;
  std::unordered_map<uintptr_t, long> found;
  std::unordered_map<uintptr_t, std::vector<uintptr_t>> owners;
  for (const auto& e : r_.edges_) {
    ++found[e.second];
    owners[e.second].push_back(e.first);
  }
  std::fprintf(out, "checkpoint\n");
  for (PyObject* op : nodes_) {
    if (is_immortal(op, r_.statics_)) continue;
    long rc = static_cast<long>(Py_REFCNT(op));
    long n = found[reinterpret_cast<uintptr_t>(op)];
    if (rc == n) continue;
    std::fprintf(out, "  %p %s refcount %ld, %ld found %s\n", static_cast<void*>(op), Py_TYPE(op)->tp_name, rc, n,
                 short_text(op).c_str());
    for (uintptr_t owner : owners[reinterpret_cast<uintptr_t>(op)]) {
      if (RootTable::is_root(owner))
        std::fprintf(out, "    held by named root %u\n", RootTable::id_of_owner(owner));
      else
        std::fprintf(out, "    held by %#lx %s\n", static_cast<unsigned long>(owner),
                     Py_TYPE(reinterpret_cast<PyObject*>(owner))->tp_name);
    }
    const auto& images = r_.statics_.images();
    for (const StaticMemory::Segment& seg : r_.statics_.writable()) {
      for (uintptr_t a = (seg.begin + 7) & ~uintptr_t{7}; a + 8 <= seg.end; a += 8) {
        if (*reinterpret_cast<const uintptr_t*>(a) != reinterpret_cast<uintptr_t>(op)) continue;
        std::fprintf(out, "    its address is in the static data of %s at %#lx\n", images[seg.image].c_str(),
                     static_cast<unsigned long>(a));
      }
    }
  }
  // Objects the trace knows that the walk did not reach at all: no object and no root holds them.
  for (size_t i = 0; i < r_.blocks_.capacity(); ++i) {
    Block* b = r_.blocks_.slot(i);
    if (b->addr == 0 || b->state != BlockState::Live || !readable(*b) || visited_.contains(b->object())) continue;
    auto* op = reinterpret_cast<PyObject*>(b->object());
    if (Py_REFCNT(op) <= 0 || is_immortal(op, r_.statics_)) continue;
    std::fprintf(out, "  %p %s refcount %ld, not reached %s\n    block %#lx, %lu bytes:", static_cast<void*>(op),
                 Py_TYPE(op)->tp_name, static_cast<long>(Py_REFCNT(op)), short_text(op).c_str(),
                 static_cast<unsigned long>(b->addr), static_cast<unsigned long>(b->size));
    for (uint64_t k = 0; k + 8 <= b->size && k < 96; k += 8)
      std::fprintf(out, " %016lx", *reinterpret_cast<const unsigned long*>(b->addr + k));
    std::fprintf(out, "\n");
  }
  std::fclose(out);
}

}  // namespace refscope::recorder
