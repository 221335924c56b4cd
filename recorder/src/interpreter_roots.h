#pragma once
// The references the interpreter itself holds: its module table, sys and builtins, the codec registry, the
// warnings filters, atexit callbacks, caches, each thread's state and running frames. None of them is an object
// of the heap, so no tp_traverse reports them; the checkpoint writes them as named roots (trace format 2).
//
// CPython-internal layouts again (PyInterpreterState, PyThreadState, _PyInterpreterFrame): compiled in C against
// the internal headers of each interpreter version.
#include <Python.h>

#include <stdint.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The interpreter's own roots, one fixed name each. */
enum refscope_interp_root {
  REFSCOPE_ROOT_SYS_MODULES,
  REFSCOPE_ROOT_MODULES_BY_INDEX,
  REFSCOPE_ROOT_SYS_DICT,
  REFSCOPE_ROOT_BUILTINS,
  REFSCOPE_ROOT_IMPORTLIB,
  REFSCOPE_ROOT_IMPORT_FUNC,
  REFSCOPE_ROOT_CODECS,
  REFSCOPE_ROOT_INTERP_DICT,
  REFSCOPE_ROOT_SAVED_COPIES,
  REFSCOPE_ROOT_FORK_CALLBACKS,
  REFSCOPE_ROOT_WARNINGS,
  REFSCOPE_ROOT_ATEXIT,
  REFSCOPE_ROOT_AUDIT_HOOKS,
  REFSCOPE_ROOT_IDENTIFIERS,
  REFSCOPE_ROOT_EXCEPTIONS,
  REFSCOPE_ROOT_TYPE_CACHE,
  REFSCOPE_ROOT_GC,
  REFSCOPE_ROOT_CACHED_OBJECTS,
  REFSCOPE_ROOT_MONITORING,
  REFSCOPE_ROOT_AST,
  REFSCOPE_ROOT_SIGNALS,
  REFSCOPE_ROOT_COUNT
};
extern const char* const refscope_interp_root_names[REFSCOPE_ROOT_COUNT];

/* `ref(ctx, root, obj)` for each reference an interpreter root holds (obj is never NULL). */
typedef void (*refscope_root_ref)(void* ctx, int root, PyObject* obj);
void refscope_interpreter_roots(refscope_root_ref ref, void* ctx);

/* When the main program is a script (python SCRIPT) that ends by raising SystemExit, CPython's Modules/main.c
   runs the interpreter's exit (and so the atexit handlers and the exit checkpoint) from inside the call that runs
   the script, where it still holds the script's file name (the str that is __main__.__file__) and the program
   name. True when that is what is happening now: Py_Exit is on the C stack. */
int refscope_exiting_inside_main_script(void);
/* The interpreter's program name and its main program, as the configuration has them (NULL when none):
   python SCRIPT (run_filename), python -c COMMAND (run_command), python -m MODULE (run_module). */
const wchar_t* refscope_program_name(void);
const wchar_t* refscope_run_filename(void);
const wchar_t* refscope_run_command(void);
const wchar_t* refscope_run_module(void);

/* Whether the thread running now is the interpreter's main thread. */
int refscope_on_main_thread(void);

/* The outermost Python frame of the main thread (the one the interpreter started with): its code, function and
   globals. 0 when that thread runs no Python code. */
int refscope_main_thread_outermost_frame(PyObject** code, PyObject** function, PyObject** globals);

/* Where _PyRuntime lies: it holds the main interpreter's and the main thread's state, which the functions here
   walk field by field (a scan of static memory leaves it out). */
void refscope_runtime_range(uintptr_t* begin, uintptr_t* end);

/* Every thread's state and its frames. Each thread has a number that stays the same for its whole life: 0 for
   the interpreter's main thread, the thread state's own id (1, 2, ... in order of creation) for the others. For
   each, `state(ctx, thread, obj)` for each reference its state holds (its dict, its current exception, its
   context...), then for each frame on its stack, outermost first:
     - a frame the thread owns: `frame(ctx, thread, depth, code, lasti, NULL, obj, slot, exact_only)` for each
       reference it holds (its function, code, locals dict, frame object, local variables, cells and value stack);
       `obj` is NULL once, first, so that a frame that holds nothing is still seen; `slot`: where the frame holds
       it, an index into its localsplus (local variables and cells first, co_nlocalsplus of them, then the value
       stack) or one of the REFSCOPE_FRAME_* below; `exact_only`: a value-stack slot that holds a reference only
       if its value is an exact tuple or dict (refscope_stack_depth);
     - a running generator's or coroutine's frame: the same with `owner` the generator, for the local variables
       and value stack that its tp_traverse cannot see while it runs.
   Frames of C code (3.12+ shims) are skipped; `depth` counts the thread-owned frames from the outermost (0).
   `entry(ctx, thread, code, function, first, exec_locals)` for each thread-owned frame that C code called (after
   its `frame` calls), with its first local variable (or NULL), and its locals if the builtin exec or eval of 3.12+
   called it (they hold a reference to them). The
   thread running the checkpoint is in the middle of a call to it (mark(), stop(), or none at all: the recorder's
   own thread); the others wait for the GIL, in a call to C code that let it go or at the eval breaker. */
typedef void (*refscope_thread_ref)(void* ctx, unsigned long thread, PyObject* obj);
enum {
  REFSCOPE_FRAME_CODE = -1,
  REFSCOPE_FRAME_FUNCTION = -2,
  REFSCOPE_FRAME_LOCALS = -3,
  REFSCOPE_FRAME_OBJECT = -4,
};
typedef void (*refscope_frame_ref)(void* ctx, unsigned long thread, int depth, PyObject* code, int lasti,
                                   PyObject* owner, PyObject* obj, int slot, int exact_only);
typedef void (*refscope_entry_ref)(void* ctx, unsigned long thread, PyObject* code, PyObject* function,
                                   PyObject* first, PyObject* exec_locals);
/* `kwcall(ctx, thread, args, kwargs)` for each frame in a call with ** arguments (CALL_FUNCTION_EX with a dict)
   that C code passed on to the next frame: the two stack slots of the positional and keyword arguments, each a
   reference only if an exact tuple or dict. */
typedef void (*refscope_kwcall_ref)(void* ctx, unsigned long thread, PyObject* args, PyObject* kwargs);
void refscope_thread_roots(refscope_thread_ref state, refscope_frame_ref frame, refscope_entry_ref entry,
                           refscope_kwcall_ref kwcall, void* ctx);

#ifdef __cplusplus
}
#endif
