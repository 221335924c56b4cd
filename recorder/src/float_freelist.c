#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_interp.h>

#include "float_freelist.h"

#if PY_VERSION_HEX >= 0x030D0000
#define REFSCOPE_FLOATS(interp) (&(interp)->object_state.freelists.floats)
#define REFSCOPE_FLOAT_HEAD items
#else
#define REFSCOPE_FLOATS(interp) (&(interp)->float_state)
#define REFSCOPE_FLOAT_HEAD free_list
#endif

void refscope_float_freelist_close(void) {
#if PyFloat_MAXFREELIST > 0
  PyInterpreterState* interp = PyInterpreterState_Get();
  PyFloatObject* f = REFSCOPE_FLOATS(interp)->REFSCOPE_FLOAT_HEAD;
  REFSCOPE_FLOATS(interp)->REFSCOPE_FLOAT_HEAD = NULL;
  REFSCOPE_FLOATS(interp)->numfree = PyFloat_MAXFREELIST;
  while (f != NULL) {
    PyFloatObject* next = (PyFloatObject*)Py_TYPE(f); /* the list is linked through ob_type */
    PyObject_Free(f);
    f = next;
  }
#endif
}

void refscope_float_freelist_reopen(void) {
#if PyFloat_MAXFREELIST > 0
  PyInterpreterState* interp = PyInterpreterState_Get();
  if (REFSCOPE_FLOATS(interp)->REFSCOPE_FLOAT_HEAD == NULL &&
      REFSCOPE_FLOATS(interp)->numfree == PyFloat_MAXFREELIST) {
    REFSCOPE_FLOATS(interp)->numfree = 0;
  }
#endif
}
