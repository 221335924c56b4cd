#pragma once
// CPython's float freelist, closed while recording (3.11-3.13).
//
// A float that dies goes back to the freelist without passing the allocator, and the specialized instructions
// (BINARY_OP_ADD_FLOAT, COMPARE_OP_FLOAT, ...) and sum() call _PyFloat_ExactDealloc directly, past tp_dealloc and
// past 3.13's reference tracer: no hook sees that death, and the float handed out next at that address would be
// taken for the dead one. The freelist's own bookkeeping makes closing it exact: a dying float is freed when the
// count says "full", and a new one is taken from the list only when its head is not NULL. So the count is set to
// "full" and the list emptied (its floats freed through PyObject_Free, where the allocator hooks see them go):
// every float is then born and freed through the allocator, with its site. A full collection clears the freelists
// and reopens this one: the recorder closes it again at the collection's end and at every checkpoint.
// Implemented in C against the interpreter's internal headers, per version, as frame_reader.c is.
#ifdef __cplusplus
extern "C" {
#endif

/* Empties the float freelist (through PyObject_Free) and marks it full. Needs the GIL. */
void refscope_float_freelist_close(void);
/* Marks the freelist as CPython leaves it at start: empty, taking floats again. Needs the GIL. */
void refscope_float_freelist_reopen(void);

#ifdef __cplusplus
}
#endif
