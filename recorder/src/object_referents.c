#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_moduleobject.h>
#include <internal/pycore_pystate.h>
#include <internal/pycore_typeobject.h>

#define _PY_DATETIME_IMPL /* the struct layouts only, without the C API capsule pointer */
#include <datetime.h>
#include <string.h>

#include "object_referents.h"

#define VISIT(o)                                \
  do {                                          \
    PyObject* v_ = (PyObject*)(o);              \
    if (v_ != NULL) visit(v_, arg);             \
  } while (0)

/* Every str key of a keys table whose keys are all str (a general table's keys tp_traverse reports itself). */
static void visit_unicode_keys(PyDictKeysObject* keys, visitproc visit, void* arg) {
  if (keys == NULL || !DK_IS_UNICODE(keys)) return;
  PyDictUnicodeEntry* entries = DK_UNICODE_ENTRIES(keys);
  Py_ssize_t n = keys->dk_nentries;
  for (Py_ssize_t i = 0; i < n; ++i) VISIT(entries[i].me_key);
}

static void visit_dict(PyDictObject* mp, visitproc visit, void* arg, refscope_claim_keys claim) {
  PyDictKeysObject* keys = mp->ma_keys;
  if (keys == NULL || !DK_IS_UNICODE(keys)) return;
  /* A split table's keys are shared with other dicts and with the type whose instances use them. */
  if (mp->ma_values != NULL && !claim(keys, (PyObject*)mp, arg)) return;
  visit_unicode_keys(keys, visit, arg);
}

static void visit_code(PyCodeObject* co, visitproc visit, void* arg) {
  VISIT(co->co_consts);
  VISIT(co->co_names);
  VISIT(co->co_exceptiontable);
  VISIT(co->co_localsplusnames);
  VISIT(co->co_localspluskinds);
  VISIT(co->co_filename);
  VISIT(co->co_name);
  VISIT(co->co_qualname);
  VISIT(co->co_linetable);
#if PY_VERSION_HEX >= 0x030C0000
  /* co_code, co_varnames, co_cellvars and co_freevars, made the first time someone asks for them */
  if (co->_co_cached != NULL) {
    VISIT(co->_co_cached->_co_code);
    VISIT(co->_co_cached->_co_varnames);
    VISIT(co->_co_cached->_co_cellvars);
    VISIT(co->_co_cached->_co_freevars);
  }
#else
  VISIT(co->_co_code);
#endif
#if PY_VERSION_HEX >= 0x030D0000
  /* Executors of the tier-2 optimizer, when it runs (off by default in 3.13). */
  if (co->co_executors != NULL) {
    for (int i = 0; i < co->co_executors->size; ++i) VISIT(co->co_executors->executors[i]);
  }
#endif
}

static void visit_heap_type(PyHeapTypeObject* et, visitproc visit, void* arg, refscope_claim_keys claim) {
  VISIT(et->ht_name);
  VISIT(et->ht_qualname);
  VISIT(et->ht_slots);
  /* A dict of weak references to the subclasses (3.13 types it as void*: for heap types it still is one). */
  VISIT(et->ht_type.tp_subclasses);
  if (et->ht_cached_keys != NULL && claim(et->ht_cached_keys, (PyObject*)et, arg))
    visit_unicode_keys(et->ht_cached_keys, visit, arg);
}

/* _datetime's types are no collector types, yet a datetime or time with a tzinfo holds it, and a timezone holds
   its offset (a timedelta) and its name. Known by the name of the type or of a base, as _datetime defines them. */
static int derives_from(PyTypeObject* t, const char* name) {
  for (; t != NULL; t = t->tp_base) {
    if (!(t->tp_flags & Py_TPFLAGS_HEAPTYPE) && strcmp(t->tp_name, name) == 0) return 1;
  }
  return 0;
}

#if PY_VERSION_HEX < 0x030D0000
/* Whether a heap type is, or derives from, the heap type named `name` (the C modules' own heap types). */
static int derives_from_heap(PyTypeObject* t, const char* name) {
  for (; t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE); t = t->tp_base) {
    if (strcmp(t->tp_name, name) == 0) return 1;
  }
  return 0;
}
#endif

