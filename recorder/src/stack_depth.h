#pragma once
// How many values a running frame has on its value stack.
//
// CPython keeps a frame's stack pointer in a register while the frame runs, and writes it back only when the
// frame calls a Python function or is suspended: a frame that called into C code (the checkpoint itself, or a
// C function that called back into Python) has no valid stack pointer in memory. The compiler knows the depth
// at each instruction, though: this replays its stack effects (PyCompile_OpcodeStackEffectWithJump) over the
// frame's bytecode, with the depths its exception table gives handlers, and finds the depth at the instruction
// the frame is executing. Where the answer could be wrong it gives none: a slot above the true top holds a stale
// pointer, and following one would read freed memory.
#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

enum refscope_frame_point {
  REFSCOPE_IN_CALL, /* in the middle of the instruction at lasti: a call it made has not returned */
  REFSCOPE_UNSURE,  /* that, or just after it (a thread that let the GIL go at the eval breaker): the smaller
                       depth of the two */
};

/* Values on the stack of a frame of `code` executing the instruction at `lasti` (code units), or -1 when that
   cannot be known safely. `*conditional`: how many of the topmost of them hold a reference only if they are an
   exact tuple or an exact dict (the arguments of a call with * or **, which the call may have replaced). */
int refscope_stack_depth(PyCodeObject* code, int lasti, int point, int* conditional);

#ifdef __cplusplus
}
#endif
