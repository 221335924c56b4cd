// Deaths that no allocator hook sees: the objects CPython keeps on its freelists (list, dict, tuple, slice,
// context, async generator send/value wrappers, MemoryError) go back to their freelist without being freed, and
// come back from it without being allocated. The recorder wraps the deallocator of each such type.
//   - list, dict and tuple (by far the most common): after the original deallocator, whatever it put on the
//     freelist is freed through the allocator at once (container_freelists.h), so the freelist stays empty: the
//     death is a free the hooks see (its `F` then), and every new one is allocated, with its site.
//   - the others: the trace gets the object's `F` when it dies (on_dealloc), and the object that CPython hands
//     out next at that address is a new one (an `A` at the next checkpoint, its site unknown: nothing is called
//     when a freelist hands an object out).
// Floats need more than this (float_freelist.h). On 3.13 the reference tracer sees both ends and this stays off.
//
// Installing a wrapper writes the static type's tp_dealloc; uninstall() restores it (when recording stops, and
// in a child after fork that does not record). list, dict and tuple deallocators guard against deep recursion
// with CPython's trashcan only while tp_dealloc is themselves (_PyTrash_cond), so their wrappers take the
// trashcan over: a million nested lists must still be freed without overflowing the C stack.
#include "dealloc_hooks.h"

#include "container_freelists.h"
#include "recorder.h"

namespace refscope::recorder {

namespace {

struct Wrapped {
  PyTypeObject* type;
  destructor original;
};

constexpr int kWrapped = 8;
Wrapped g_wrapped[kWrapped] = {};

template <int I>
void plain_dealloc(PyObject* op) {
  if (g_recorder != nullptr && Py_IS_TYPE(op, g_wrapped[I].type)) g_recorder->on_dealloc(op);
  g_wrapped[I].original(op);
}

// list (0), dict (1), tuple (2): the original deallocator, then its freelist emptied through the allocator.
template <int I>
void trashcan_dealloc(PyObject* op) {
  // The trashcan keeps a deferred object in the collector's header: it must be untracked first, as the
  // wrapped deallocator itself does (again, harmlessly) before its own trashcan.
  PyObject_GC_UnTrack(op);
  Py_TRASHCAN_BEGIN(op, trashcan_dealloc<I>)
  Py_ssize_t size = Py_SIZE(op);  // a tuple's freelist is per length
  g_wrapped[I].original(op);
  if constexpr (I == 0) refscope_list_freelist_drain();
  else if constexpr (I == 1) refscope_dict_freelist_drain();
  else refscope_tuple_freelist_drain(size);
  Py_TRASHCAN_END
}

void wrap(int i, PyTypeObject* type, destructor wrapper) {
  if (type == nullptr || type->tp_dealloc == wrapper) return;
  g_wrapped[i] = Wrapped{type, type->tp_dealloc};
  type->tp_dealloc = wrapper;
}

void unwrap(int i, destructor wrapper) {
  Wrapped& w = g_wrapped[i];
  if (w.type != nullptr && w.type->tp_dealloc == wrapper) w.type->tp_dealloc = w.original;
}

// 3.13 no longer exports the async generator's value wrapper type; its reference tracer sees those deaths.
#if PY_VERSION_HEX >= 0x030D0000
PyTypeObject* const kWrappedValueType = nullptr;
#else
PyTypeObject* const kWrappedValueType = &_PyAsyncGenWrappedValue_Type;
#endif

#define REFSCOPE_WRAPPERS(X)                                                   \
  X(0, &PyList_Type, trashcan_dealloc<0>)                                      \
  X(1, &PyDict_Type, trashcan_dealloc<1>)                                      \
  X(2, &PyTuple_Type, trashcan_dealloc<2>)                                     \
  X(3, &PySlice_Type, plain_dealloc<3>)                                        \
  X(4, &PyContext_Type, plain_dealloc<4>)                                      \
  X(5, &_PyAsyncGenASend_Type, plain_dealloc<5>)                               \
  X(6, kWrappedValueType, plain_dealloc<6>)                                    \
  X(7, reinterpret_cast<PyTypeObject*>(PyExc_MemoryError), plain_dealloc<7>)

}  // namespace

void install_dealloc_hooks() {
#define REFSCOPE_WRAP(i, type, wrapper) wrap(i, type, wrapper);
  REFSCOPE_WRAPPERS(REFSCOPE_WRAP)
#undef REFSCOPE_WRAP
}

void uninstall_dealloc_hooks() {
#define REFSCOPE_UNWRAP(i, type, wrapper) unwrap(i, wrapper);
  REFSCOPE_WRAPPERS(REFSCOPE_UNWRAP)
#undef REFSCOPE_UNWRAP
}

// An object of a freelist type dies (before its deallocator runs): its `F` now. The block stays in the table,
// Dead, as long as the freelist keeps it (its free, if it comes, is seen and erases it): a checkpoint that finds
// a live object there again knows it for a new one, even one that nothing the walk visits refers to (a dict of
// atoms, which the collector does not track).
void Recorder::on_dealloc(PyObject* op) {
  if (!active_) return;
  uint32_t id = types_.id_of(Py_TYPE(op));
  auto object = reinterpret_cast<uintptr_t>(op);
  uint32_t preheader = types_.info(id).preheader;
  uintptr_t block = object - preheader;
  nursery_take(block);
  bool created = false;
  Block* b = blocks_.insert(block, created);
  if (created) {
    // Handed out by the freelist since the last checkpoint, or older than the recording and never reached by a
    // walk: not in the trace, nothing to write.
    b->size = TypeRegistry::block_size_of(op, types_.info(id));
    b->site = 0;
    b->state = BlockState::Dead;
  } else if (b->state == BlockState::Pending) {
    write_alloc_and_free(object, b->size, id, b->site);
    b->state = BlockState::Dead;
  } else if (b->state == BlockState::Live) {
    kill(*b);
  }
  b->flags = 0;  // not a guess: its memory is the allocator's, and its free would be seen
  b->offset = preheader;
  b->type = id;
}

}  // namespace refscope::recorder