typedef struct {
  PyObject_HEAD
  PyObject* offset;
  PyObject* name;
} timezone_object; /* _datetimemodule.c's PyDateTime_TimeZone, 3.11 to 3.13 */


/* functools' lru_cache (_functoolsmodule.c, 3.11 to 3.13): the wrapper object starts with the root of a circular
   list of links, each a functools._lru_list_elem object. The cache dict holds one reference to each link and
   the list the other, which the wrapper's tp_traverse leaves out (it visits each link's key and result). */
typedef struct lru_link {
  PyObject_HEAD
  struct lru_link *prev, *next;
  Py_hash_t hash;
  PyObject *key, *result;
} lru_link;

/* The wrapper's tp_traverse visits each link's type on the link's behalf. */
static int is_lru_link_type(PyTypeObject* t) { return strcmp(t->tp_name, "functools._lru_list_elem") == 0; }

static void visit_lru_links(PyObject* wrapper, visitproc visit, void* arg) {
  lru_link* root = (lru_link*)wrapper;
  Py_ssize_t limit = 1 << 30;
  for (lru_link* link = root->next; link != NULL && link != root && limit-- > 0; link = link->next) {
    if (Py_TYPE(link) == NULL || !is_lru_link_type(Py_TYPE(link))) return;
    visit((PyObject*)link, arg);
  }
}

#if PY_VERSION_HEX < 0x030D0000
/* threading.local's C part (_threadmodule.c's localobject, 3.11 and 3.12): its tp_traverse leaves out the key
   under which each thread's dict is stored and the callback of its weak references to the dummies. */
typedef struct {
  PyObject_HEAD
  PyObject* key;
  PyObject* args;
  PyObject* kw;
  PyObject* weakreflist;
  PyObject* dummies;
  PyObject* wr_callback;
} thread_local_object;
#endif

/* _decimal's Context (Modules/_decimal/_decimal.c, 3.11 to 3.13) is no collector type and holds its traps and
   flags, two SignalDict objects, after libmpdec's mpd_context_t (48 bytes). Each pointer is taken only if it does
   point at a SignalDict. */
typedef struct {
  PyObject_HEAD
  char mpd_context[48];
  PyObject* traps;
  PyObject* flags;
} decimal_context;

/* The type or base named `name`, or NULL. */
static PyTypeObject* base_named(PyTypeObject* t, const char* name) {
  for (; t != NULL; t = t->tp_base) {
    if (strcmp(t->tp_name, name) == 0) return t;
  }
  return NULL;
}

static void visit_signal_dict(PyObject* o, visitproc visit, void* arg) {
  if (o == NULL) return;
  const char* name = Py_TYPE(o)->tp_name;
  size_t n = strlen(name);
  if (n >= 10 && strcmp(name + n - 10, "SignalDict") == 0) visit(o, arg);
}

static void visit_decimal_context(PyObject* op, visitproc visit, void* arg) {
  if (Py_TYPE(op)->tp_basicsize < (Py_ssize_t)sizeof(decimal_context)) return;
  visit_signal_dict(((decimal_context*)op)->traps, visit, arg);
  visit_signal_dict(((decimal_context*)op)->flags, visit, arg);
}

#if PY_VERSION_HEX >= 0x030C0000
/* _socket's C API (Modules/socketmodule.h), 3.12+: the capsule _socket.CAPI points at a struct that holds the
   socket type and two exception types (sock_free_api releases them). On 3.13 capsules can have a tp_traverse,
   and _socket's visits the socket type itself. */
typedef struct {
  PyTypeObject* Sock_Type;
  PyObject* error;
  PyObject* timeout_error;
} socket_capi;

static void visit_capsule(PyObject* op, visitproc visit, void* arg) {
  const char* name = PyCapsule_GetName(op);
  if (name == NULL || strcmp(name, "_socket.CAPI") != 0) return;
  socket_capi* capi = (socket_capi*)PyCapsule_GetPointer(op, name);
  if (capi == NULL) {
    PyErr_Clear();
    return;
  }
  if (!PyObject_IS_GC(op)) VISIT(capi->Sock_Type);
  VISIT(capi->error);
  VISIT(capi->timeout_error);
}
#endif

