#pragma once
// CPython's list, dict and tuple freelists, kept empty while recording (3.11-3.13).
//
// A list, dict or tuple that dies goes back to its type's freelist without passing the allocator, and the next
// one of that type (or, for tuples, of that length) is taken from it without being allocated: the allocator hooks
// see neither, so the new object's site would be unknown (`?`). Their deallocators are wrapped while recording
// (dealloc_hooks.cpp); after the original deallocator has run, whatever it put on the freelist is taken back off
// and freed through PyObject_GC_Del, as the deallocator itself does when the freelist is full. The freelist is
// therefore always empty, every new object comes from the allocator (with its site), and every death is a free
// the hooks see. Nothing else changes: no object lives longer or shorter, no refcount moves; only the address a
// new object gets may differ (the allocator's choice rather than the freelist's).
// Implemented in C against the interpreter's internal headers, per version, as float_freelist.c is.
#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each empties its freelist, freeing what it held through PyObject_GC_Del. Need the GIL. */
void refscope_list_freelist_drain(void);
void refscope_dict_freelist_drain(void);
/* The freelist of tuples of `size` items (1 to 20; others have none). */
void refscope_tuple_freelist_drain(Py_ssize_t size);
/* All three, every tuple size (when recording starts). */
void refscope_container_freelists_drain(void);

#ifdef __cplusplus
}
#endif
