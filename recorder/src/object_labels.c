// What each reference an object holds *is*, for the labels of `I` records (trace format 2), from the layouts of
// CPython 3.11, 3.12 and 3.13 (Objects/*.c, Include/internal/*.h). Reads fields only: no Python code runs, no
// object is made or kept, and nothing is materialized (an instance's attributes are read from its inline values,
// never through __dict__, which would create the dict).
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_object.h>
#include <structmember.h>

#include "object_labels.h"

static void fixed(refscope_label_sink sink, void* ctx, PyObject* target, const char* text) {
  if (target != NULL) sink(ctx, target, REFSCOPE_LABEL_FIXED, text, NULL, 0);
}

static void attribute(refscope_label_sink sink, void* ctx, PyObject* target, PyObject* name) {
  if (target != NULL && name != NULL && PyUnicode_Check(name))
    sink(ctx, target, REFSCOPE_LABEL_ATTRIBUTE, "", name, 0);
}

static void dict_items(refscope_label_sink sink, void* ctx, PyObject* dict, const char* prefix) {
  Py_ssize_t pos = 0;
  PyObject* key;
  PyObject* value;
  while (PyDict_Next(dict, &pos, &key, &value)) sink(ctx, value, REFSCOPE_LABEL_KEY, prefix, key, 0);
  pos = 0;
  while (PyDict_Next(dict, &pos, &key, &value)) sink(ctx, key, REFSCOPE_LABEL_FIXED, "(a key)", NULL, 0);
}

static void sequence(refscope_label_sink sink, void* ctx, PyObject** items, Py_ssize_t n) {
  for (Py_ssize_t i = 0; i < n; ++i)
    if (items[i] != NULL) sink(ctx, items[i], REFSCOPE_LABEL_INDEX, "", NULL, i);
}

// Attributes kept in the instance's own values (a managed dict not yet made a dict object), named by the keys
// its class shares among its instances.
static void instance_values(refscope_label_sink sink, void* ctx, PyObject* op) {
  PyTypeObject* type = Py_TYPE(op);
  if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) return;
  PyDictKeysObject* keys = ((PyHeapTypeObject*)type)->ht_cached_keys;
  PyDictValues* values = NULL;
  PyObject* dict = NULL;
#if PY_VERSION_HEX >= 0x030D0000
  if (!(type->tp_flags & Py_TPFLAGS_MANAGED_DICT)) return;
  if ((type->tp_flags & Py_TPFLAGS_INLINE_VALUES) && _PyObject_InlineValues(op)->valid) values = _PyObject_InlineValues(op);
  dict = (PyObject*)_PyObject_ManagedDictPointer(op)->dict;
#elif PY_VERSION_HEX >= 0x030C0000
  if (!(type->tp_flags & Py_TPFLAGS_MANAGED_DICT)) return;
  PyDictOrValues* dorv = _PyObject_DictOrValuesPointer(op);
  if (_PyDictOrValues_IsValues(*dorv)) values = _PyDictOrValues_GetValues(*dorv);
  else dict = _PyDictOrValues_GetDict(*dorv);
#else
  if (!(type->tp_flags & Py_TPFLAGS_MANAGED_DICT)) return;
  values = *_PyObject_ValuesPointer(op);
  dict = *_PyObject_ManagedDictPointer(op);
#endif
  if (dict != NULL) fixed(sink, ctx, dict, ".__dict__");
  if (values == NULL || keys == NULL || keys->dk_kind == DICT_KEYS_GENERAL) return;
  PyDictUnicodeEntry* entries = DK_UNICODE_ENTRIES(keys);
  for (Py_ssize_t i = 0; i < keys->dk_nentries; ++i) {
    if (values->values[i] != NULL) attribute(sink, ctx, values->values[i], entries[i].me_key);
  }
}

// __slots__ and other object members of the instance's classes, by name.
static void members(refscope_label_sink sink, void* ctx, PyObject* op) {
  for (PyTypeObject* t = Py_TYPE(op); t != NULL; t = t->tp_base) {
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) continue;
    PyMemberDef* m = t->tp_members;
    for (; m != NULL && m->name != NULL; ++m) {
      if ((m->type != T_OBJECT_EX && m->type != T_OBJECT) || (m->flags & READONLY)) continue;
      if (m->offset <= 0) continue;
      PyObject* value = *(PyObject**)((char*)op + m->offset);
      if (value != NULL) sink(ctx, value, REFSCOPE_LABEL_MEMBER, m->name, NULL, 0);
    }
  }
  if (Py_TYPE(op)->tp_dictoffset > 0) {
    PyObject* dict = *(PyObject**)((char*)op + Py_TYPE(op)->tp_dictoffset);
    fixed(sink, ctx, dict, ".__dict__");
  }
}

/* What a frame's own data holds (a frame object's, or a generator's or coroutine's, which keeps its frame inline):
   its function, code, namespaces, local variables and cells by name, and the value stack of a frame that is not
   running. */