#if PY_VERSION_HEX < 0x030D0000
/* ctypes' StgDict (Modules/_ctypes/ctypes.h, 3.11 and 3.12): a dict subclass whose C fields after the dict hold
   the type's proto, argtypes, converters, restype and checker (PyCStgDict_clear releases them); its tp_traverse
   is the dict's, and the type's (CDataType_traverse) visits proto for it: argtypes, converters, restype and
   checker are visited by nobody. The layout: three Py_ssize_t, libffi's ffi_type (a size_t, two unsigned
   shorts, a pointer), proto, three function pointers, then those four. Each is taken only if it holds a live
   object the walk knows. */
typedef struct {
  size_t size;
  unsigned short alignment, type;
  void** elements;
} ffi_type_layout;

typedef struct {
  PyDictObject dict;
  Py_ssize_t size, align, length;
  ffi_type_layout ffi_type_pointer;
  PyObject* proto;
  void *setfunc, *getfunc, *paramfunc;
  PyObject *argtypes, *converters, *restype, *checker;
} stgdict_layout;

static void visit_stgdict(PyObject* op, visitproc visit, void* arg, refscope_known_object known) {
  if (Py_TYPE(op)->tp_basicsize < (Py_ssize_t)sizeof(stgdict_layout)) return;
  stgdict_layout* d = (stgdict_layout*)op;
  PyObject* fields[] = {d->argtypes, d->converters, d->restype, d->checker};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
    PyObject* target = fields[i] != NULL ? known((uintptr_t)fields[i], arg) : NULL;
    if (target != NULL) visit(target, arg);
  }
}
#endif

static int is_descriptor_type(PyTypeObject* t) {
  return t == &PyMethodDescr_Type || t == &PyClassMethodDescr_Type || t == &PyMemberDescr_Type ||
         t == &PyGetSetDescr_Type || t == &PyWrapperDescr_Type;
}

/* What the walk does with an object, by its type: worked out once per type and checkpoint (a type is looked at
   by name and base chain), kept in a small direct-mapped table. */
enum kind {
  KIND_OTHER,
  KIND_DICT,
  KIND_CODE,
  KIND_TYPE,
  KIND_MODULE,
  KIND_DESCRIPTOR,
  KIND_LRU_WRAPPER,
  KIND_THREAD_LOCAL,
  KIND_DATETIME,
  KIND_TIME,
  KIND_TIMEZONE,
  KIND_DECIMAL_CONTEXT,
  KIND_CAPSULE,
  KIND_STGDICT,
};

typedef struct {
  PyTypeObject* type;
  unsigned char kind;
  unsigned char holds_type; /* a heap type whose instances are no collector objects: each holds its type */
} type_kind;

#define KIND_SLOTS 4096
static type_kind kinds[KIND_SLOTS];

void refscope_walk_begin(void) { memset(kinds, 0, sizeof kinds); }

static unsigned char classify(PyTypeObject* t) {
#if PY_VERSION_HEX < 0x030D0000
  if (strcmp(t->tp_name, "StgDict") == 0 && PyType_FastSubclass(t, Py_TPFLAGS_DICT_SUBCLASS)) return KIND_STGDICT;
#endif
  if (PyType_FastSubclass(t, Py_TPFLAGS_DICT_SUBCLASS)) return KIND_DICT;
  if (t == &PyCode_Type) return KIND_CODE;
  if (PyType_FastSubclass(t, Py_TPFLAGS_TYPE_SUBCLASS)) return KIND_TYPE;
  if (PyType_IsSubtype(t, &PyModule_Type)) return KIND_MODULE;
  if (is_descriptor_type(t)) return KIND_DESCRIPTOR;
  if (t == &PyCapsule_Type) return KIND_CAPSULE;
  if (strcmp(t->tp_name, "functools._lru_cache_wrapper") == 0) return KIND_LRU_WRAPPER;
#if PY_VERSION_HEX < 0x030D0000
  if (derives_from_heap(t, "_thread._local")) return KIND_THREAD_LOCAL;
#endif
  if (derives_from(t, "datetime.datetime")) return KIND_DATETIME;
  if (derives_from(t, "datetime.time")) return KIND_TIME;
  if (derives_from(t, "datetime.timezone")) return KIND_TIMEZONE;
  /* (Where Context is a collector type, its own tp_traverse reports its traps and flags.) */
  PyTypeObject* context = base_named(t, "decimal.Context");
  if (context != NULL && !PyType_IS_GC(context)) return KIND_DECIMAL_CONTEXT;
  return KIND_OTHER;
}

