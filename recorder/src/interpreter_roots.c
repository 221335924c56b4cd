#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_genobject.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_pystate.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_typeobject.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <stddef.h>
#include <string.h>

#include "interpreter_roots.h"
#include "stack_depth.h"

const char* const refscope_interp_root_names[REFSCOPE_ROOT_COUNT] = {
    "sys.modules",
    "the interpreter's extension modules by index",
    "sys.__dict__",
    "builtins.__dict__",
    "importlib (the interpreter's import machinery)",
    "the interpreter's __import__",
    "the codec registry",
    "the interpreter's dict",
    "the interpreter's saved copies of sys and builtins",
    "os.register_at_fork callbacks",
    "the warnings module's filters and registry",
    "atexit callbacks",
    "sys.addaudithook hooks",
    "the interpreter's identifier strings",
    "the interpreter's exception state",
    "the interpreter's type method cache",
    "gc.garbage and gc.callbacks",
    "the interpreter's cached objects",
    "sys.monitoring callbacks",
    "the ast module's types and singletons",
    "the signal module's handlers",
};

#define ROOT(which, obj)                               \
  do {                                                 \
    PyObject* o_ = (PyObject*)(obj);                   \
    if (o_ != NULL) ref(ctx, REFSCOPE_ROOT_##which, o_); \
  } while (0)

void refscope_interpreter_roots(refscope_root_ref ref, void* ctx) {
  PyInterpreterState* interp = PyInterpreterState_Get();
#if PY_VERSION_HEX >= 0x030C0000
  ROOT(SYS_MODULES, interp->imports.modules);
  ROOT(MODULES_BY_INDEX, interp->imports.modules_by_index);
  ROOT(IMPORTLIB, interp->imports.importlib);
  ROOT(IMPORT_FUNC, interp->imports.import_func);
  ROOT(SAVED_COPIES, interp->sysdict_copy);
#else
  ROOT(SYS_MODULES, interp->modules);
  ROOT(MODULES_BY_INDEX, interp->modules_by_index);
  ROOT(IMPORTLIB, interp->importlib);
  ROOT(IMPORT_FUNC, interp->import_func);
#endif
  ROOT(SYS_DICT, interp->sysdict);
  ROOT(BUILTINS, interp->builtins);
  ROOT(SAVED_COPIES, interp->builtins_copy);
#if PY_VERSION_HEX >= 0x030D0000
  ROOT(CODECS, interp->codecs.search_path);
  ROOT(CODECS, interp->codecs.search_cache);
  ROOT(CODECS, interp->codecs.error_registry);
#else
  ROOT(CODECS, interp->codec_search_path);
  ROOT(CODECS, interp->codec_search_cache);
  ROOT(CODECS, interp->codec_error_registry);
#endif
  ROOT(INTERP_DICT, interp->dict);
  ROOT(FORK_CALLBACKS, interp->before_forkers);
  ROOT(FORK_CALLBACKS, interp->after_forkers_parent);
  ROOT(FORK_CALLBACKS, interp->after_forkers_child);
  ROOT(WARNINGS, interp->warnings.filters);
  ROOT(WARNINGS, interp->warnings.once_registry);
  ROOT(WARNINGS, interp->warnings.default_action);
  for (int i = 0; i < interp->atexit.ncallbacks; ++i) {
#if PY_VERSION_HEX >= 0x030C0000
    atexit_py_callback* cb = interp->atexit.callbacks[i];
#else
    atexit_callback* cb = interp->atexit.callbacks[i];
#endif
    if (cb == NULL) continue;
    ROOT(ATEXIT, cb->func);
    ROOT(ATEXIT, cb->args);
    ROOT(ATEXIT, cb->kwargs);
  }
  ROOT(AUDIT_HOOKS, interp->audit_hooks);
  for (Py_ssize_t i = 0; i < interp->unicode.ids.size; ++i) ROOT(IDENTIFIERS, interp->unicode.ids.array[i]);
  ROOT(EXCEPTIONS, interp->exc_state.errnomap);
  ROOT(EXCEPTIONS, interp->exc_state.PyExc_ExceptionGroup);
#if PY_VERSION_HEX >= 0x030D0000
  ROOT(EXCEPTIONS, interp->xi.PyExc_NotShareableError);
#endif
#if PY_VERSION_HEX >= 0x030C0000
  struct type_cache* cache = &interp->types.type_cache;
#else
  struct type_cache* cache = &interp->type_cache;
#endif
  for (size_t i = 0; i < (size_t)1 << MCACHE_SIZE_EXP; ++i) ROOT(TYPE_CACHE, cache->hashtable[i].name);
  ROOT(GC, interp->gc.garbage);
  ROOT(GC, interp->gc.callbacks);
#if PY_VERSION_HEX >= 0x030C0000
  ROOT(CACHED_OBJECTS, interp->cached_objects.str_replace_inf);
  /* (cached_objects.objreduce is object.__reduce__ as object's dict holds it, borrowed: no reference.) */
  ROOT(CACHED_OBJECTS, interp->cached_objects.type_slots_pname);
  ROOT(CACHED_OBJECTS, interp->cached_objects.generic_type);
  ROOT(CACHED_OBJECTS, interp->cached_objects.typevar_type);
  ROOT(CACHED_OBJECTS, interp->cached_objects.typevartuple_type);
  ROOT(CACHED_OBJECTS, interp->cached_objects.paramspec_type);
  ROOT(CACHED_OBJECTS, interp->cached_objects.paramspecargs_type);
  ROOT(CACHED_OBJECTS, interp->cached_objects.paramspeckwargs_type);
  for (int tool = 0; tool < PY_MONITORING_TOOL_IDS; ++tool) {
    for (int event = 0; event < _PY_MONITORING_EVENTS; ++event)
      ROOT(MONITORING, interp->monitoring_callables[tool][event]);
    ROOT(MONITORING, interp->monitoring_tool_names[tool]);
  }
#endif
#if PY_VERSION_HEX >= 0x030C0000
  /* 3.12 moved the signal handlers from the signal module's static variables into the runtime. */
  for (int i = 0; i < Py_NSIG; ++i) {
#if PY_VERSION_HEX >= 0x030D0000
    ROOT(SIGNALS, _PyRuntime.signals.handlers[i].func);
#else
    ROOT(SIGNALS, _Py_atomic_load_relaxed(&_PyRuntime.signals.handlers[i].func));
#endif
  }
  ROOT(SIGNALS, _PyRuntime.signals.default_handler);
  ROOT(SIGNALS, _PyRuntime.signals.ignore_handler);
#endif
  /* Every field after the flags is an object: the AST node types, their field names, operator singletons. */
  PyObject** ast = &interp->ast.AST_type;
  PyObject** ast_end = (PyObject**)((char*)&interp->ast + sizeof(interp->ast));
  for (; ast < ast_end; ++ast) ROOT(AST, *ast);
}

int refscope_exiting_inside_main_script(void) {
  void* frames[128];
  int n = backtrace(frames, 128);
  for (int i = 0; i < n; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) && info.dli_sname != NULL && strcmp(info.dli_sname, "Py_Exit") == 0) return 1;
  }
  return 0;
}

