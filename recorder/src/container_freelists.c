#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_interp.h>

#include "container_freelists.h"

#if PY_VERSION_HEX >= 0x030D0000
#include <internal/pycore_freelist.h>
#define REFSCOPE_LISTS(interp) (&(interp)->object_state.freelists.lists)
#define REFSCOPE_LIST_ITEMS items
#define REFSCOPE_DICTS(interp) (&(interp)->object_state.freelists.dicts)
#define REFSCOPE_DICT_ITEMS items
#define REFSCOPE_TUPLES(interp) (&(interp)->object_state.freelists.tuples)
#define REFSCOPE_TUPLE_HEADS items
#else
#define REFSCOPE_LISTS(interp) (&(interp)->list)
#define REFSCOPE_LIST_ITEMS free_list
#define REFSCOPE_DICTS(interp) (&(interp)->dict_state)
#define REFSCOPE_DICT_ITEMS free_list
#define REFSCOPE_TUPLES(interp) (&(interp)->tuple)
#define REFSCOPE_TUPLE_HEADS free_list
#endif

void refscope_list_freelist_drain(void) {
#if PyList_MAXFREELIST > 0
  PyInterpreterState* interp = PyInterpreterState_Get();
  while (REFSCOPE_LISTS(interp)->numfree > 0) {
    int top = --REFSCOPE_LISTS(interp)->numfree;
    PyObject_GC_Del(REFSCOPE_LISTS(interp)->REFSCOPE_LIST_ITEMS[top]);
  }
#endif
}

void refscope_dict_freelist_drain(void) {
#if PyDict_MAXFREELIST > 0
  PyInterpreterState* interp = PyInterpreterState_Get();
  while (REFSCOPE_DICTS(interp)->numfree > 0) {
    int top = --REFSCOPE_DICTS(interp)->numfree;
    PyObject_GC_Del(REFSCOPE_DICTS(interp)->REFSCOPE_DICT_ITEMS[top]);
  }
#endif
}

void refscope_tuple_freelist_drain(Py_ssize_t size) {
#if PyTuple_NFREELISTS > 0
  if (size < 1 || size > PyTuple_NFREELISTS) return;
  PyInterpreterState* interp = PyInterpreterState_Get();
  Py_ssize_t index = size - 1;
  PyTupleObject* t = REFSCOPE_TUPLES(interp)->REFSCOPE_TUPLE_HEADS[index];
  REFSCOPE_TUPLES(interp)->REFSCOPE_TUPLE_HEADS[index] = NULL;
  REFSCOPE_TUPLES(interp)->numfree[index] = 0;
  while (t != NULL) {
    PyTupleObject* next = (PyTupleObject*)t->ob_item[0]; /* the list is linked through the first item */
    PyObject_GC_Del(t);
    t = next;
  }
#else
  (void)size;
#endif
}

void refscope_container_freelists_drain(void) {
  refscope_list_freelist_drain();
  refscope_dict_freelist_drain();
#if PyTuple_NFREELISTS > 0
  for (Py_ssize_t size = 1; size <= PyTuple_NFREELISTS; ++size) refscope_tuple_freelist_drain(size);
#endif
}