static void interpreter_frame_labels(refscope_label_sink sink, void* ctx, _PyInterpreterFrame* frame) {
#if PY_VERSION_HEX >= 0x030D0000
  PyObject* code = frame->f_executable;
  fixed(sink, ctx, frame->f_funcobj, "(function)");
#elif PY_VERSION_HEX >= 0x030C0000
  PyObject* code = (PyObject*)frame->f_code;
  fixed(sink, ctx, frame->f_funcobj, "(function)");
#else
  PyObject* code = (PyObject*)frame->f_code;
  fixed(sink, ctx, (PyObject*)frame->f_func, "(function)");
#endif
  fixed(sink, ctx, code, ".f_code");
  fixed(sink, ctx, frame->f_locals, ".f_locals");
  fixed(sink, ctx, frame->f_globals, ".f_globals");
  fixed(sink, ctx, frame->f_builtins, ".f_builtins");
  if (code == NULL || !PyCode_Check(code)) return;
  PyCodeObject* co = (PyCodeObject*)code;
  PyObject* names = co->co_localsplusnames;
  if (names == NULL || !PyTuple_Check(names)) return;
  Py_ssize_t n = co->co_nlocalsplus;
  if (n > PyTuple_GET_SIZE(names)) n = PyTuple_GET_SIZE(names);
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* value = frame->localsplus[i];
    if (value != NULL) sink(ctx, value, REFSCOPE_LABEL_KEY, ".f_locals", PyTuple_GET_ITEM(names, i), 0);
  }
  // The value stack is only known for a frame that no longer runs (a running one's stack top is not kept).
  Py_ssize_t top = frame->stacktop;
  if (top > co->co_nlocalsplus + co->co_stacksize) top = n;
  for (Py_ssize_t i = n; i < top; ++i) fixed(sink, ctx, frame->localsplus[i], "(value stack)");
}

static void frame_labels(refscope_label_sink sink, void* ctx, PyFrameObject* f) {
  fixed(sink, ctx, (PyObject*)f->f_back, ".f_back");
  fixed(sink, ctx, f->f_trace, ".f_trace");
  if (f->f_frame != NULL) interpreter_frame_labels(sink, ctx, f->f_frame);
}

/* A generator, coroutine or async generator: its name and the frame it keeps inline, until that is cleared. */
static void generator_labels(refscope_label_sink sink, void* ctx, PyObject* op) {
  PyGenObject* gen = (PyGenObject*)op;
  fixed(sink, ctx, gen->gi_name, ".__name__");
  fixed(sink, ctx, gen->gi_qualname, ".__qualname__");
  if (gen->gi_frame_state < FRAME_CLEARED) interpreter_frame_labels(sink, ctx, (_PyInterpreterFrame*)gen->gi_iframe);
}