const wchar_t* refscope_program_name(void) { return PyInterpreterState_Get()->config.program_name; }
const wchar_t* refscope_run_filename(void) { return PyInterpreterState_Get()->config.run_filename; }
const wchar_t* refscope_run_command(void) { return PyInterpreterState_Get()->config.run_command; }
const wchar_t* refscope_run_module(void) { return PyInterpreterState_Get()->config.run_module; }

void refscope_runtime_range(uintptr_t* begin, uintptr_t* end) {
  *begin = (uintptr_t)&_PyRuntime;
  *end = *begin + sizeof(_PyRuntime);
}

/* ---- Threads and frames ---------------------------------------------------------------------------------------- */

static PyObject* frame_code(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030D0000
  return f->f_executable;
#else
  return (PyObject*)f->f_code;
#endif
}

static PyObject* frame_function(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030C0000
  return f->f_funcobj;
#else
  return (PyObject*)f->f_func;
#endif
}

static _Py_CODEUNIT* frame_instruction(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030D0000
  return f->instr_ptr;
#else
  return f->prev_instr;
#endif
}

static _PyInterpreterFrame* current_frame(PyThreadState* tstate) {
#if PY_VERSION_HEX >= 0x030D0000
  return tstate->current_frame;
#else
  return tstate->cframe != NULL ? tstate->cframe->current_frame : NULL;
#endif
}

/* A frame of Python code, as opposed to the shim frames 3.12+ pushes for C code. */
static int is_python_frame(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030C0000
  if (f->owner == FRAME_OWNED_BY_CSTACK) return 0;
#endif
  PyObject* code = frame_code(f);
  return code != NULL && PyCode_Check(code);
}

#define MAX_FRAMES 4096

/* How many slots of localsplus hold references: the frame's own stack pointer when it saved one (a frame in the
   middle of a call to a Python function, a suspended generator), otherwise the local variables plus the value
   stack the bytecode has at its current instruction. */
