#include "ref_tracer.h"

#include "recorder.h"

namespace refscope::recorder {

#if PY_VERSION_HEX >= 0x030D0000

namespace {
int trace_refs(PyObject* op, PyRefTracerEvent event, void*) {
  if (g_recorder == nullptr) return 0;
  if (event == PyRefTracer_CREATE) g_recorder->on_create(op);
  else if (event == PyRefTracer_DESTROY) g_recorder->on_destroy(op);
  return 0;
}
}  // namespace

bool install_ref_tracer(bool& slot_taken) {
  void* data = nullptr;
  PyRefTracer current = PyRefTracer_GetTracer(&data);
  slot_taken = current != nullptr && current != trace_refs;
  if (slot_taken) return false;
  return PyRefTracer_SetTracer(trace_refs, nullptr) == 0;
}

void uninstall_ref_tracer() {
  void* data = nullptr;
  if (PyRefTracer_GetTracer(&data) == trace_refs) PyRefTracer_SetTracer(nullptr, nullptr);
}

bool ref_tracer_installed() {
  void* data = nullptr;
  return PyRefTracer_GetTracer(&data) == trace_refs;
}

#else

bool install_ref_tracer(bool& slot_taken) {
  slot_taken = false;
  return false;
}
void uninstall_ref_tracer() {}
bool ref_tracer_installed() { return false; }

#endif

// Creation: the object's type is set, so the `A` goes out at once, in allocation order.
void Recorder::on_create(PyObject* op) {
  if (!active_ || suspended_) return;
  auto* type = Py_TYPE(op);
  uint32_t id = types_.id_of(type);
  // The type's own preheader: a type object being created has no flags yet (static types are never created).
  uint32_t pre = types_.info(id).preheader;
  auto block = reinterpret_cast<uintptr_t>(op) - pre;
  nursery_take(block);
  bool created = false;
  Block* b = blocks_.insert(block, created);
  if (created) {
    // Not from the hooked allocator (or before the recording): the size is the type's, the address a guess.
    // The object's fields are not set yet (a str's length is not): the size is its type's basic size.
    b->size = static_cast<uint64_t>(type->tp_basicsize) + pre;
    b->flags = kGuessed;
  } else if (b->state == BlockState::Live) {
    kill(*b);  // its destruction went unreported (gh-130382)
  }
  if (b->state == BlockState::Dead || created) {
    // Reused from a freelist: allocated here and now.
    b->site = options_.stack_depth > 0 ? stacks_.current(options_.stack_depth) : 0;
  }
  b->offset = pre;
  b->type = id;
  b->last_refcount = kNoRefcount;
  write_alloc(*b);
}

void Recorder::on_destroy(PyObject* op) {
  if (!active_) return;
  auto* type = Py_TYPE(op);
  uint32_t id = types_.id_of(type);
  uint32_t pre = types_.info(id).preheader;  // static types are never destroyed
  nursery_take(reinterpret_cast<uintptr_t>(op) - pre);
  Block* b = blocks_.find(reinterpret_cast<uintptr_t>(op) - pre);
  if (b == nullptr) return;
  if (b->state == BlockState::Pending) {
    // Created before the tracer was installed (or its creation went unreported).
    b->offset = pre;
    b->type = id;
    write_alloc(*b);
  }
  if (b->state == BlockState::Live) kill(*b);
}

}  // namespace refscope::recorder