void refscope_object_labels(PyObject* op, refscope_label_sink sink, void* ctx) {
  PyTypeObject* type = Py_TYPE(op);
  if (PyDict_Check(op)) {
    dict_items(sink, ctx, op, "");
  } else if (PyList_Check(op)) {
    sequence(sink, ctx, ((PyListObject*)op)->ob_item, PyList_GET_SIZE(op));
  } else if (PyTuple_Check(op)) {
    sequence(sink, ctx, ((PyTupleObject*)op)->ob_item, PyTuple_GET_SIZE(op));
  } else if (PyModule_Check(op)) {
    fixed(sink, ctx, PyModule_GetDict(op), ".__dict__");
  } else if (PyType_Check(op)) {
    PyTypeObject* t = (PyTypeObject*)op;
    fixed(sink, ctx, t->tp_dict, ".__dict__");
    fixed(sink, ctx, t->tp_mro, ".__mro__");
    fixed(sink, ctx, t->tp_bases, ".__bases__");
    fixed(sink, ctx, (PyObject*)t->tp_base, ".__base__");
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) {
      PyHeapTypeObject* h = (PyHeapTypeObject*)t;
      fixed(sink, ctx, h->ht_name, ".__name__");
      fixed(sink, ctx, h->ht_qualname, ".__qualname__");
      fixed(sink, ctx, h->ht_slots, ".__slots__");
      fixed(sink, ctx, h->ht_module, ".__module__");
    }
  } else if (PyFunction_Check(op)) {
    PyFunctionObject* f = (PyFunctionObject*)op;
    fixed(sink, ctx, f->func_code, ".__code__");
    fixed(sink, ctx, f->func_globals, ".__globals__");
    fixed(sink, ctx, f->func_builtins, ".__builtins__");
    fixed(sink, ctx, f->func_name, ".__name__");
    fixed(sink, ctx, f->func_qualname, ".__qualname__");
    fixed(sink, ctx, f->func_doc, ".__doc__");
    fixed(sink, ctx, f->func_dict, ".__dict__");
    fixed(sink, ctx, f->func_module, ".__module__");
    fixed(sink, ctx, f->func_annotations, ".__annotations__");
    fixed(sink, ctx, f->func_kwdefaults, ".__kwdefaults__");
    if (f->func_defaults != NULL) fixed(sink, ctx, f->func_defaults, ".__defaults__");
    if (f->func_closure != NULL) fixed(sink, ctx, f->func_closure, ".__closure__");
  } else if (PyCell_Check(op)) {
    fixed(sink, ctx, ((PyCellObject*)op)->ob_ref, ".cell_contents");
  } else if (PyMethod_Check(op)) {
    fixed(sink, ctx, PyMethod_GET_FUNCTION(op), ".__func__");
    fixed(sink, ctx, PyMethod_GET_SELF(op), ".__self__");
  } else if (PyTraceBack_Check(op)) {
    PyTracebackObject* tb = (PyTracebackObject*)op;
    fixed(sink, ctx, (PyObject*)tb->tb_next, ".tb_next");
    fixed(sink, ctx, (PyObject*)tb->tb_frame, ".tb_frame");
  } else if (PyFrame_Check(op)) {
    frame_labels(sink, ctx, (PyFrameObject*)op);
  } else if (PyGen_CheckExact(op) || PyCoro_CheckExact(op) || PyAsyncGen_CheckExact(op)) {
    generator_labels(sink, ctx, op);
  } else if (PyCode_Check(op)) {
    PyCodeObject* co = (PyCodeObject*)op;
    fixed(sink, ctx, co->co_consts, ".co_consts");
    fixed(sink, ctx, co->co_names, ".co_names");
    fixed(sink, ctx, co->co_localsplusnames, ".co_varnames");
    fixed(sink, ctx, co->co_filename, ".co_filename");
    fixed(sink, ctx, co->co_name, ".co_name");
    fixed(sink, ctx, co->co_qualname, ".co_qualname");
    fixed(sink, ctx, co->co_linetable, ".co_linetable");
    fixed(sink, ctx, co->co_exceptiontable, ".co_exceptiontable");
  } else if (PyCFunction_Check(op)) {
    fixed(sink, ctx, PyCFunction_GET_SELF(op), ".__self__");
  } else if (PyExceptionInstance_Check(op)) {
    PyBaseExceptionObject* e = (PyBaseExceptionObject*)op;
    fixed(sink, ctx, e->args, ".args");
    fixed(sink, ctx, e->traceback, ".__traceback__");
    fixed(sink, ctx, e->context, ".__context__");
    fixed(sink, ctx, e->cause, ".__cause__");
    fixed(sink, ctx, e->dict, ".__dict__");
    fixed(sink, ctx, e->notes, ".__notes__");
  }
  if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
    instance_values(sink, ctx, op);
    members(sink, ctx, op);
  }
}

// "module.qualname" of a class, a function or a code object; a module's name. NULL for other objects. New
// reference, made without running Python code (a module's name is read from its dict).
PyObject* refscope_object_name(PyObject* op) {
  if (PyModule_Check(op)) {
    PyObject* dict = PyModule_GetDict(op);
    PyObject* name = NULL;
    if (dict != NULL) {
      Py_ssize_t pos = 0;
      PyObject* key;
      PyObject* value;
      while (PyDict_Next(dict, &pos, &key, &value)) {
        if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "__name__") == 0) {
          name = value;
          break;
        }
      }
    }
    if (name == NULL || !PyUnicode_Check(name)) return NULL;
    return PyUnicode_FromFormat("module %U", name);
  }
  if (PyType_Check(op)) {
    PyTypeObject* t = (PyTypeObject*)op;
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE)) return PyUnicode_FromFormat("class %s", t->tp_name);
    PyHeapTypeObject* h = (PyHeapTypeObject*)t;
    if (h->ht_qualname == NULL || !PyUnicode_Check(h->ht_qualname)) return NULL;
    PyObject* module = NULL;
    if (t->tp_dict != NULL) {
      Py_ssize_t pos = 0;
      PyObject* key;
      PyObject* value;
      while (PyDict_Next(t->tp_dict, &pos, &key, &value)) {
        if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "__module__") == 0) {
          module = value;
          break;
        }
      }
    }
    if (module != NULL && PyUnicode_Check(module))
      return PyUnicode_FromFormat("class %U.%U", module, h->ht_qualname);
    return PyUnicode_FromFormat("class %U", h->ht_qualname);
  }
  if (PyFunction_Check(op)) {
    PyFunctionObject* f = (PyFunctionObject*)op;
    if (f->func_qualname == NULL || !PyUnicode_Check(f->func_qualname)) return NULL;
    if (f->func_module != NULL && PyUnicode_Check(f->func_module))
      return PyUnicode_FromFormat("function %U.%U", f->func_module, f->func_qualname);
    return PyUnicode_FromFormat("function %U", f->func_qualname);
  }
  if (PyCode_Check(op)) {
    PyCodeObject* co = (PyCodeObject*)op;
    if (co->co_qualname == NULL || !PyUnicode_Check(co->co_qualname)) return NULL;
    return PyUnicode_FromFormat("code %U", co->co_qualname);
  }
  return NULL;
}

int refscope_has_name(PyObject* op) {
  return PyModule_Check(op) || PyType_Check(op) || PyFunction_Check(op) || PyCode_Check(op);
}