static int frame_extent(_PyInterpreterFrame* f, int point, int* conditional) {
  PyCodeObject* code = (PyCodeObject*)frame_code(f);
  int nlocals = code->co_nlocalsplus;
  *conditional = 0;
  if (f->stacktop >= nlocals) return f->stacktop;
  int lasti = (int)(frame_instruction(f) - _PyCode_CODE(code));
  int depth = refscope_stack_depth(code, lasti, point, conditional);
  return depth < 0 ? nlocals : nlocals + depth;
}

#if PY_VERSION_HEX >= 0x030C0000
/* Whether the value stack of a frame that is in a call holds the builtin exec or eval. */
static int calls_exec_or_eval(_PyInterpreterFrame* f) {
  PyObject* builtins = PyInterpreterState_Get()->builtins;
  if (builtins == NULL || !PyDict_Check(builtins)) return 0;
  PyObject* exec = PyDict_GetItemString(builtins, "exec");
  PyObject* eval = PyDict_GetItemString(builtins, "eval");
  PyCodeObject* code = (PyCodeObject*)frame_code(f);
  int conditional;
  int extent = frame_extent(f, REFSCOPE_IN_CALL, &conditional);
  for (int k = code->co_nlocalsplus; k < extent; ++k) {
    PyObject* v = f->localsplus[k];
    if (v != NULL && (v == exec || v == eval)) return 1;
  }
  return 0;
}
#endif

/* Whether C code called this frame (through _PyEval_Vector: PyEval_EvalCode, a C function calling back into
   Python), rather than the interpreter's own call of a Python function. */
static int entered_from_c(_PyInterpreterFrame* f) {
#if PY_VERSION_HEX >= 0x030C0000
  return f->previous == NULL || f->previous->owner == FRAME_OWNED_BY_CSTACK;
#else
  return f->is_entry;
#endif
}

/* `innermost_point`: where the innermost frame is (refscope_frame_point); every other frame is in a call. */
static void walk_frames(PyThreadState* tstate, unsigned long thread, refscope_frame_ref ref, refscope_entry_ref entry,
                        refscope_kwcall_ref kwcall, void* ctx, int innermost_point) {
  _PyInterpreterFrame* frames[MAX_FRAMES];
  int n = 0;
  for (_PyInterpreterFrame* f = current_frame(tstate); f != NULL && n < MAX_FRAMES; f = f->previous) {
    if (is_python_frame(f)) frames[n++] = f;
  }
  int depth = 0;
  for (int i = n - 1; i >= 0; --i) {
    _PyInterpreterFrame* f = frames[i];
    PyObject* code = frame_code(f);
    int lasti = (int)(frame_instruction(f) - _PyCode_CODE((PyCodeObject*)code));
    int conditional;
    int extent = frame_extent(f, i == 0 ? innermost_point : REFSCOPE_IN_CALL, &conditional);
    if (f->owner == FRAME_OWNED_BY_GENERATOR) {
      /* Its generator's tp_traverse reports the frame's specials, and its locals only while it is suspended. */
      if (f->stacktop >= 0) continue;
      PyObject* gen = (PyObject*)((char*)f - offsetof(PyGenObject, gi_iframe));
      for (int k = 0; k < extent; ++k)
        if (f->localsplus[k] != NULL)
          ref(ctx, thread, -1, code, lasti, gen, f->localsplus[k], k, k >= extent - conditional);
      continue;
    }
    if (f->owner != FRAME_OWNED_BY_THREAD) continue;
    ref(ctx, thread, depth, code, lasti, NULL, NULL, REFSCOPE_FRAME_CODE, 0);
    ref(ctx, thread, depth, code, lasti, NULL, code, REFSCOPE_FRAME_CODE, 0);
    PyObject* func = frame_function(f);
    if (func != NULL) ref(ctx, thread, depth, code, lasti, NULL, func, REFSCOPE_FRAME_FUNCTION, 0);
    if (func != NULL && entered_from_c(f)) {
      PyObject* first = ((PyCodeObject*)code)->co_nlocalsplus > 0 ? f->localsplus[0] : NULL;
      PyObject* exec_locals = NULL;
#if PY_VERSION_HEX >= 0x030C0000
      /* The builtins exec and eval (3.12+) hold a reference to the locals they run the code with: the caller's
         value stack has the builtin it is calling. */
      if (i + 1 < n && f->f_locals != NULL && calls_exec_or_eval(frames[i + 1])) exec_locals = f->f_locals;
#endif
      entry(ctx, thread, code, func, first, exec_locals);
    }
    if (f->f_locals != NULL) ref(ctx, thread, depth, code, lasti, NULL, f->f_locals, REFSCOPE_FRAME_LOCALS, 0);
    if (f->frame_obj != NULL)
      ref(ctx, thread, depth, code, lasti, NULL, (PyObject*)f->frame_obj, REFSCOPE_FRAME_OBJECT, 0);
    for (int k = 0; k < extent; ++k)
      if (f->localsplus[k] != NULL)
        ref(ctx, thread, depth, code, lasti, NULL, f->localsplus[k], k, k >= extent - conditional);
    /* A call with ** arguments (CALL_FUNCTION_EX with a dict) that C code passed on to the frame it called:
       _PyStack_UnpackDict holds a tuple of the keywords and a reference to every argument while that runs. */
    if (conditional == 2 && i > 0 && entered_from_c(frames[i - 1]) && extent - 2 >= ((PyCodeObject*)code)->co_nlocalsplus)
      kwcall(ctx, thread, f->localsplus[extent - 2], f->localsplus[extent - 1]);
    ++depth;
  }
}