static const type_kind* kind_of(PyTypeObject* t) {
  type_kind* k = &kinds[((uintptr_t)t >> 4) & (KIND_SLOTS - 1)];
  if (k->type != t) {
    k->type = t;
    k->kind = classify(t);
    /* An instance of a heap type holds a reference to it; a collector type's tp_traverse visits it, but an
       object that is no collector type has no tp_traverse to say so. (The lru_cache wrapper's tp_traverse visits
       its links' type for them.) */
    k->holds_type = (t->tp_flags & Py_TPFLAGS_HEAPTYPE) && !PyType_IS_GC(t) && !is_lru_link_type(t);
  }
  return k;
}

void refscope_visit_silent(PyObject* op, visitproc visit, void* arg, refscope_claim_keys claim,
                           refscope_known_object known) {
  PyTypeObject* type = Py_TYPE(op);
  const type_kind* k = kind_of(type);
#if PY_VERSION_HEX >= 0x030D0000
  (void)known; /* only 3.11 and 3.12's ctypes need it */
#endif
  if (k->holds_type) VISIT(type);
#if PY_VERSION_HEX >= 0x030D0000
  /* 3.13: an instance whose attributes live in its inline values may also have a __dict__ made from them; while
     the values are valid, subtype_traverse visits them and not the dict, which the object still holds. */
  if ((type->tp_flags & Py_TPFLAGS_INLINE_VALUES) && (type->tp_flags & Py_TPFLAGS_MANAGED_DICT) &&
      _PyObject_InlineValues(op)->valid)
    VISIT(_PyObject_ManagedDictPointer(op)->dict);
#endif
  switch (k->kind) {
    case KIND_STGDICT:
      visit_dict((PyDictObject*)op, visit, arg, claim);
#if PY_VERSION_HEX < 0x030D0000
      visit_stgdict(op, visit, arg, known);
#endif
      break;
    case KIND_DICT:
      visit_dict((PyDictObject*)op, visit, arg, claim);
      break;
    case KIND_CODE:
      visit_code((PyCodeObject*)op, visit, arg);
      break;
    case KIND_TYPE:
      if (((PyTypeObject*)op)->tp_flags & Py_TPFLAGS_HEAPTYPE) visit_heap_type((PyHeapTypeObject*)op, visit, arg, claim);
      break;
    case KIND_MODULE:
      VISIT(((PyModuleObject*)op)->md_name);
      break;
    case KIND_DESCRIPTOR: {
      PyDescrObject* d = (PyDescrObject*)op;
      VISIT(d->d_name);
      VISIT(d->d_qualname);
      break;
    }
    case KIND_LRU_WRAPPER:
      visit_lru_links(op, visit, arg);
      break;
#if PY_VERSION_HEX < 0x030D0000
    case KIND_THREAD_LOCAL:
      VISIT(((thread_local_object*)op)->key);
      VISIT(((thread_local_object*)op)->wr_callback);
      break;
#endif
    case KIND_DATETIME:
      if (((_PyDateTime_BaseTZInfo*)op)->hastzinfo) VISIT(((PyDateTime_DateTime*)op)->tzinfo);
      break;
    case KIND_TIME:
      if (((_PyDateTime_BaseTZInfo*)op)->hastzinfo) VISIT(((PyDateTime_Time*)op)->tzinfo);
      break;
    case KIND_TIMEZONE:
      VISIT(((timezone_object*)op)->offset);
      VISIT(((timezone_object*)op)->name);
      break;
    case KIND_DECIMAL_CONTEXT:
      visit_decimal_context(op, visit, arg);
      break;
    case KIND_CAPSULE:
#if PY_VERSION_HEX >= 0x030C0000
      visit_capsule(op, visit, arg);
#endif
      break;
    default:
      break;
  }
}

void* refscope_type_cached_keys(PyTypeObject* type) {
  if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) return NULL;
  return ((PyHeapTypeObject*)type)->ht_cached_keys;
}

#if PY_VERSION_HEX >= 0x030C0000
/* Where 3.12+ keeps a static type's dict and subclass table when the type is a builtin one (3.13: or a static type
   an extension module manages the same way): its tp_subclasses then holds an index, not a dict. */
