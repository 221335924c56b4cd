#include "owned_size.h"

#include <algorithm>
#include <cstring>

namespace refscope::recorder {

namespace {

// The C function behind a type's own `__sizeof__` method descriptor, or nullptr.
PyCFunction c_function_of(PyObject* descriptor) {
  if (descriptor == nullptr || !Py_IS_TYPE(descriptor, &PyMethodDescr_Type)) return nullptr;
  PyMethodDef* def = reinterpret_cast<PyMethodDescrObject*>(descriptor)->d_method;
  if (def == nullptr || (def->ml_flags & (METH_NOARGS | METH_O | METH_VARARGS | METH_KEYWORDS | METH_FASTCALL |
                                          METH_METHOD)) != METH_NOARGS) {
    return nullptr;
  }
  return def->ml_meth;
}

// What `_PyType_Lookup(type, name)` finds, read from the dicts along the type's MRO and not through CPython's type
// method cache: a lookup through the cache replaces one of its entries, and with it the reference that entry held
// to an attribute name, after the checkpoint's walk counted the cache's references (a name's refcount would then
// be below its holders). Borrowed; runs no Python code (the dicts' keys are strs).
PyObject* lookup_uncached(PyTypeObject* type, PyObject* name) {
  PyObject* mro = type->tp_mro;
  if (mro == nullptr || !PyTuple_Check(mro)) return nullptr;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
    PyObject* base = PyTuple_GET_ITEM(mro, i);
    if (!PyType_Check(base)) continue;
#if PY_VERSION_HEX >= 0x030C0000
    // 3.12+ keeps a builtin static type's dict in the interpreter: PyType_GetDict finds it either way.
    PyObject* dict = PyType_GetDict(reinterpret_cast<PyTypeObject*>(base));
    PyObject* found = dict != nullptr ? PyDict_GetItemWithError(dict, name) : nullptr;
    Py_XDECREF(dict);  // the type keeps it
#else
    PyObject* dict = reinterpret_cast<PyTypeObject*>(base)->tp_dict;
    PyObject* found = dict != nullptr ? PyDict_GetItemWithError(dict, name) : nullptr;
#endif
    if (found != nullptr) return found;
    if (PyErr_Occurred()) {
      PyErr_Clear();
      return nullptr;
    }
  }
  return nullptr;
}

// C types that own memory their `__sizeof__` (object's) does not report.
bool known_unmeasured(PyTypeObject* type) {
  for (PyTypeObject* t = type; t != nullptr; t = t->tp_base) {
    if (t->tp_name != nullptr && std::strcmp(t->tp_name, "_io.StringIO") == 0) return true;
  }
  return false;
}

}  // namespace

bool OwnedSizes::ready() {
  if (name_ != nullptr) return true;
  name_ = PyUnicode_FromString("__sizeof__");
  if (name_ == nullptr) {
    PyErr_Clear();
    return false;
  }
  if (own_block_known_) return true;
  own_block_known_ = true;
  // object (basic size and items: the block, with the header sys.getsizeof adds), str, int and bytes answer
  // with their own block, which the recorder knows already.
  for (PyTypeObject* type : {&PyBaseObject_Type, &PyUnicode_Type, &PyLong_Type, &PyBytes_Type}) {
    if (PyCFunction f = c_function_of(lookup_uncached(type, name_))) own_block_functions_.push_back(f);
  }
  return true;
}

void OwnedSizes::begin_checkpoint() { resolved_.clear(); }

void OwnedSizes::end_checkpoint() { Py_CLEAR(name_); }

const OwnedSizes::Resolved& OwnedSizes::resolve(PyTypeObject* type, uint32_t id) {
  if (id >= resolved_.size()) resolved_.resize(id + 1);
  Resolved& r = resolved_[id];
  if (r.how != How::Unresolved) return r;
  r.named = PyType_IsSubtype(type, &PyModule_Type) || PyType_IsSubtype(type, &PyType_Type) ||
            PyType_IsSubtype(type, &PyFunction_Type) || PyType_IsSubtype(type, &PyCode_Type);
  PyObject* descriptor = lookup_uncached(type, name_);
  PyCFunction f = c_function_of(descriptor);
  if (known_unmeasured(type)) {
    r.how = How::Unmeasured;
  } else if (f == nullptr) {
    // A `__sizeof__` written in Python (or none at all): not run.
    r.how = descriptor == nullptr ? How::OwnBlock : How::Unmeasured;
  } else if (std::find(own_block_functions_.begin(), own_block_functions_.end(), f) != own_block_functions_.end()) {
    r.how = How::OwnBlock;
  } else {
    r.how = How::CallC;
    r.function = f;
  }
  return r;
}

uint64_t OwnedSizes::size_of(PyObject* op, uint32_t type, uint32_t preheader, uint64_t block_bytes,
                             bool& measured) {
  measured = true;
  if (!ready()) return block_bytes;
  const Resolved& r = resolve(Py_TYPE(op), type);
  if (r.how == How::Unmeasured) measured = false;
  if (r.how != How::CallC) return block_bytes;
  PyObject* answer = r.function(op, nullptr);
  if (answer == nullptr) {
    PyErr_Clear();
    measured = false;
    return block_bytes;
  }
  Py_ssize_t bytes = PyLong_Check(answer) ? PyLong_AsSsize_t(answer) : -1;
  Py_DECREF(answer);
  if (bytes < 0) {
    PyErr_Clear();
    measured = false;
    return block_bytes;
  }
  // sys.getsizeof adds what CPython puts before the object (the collector's header, 3.12's dict and weakref
  // pointers); a static object has none.
  return std::max<uint64_t>(block_bytes, static_cast<uint64_t>(bytes) + preheader);
}

}  // namespace refscope::recorder