static void thread_state(PyThreadState* t, unsigned long thread, refscope_thread_ref ref, void* ctx) {
#define STATE(obj)                          \
  do {                                      \
    PyObject* o_ = (PyObject*)(obj);        \
    if (o_ != NULL) ref(ctx, thread, o_);   \
  } while (0)
  STATE(t->c_profileobj);
  STATE(t->c_traceobj);
#if PY_VERSION_HEX >= 0x030C0000
  STATE(t->current_exception);
#else
  STATE(t->curexc_type);
  STATE(t->curexc_value);
  STATE(t->curexc_traceback);
#endif
  /* The base of the stack of exceptions being handled; the items above it belong to running generators. */
  STATE(t->exc_state.exc_value);
  STATE(t->dict);
  STATE(t->async_exc);
  STATE(t->async_gen_firstiter);
  STATE(t->async_gen_finalizer);
  STATE(t->context);
#if PY_VERSION_HEX < 0x030D0000
  /* threading's sentinel: _thread._set_sentinel() leaves a weak reference to the lock it returns, for the
     thread state to release when the thread ends (pystate.h says so of on_delete_data). */
  if (t->on_delete != NULL && t->on_delete_data != NULL && PyWeakref_CheckRef((PyObject*)t->on_delete_data))
    STATE(t->on_delete_data);
#endif
#if PY_VERSION_HEX >= 0x030D0000
  STATE(t->previous_executor);
  STATE(t->threading_local_key);
  STATE(t->threading_local_sentinel);
#endif
#undef STATE
}

void refscope_thread_roots(refscope_thread_ref state, refscope_frame_ref frame, refscope_entry_ref entry,
                           refscope_kwcall_ref kwcall, void* ctx) {
  PyThreadState* me = PyThreadState_Get();
  PyInterpreterState* interp = PyInterpreterState_Get();
  for (PyThreadState* t = PyInterpreterState_ThreadHead(interp); t != NULL; t = PyThreadState_Next(t)) {
    unsigned long thread = t->thread_id == _PyRuntime.main_thread ? 0 : (unsigned long)t->id;
    thread_state(t, thread, state, ctx);
    walk_frames(t, thread, frame, entry, kwcall, ctx, t == me ? REFSCOPE_IN_CALL : REFSCOPE_UNSURE);
  }
}

int refscope_on_main_thread(void) {
  return PyThreadState_Get() == (PyThreadState*)&PyInterpreterState_Get()->_initial_thread;
}

int refscope_main_thread_outermost_frame(PyObject** code, PyObject** function, PyObject** globals) {
  PyInterpreterState* interp = PyInterpreterState_Get();
  PyThreadState* main = (PyThreadState*)&interp->_initial_thread;
  int found = 0;
  for (PyThreadState* t = PyInterpreterState_ThreadHead(interp); t != NULL; t = PyThreadState_Next(t))
    if (t == main) found = 1;
  if (!found) return 0;
  _PyInterpreterFrame* outermost = NULL;
  for (_PyInterpreterFrame* f = current_frame(main); f != NULL; f = f->previous)
    if (is_python_frame(f) && f->owner == FRAME_OWNED_BY_THREAD) outermost = f;
  if (outermost == NULL) return 0;
  *code = frame_code(outermost);
  *function = frame_function(outermost);
  *globals = outermost->f_globals;
  return 1;
}
