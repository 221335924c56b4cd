#pragma once
// What CPython objects hold that their type's tp_traverse does not say.
//
// tp_traverse exists for the cyclic collector, so it reports only the references that could close a cycle: a
// dict whose keys are all str reports its values only, a code object (not a collector type) reports nothing,
// a heap type leaves out its name, qualified name, __slots__, subclass table and the keys its instances share,
// a module its name, a descriptor its name. The checkpoint's walk adds those here, each counted reference once,
// from what each type's dealloc releases in CPython 3.11, 3.12 and 3.13 (Objects/*.c). Static types are not
// objects of the heap at all: what they hold is reported separately, as held by a named root.
//
// The layouts are CPython-internal, so this file is compiled against the internal headers of each interpreter,
// and in C (3.11's internal headers use C11 atomics that C++ does not accept).
#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Shared dict keys (a split table) hold references to their str keys once, however many dicts use them: the
   walk gives them to one owner, the heap type whose instances share them when there is one. `claim` returns
   nonzero when `owner` is the one. */
typedef int (*refscope_claim_keys)(void* keys, PyObject* owner, void* arg);

/* Starts a checkpoint's walk: types may have died and others taken their addresses since the last one. */
void refscope_walk_begin(void);

/* The live object at an address, or NULL when the address holds none the walk knows (for fields read as raw
   words). */
typedef PyObject* (*refscope_known_object)(uintptr_t addr, void* arg);

/* Visits what `op` holds that tp_traverse leaves out (all of it for types that have no tp_traverse). */
void refscope_visit_silent(PyObject* op, visitproc visit, void* arg, refscope_claim_keys claim,
                           refscope_known_object known);

/* The shared keys of a heap type (NULL for none), for the walk to claim them for the type before any dict. */
void* refscope_type_cached_keys(PyTypeObject* type);

/* A type's table of subclasses (a dict of weak references; 3.12+ keeps a static builtin type's in the
   interpreter), or NULL. Borrowed. */
PyObject* refscope_type_subclasses(PyTypeObject* type);

/* The object a weak reference points to, or NULL when it is dead or `ref` is no weak reference. Borrowed. */
PyObject* refscope_weakref_target(PyObject* ref);

/* True for CPython's table of interned strings (3.11 keeps it in a C static variable): a dict that maps each
   interned str to itself, whose two references per string are not counted in the strings' refcounts. */
int refscope_is_interned_table(PyObject* op);

/* A C module's state and its size (PyModuleDef.m_size), or NULL; and its m_traverse, when it has one. */
void* refscope_module_state(PyObject* module, Py_ssize_t* size);
void refscope_module_traverse(PyObject* module, visitproc visit, void* arg);
/* A module's PyModuleDef (NULL for modules written in Python). */
void* refscope_module_def(PyObject* module);

/* A static type (not allocated on the heap): visits what it holds, including what 3.12+ keeps for it in the
   interpreter (its dict and subclass table). */
void refscope_visit_static_type(PyTypeObject* type, visitproc visit, void* arg);

#ifdef __cplusplus
}
#endif