static PyObject** static_type_state(PyTypeObject* type, PyObject*** subclasses) {
  PyInterpreterState* interp = PyInterpreterState_Get();
#if PY_VERSION_HEX >= 0x030D0000
  size_t n = interp->types.builtins.num_initialized;
  for (size_t i = 0; i < n && i < _Py_MAX_MANAGED_STATIC_BUILTIN_TYPES; ++i) {
    managed_static_type_state* state = &interp->types.builtins.initialized[i];
    if (state->type != type) continue;
    *subclasses = &state->tp_subclasses;
    return &state->tp_dict;
  }
  n = interp->types.for_extensions.num_initialized;
  for (size_t i = 0; i < n && i < _Py_MAX_MANAGED_STATIC_EXT_TYPES; ++i) {
    managed_static_type_state* state = &interp->types.for_extensions.initialized[i];
    if (state->type != type) continue;
    *subclasses = &state->tp_subclasses;
    return &state->tp_dict;
  }
#else
  size_t n = interp->types.num_builtins_initialized;
  for (size_t i = 0; i < n && i < _Py_MAX_STATIC_BUILTIN_TYPES; ++i) {
    static_builtin_state* state = &interp->types.builtins[i];
    if (state->type != type) continue;
    *subclasses = &state->tp_subclasses;
    return &state->tp_dict;
  }
#endif
  return NULL;
}
#endif

void refscope_visit_static_type(PyTypeObject* type, visitproc visit, void* arg) {
#if PY_VERSION_HEX >= 0x030C0000
  PyObject** subclasses = NULL;
  PyObject** dict = static_type_state(type, &subclasses);
  if (dict != NULL) {
    VISIT(*dict != NULL ? *dict : type->tp_dict);
    VISIT(*subclasses);
  } else if (type->tp_flags & _Py_TPFLAGS_STATIC_BUILTIN) {
    return; /* not in the interpreter's table: tp_subclasses is an index, and nothing here can be read */
  } else {
    VISIT(type->tp_dict);
    VISIT(type->tp_subclasses);
  }
#else
  VISIT(type->tp_dict);
  VISIT(type->tp_subclasses);
#endif
  VISIT(type->tp_bases);
  VISIT(type->tp_mro);
  VISIT(type->tp_cache);
}

PyObject* refscope_type_subclasses(PyTypeObject* type) {
#if PY_VERSION_HEX >= 0x030C0000
  if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
    PyObject** subclasses = NULL;
    if (static_type_state(type, &subclasses) != NULL) return *subclasses;
    if (type->tp_flags & _Py_TPFLAGS_STATIC_BUILTIN) return NULL;
  }
#endif
  return (PyObject*)type->tp_subclasses;
}

PyObject* refscope_weakref_target(PyObject* ref) {
  if (ref == NULL || !PyWeakref_Check(ref)) return NULL;
  PyObject* target = ((PyWeakReference*)ref)->wr_object;
  return target == NULL || target == Py_None || Py_REFCNT(target) <= 0 ? NULL : target;
}

int refscope_is_interned_table(PyObject* op) {
  if (!PyDict_CheckExact(op) || PyDict_GET_SIZE(op) == 0) return 0;
  Py_ssize_t pos = 0;
  PyObject *key, *value;
  while (PyDict_Next(op, &pos, &key, &value)) {
    if (key != value || !PyUnicode_CheckExact(key) || !PyUnicode_CHECK_INTERNED(key)) return 0;
  }
  return 1;
}


void* refscope_module_state(PyObject* module, Py_ssize_t* size) {
  PyModuleObject* m = (PyModuleObject*)module;
  if (m->md_def == NULL || m->md_state == NULL || m->md_def->m_size <= 0) return NULL;
  *size = m->md_def->m_size;
  return m->md_state;
}

void refscope_module_traverse(PyObject* module, visitproc visit, void* arg) {
  PyModuleObject* m = (PyModuleObject*)module;
  if (m->md_def != NULL && m->md_def->m_traverse != NULL && m->md_state != NULL) m->md_def->m_traverse(module, visit, arg);
}

void* refscope_module_def(PyObject* module) { return ((PyModuleObject*)module)->md_def; }
