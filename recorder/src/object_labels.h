#pragma once
/* What the references an object holds are (its attributes, keys, indexes, a frame's locals by name...), and the
   names of modules, classes, functions and code objects: display data for the labels of trace format 2
   (object_labels.c). C, compiled against each interpreter's internal headers. */
#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

enum refscope_label_kind {
  REFSCOPE_LABEL_FIXED,      /* `text` as it is: ".tb_frame", ".__dict__" */
  REFSCOPE_LABEL_ATTRIBUTE,  /* "." + the str `name` */
  REFSCOPE_LABEL_MEMBER,     /* "." + the C string `text` (a __slots__ member) */
  REFSCOPE_LABEL_KEY,        /* `text` + "[" + the key `name`, shortened + "]" */
  REFSCOPE_LABEL_INDEX       /* "[" + `index` + "]" */
};

/* One labelled reference of the object to `target` (borrowed). */
typedef void (*refscope_label_sink)(void* ctx, PyObject* target, int kind, const char* text, PyObject* name,
                                    Py_ssize_t index);

/* Calls `sink` for each reference of `op` whose meaning its type says; a target may come more than once. */
void refscope_object_labels(PyObject* op, refscope_label_sink sink, void* ctx);

/* Whether `op` has a name of its own (a module, a class, a function, a code object). */
int refscope_has_name(PyObject* op);
/* "module app.server", "class app.Cache", "function app.handle", "code handle": a new str, or NULL. */
PyObject* refscope_object_name(PyObject* op);

#ifdef __cplusplus
}
#endif
