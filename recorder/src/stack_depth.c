#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#if PY_VERSION_HEX >= 0x030D0000
#define NEED_OPCODE_METADATA
#include <internal/pycore_opcode_metadata.h>
#undef NEED_OPCODE_METADATA
#else
#define NEED_OPCODE_TABLES
#include <internal/pycore_opcode.h>
#undef NEED_OPCODE_TABLES
#endif

#include <stdlib.h>
#include <string.h>

#include "stack_depth.h"

/* Depths are found by a forward pass over the control-flow graph, as the compiler computes co_stacksize: from
   the first instruction at depth 0 and from each exception handler at the depth its table entry gives, each
   instruction's stack effect (the compiler's own, PyCompile_OpcodeStackEffectWithJump) leads to its successors.
   A conflict (two depths for one instruction) or an opcode this does not know means "no answer". */

enum { UNKNOWN = -1 };

static int is_jump(int op) {
  switch (op) {
    case FOR_ITER:
    case JUMP_FORWARD:
    case SEND:
    case JUMP_BACKWARD:
    case JUMP_BACKWARD_NO_INTERRUPT:
#if PY_VERSION_HEX >= 0x030C0000
    case POP_JUMP_IF_FALSE:
    case POP_JUMP_IF_TRUE:
    case POP_JUMP_IF_NONE:
    case POP_JUMP_IF_NOT_NONE:
#else
    case JUMP_IF_FALSE_OR_POP:
    case JUMP_IF_TRUE_OR_POP:
    case POP_JUMP_FORWARD_IF_FALSE:
    case POP_JUMP_FORWARD_IF_TRUE:
    case POP_JUMP_FORWARD_IF_NONE:
    case POP_JUMP_FORWARD_IF_NOT_NONE:
    case POP_JUMP_BACKWARD_IF_FALSE:
    case POP_JUMP_BACKWARD_IF_TRUE:
    case POP_JUMP_BACKWARD_IF_NONE:
    case POP_JUMP_BACKWARD_IF_NOT_NONE:
#endif
      return 1;
    default:
      return 0;
  }
}

static int is_backward(int op) {
#if PY_VERSION_HEX < 0x030C0000
  if (op == POP_JUMP_BACKWARD_IF_FALSE || op == POP_JUMP_BACKWARD_IF_TRUE || op == POP_JUMP_BACKWARD_IF_NONE ||
      op == POP_JUMP_BACKWARD_IF_NOT_NONE)
    return 1;
#endif
  return op == JUMP_BACKWARD || op == JUMP_BACKWARD_NO_INTERRUPT;
}

static int is_unconditional(int op) {
  return op == JUMP_FORWARD || op == JUMP_BACKWARD || op == JUMP_BACKWARD_NO_INTERRUPT;
}

/* Instructions after which control does not fall through. */
static int ends_flow(int op) {
#if PY_VERSION_HEX >= 0x030C0000
  if (op == RETURN_CONST) return 1;
#endif
  return op == RETURN_VALUE || op == RAISE_VARARGS || op == RERAISE;
}

static int deopt(int op) {
#if PY_VERSION_HEX >= 0x030C0000
  /* Instrumented opcodes (sys.monitoring, sys.settrace) and executors hide the real instruction. */
  if (op >= MIN_INSTRUMENTED_OPCODE) return -1;
#endif
#if PY_VERSION_HEX >= 0x030D0000
  if (op == ENTER_EXECUTOR) return -1;
#endif
  return _PyOpcode_Deopt[op];
}

typedef struct {
  const _Py_CODEUNIT* code;
  int n;          /* code units */
  short* depth;   /* per code unit, UNKNOWN where no instruction starts or none reached yet */
  int* work;      /* instruction starts to visit */
  int nwork;
} flow;

static int opcode_at(const _Py_CODEUNIT* u) {
#if PY_VERSION_HEX >= 0x030C0000
  return u->op.code;
#else
  return _Py_OPCODE(*u);
#endif
}

static int oparg_at(const _Py_CODEUNIT* u) {
#if PY_VERSION_HEX >= 0x030C0000
  return u->op.arg;
#else
  return _Py_OPARG(*u);
#endif
}

/* Records depth d at instruction i; 0 on a conflict. */
static int reach(flow* f, int i, int d) {
  if (i < 0 || i >= f->n || d < 0 || d > 30000) return 0;
  if (f->depth[i] == UNKNOWN) {
    f->depth[i] = (short)d;
    f->work[f->nwork++] = i;
    return 1;
  }
  return f->depth[i] == d;
}

/* One decoded instruction at unit i: its real opcode, full oparg, and the unit after it and its caches. */
typedef struct {
  int op, arg, next;
} instr;

static int decode(const flow* f, int i, instr* out) {
  int arg = 0;
  int op;
  for (;;) {
    if (i >= f->n) return 0;
    op = deopt(opcode_at(&f->code[i]));
    if (op < 0) return 0;
    arg = (arg << 8) | oparg_at(&f->code[i]);
    if (op != EXTENDED_ARG) break;
    ++i;
  }
  out->op = op;
  out->arg = arg;
  out->next = i + 1 + _PyOpcode_Caches[op];
  return 1;
}

static int effect(int op, int arg, int jump) {
  int e = PyCompile_OpcodeStackEffectWithJump(op, arg, jump);
  return e == PY_INVALID_STACK_EFFECT ? 100000 : e;
}

static int read_varint(const unsigned char** p, const unsigned char* end, int* out) {
  if (*p >= end) return 0;
  int v = **p & 63;
  while (**p & 64) {
    ++*p;
    if (*p >= end) return 0;
    v = (v << 6) | (**p & 63);
  }
  ++*p;
  *out = v;
  return 1;
}

static int propagate(flow* f) {
  while (f->nwork > 0) {
    int i = f->work[--f->nwork];
    int d = f->depth[i];
    instr in;
    if (!decode(f, i, &in)) return 0;
    if (is_jump(in.op)) {
      int target = in.next + (is_backward(in.op) ? -in.arg : in.arg);
      if (!reach(f, target, d + effect(in.op, in.arg, 1))) return 0;
      if (!is_unconditional(in.op) && !reach(f, in.next, d + effect(in.op, in.arg, 0))) return 0;
    } else if (!ends_flow(in.op)) {
      if (in.next < f->n && !reach(f, in.next, d + effect(in.op, in.arg, 0))) return 0;
    }
  }
  return 1;
}

int refscope_stack_depth(PyCodeObject* code, int lasti, int point, int* conditional) {
  *conditional = 0;
  int n = (int)Py_SIZE(code);
  if (n <= 0 || n > (1 << 20) || lasti < 0 || lasti >= n) return -1;
  flow f;
  f.code = _PyCode_CODE(code);
  f.n = n;
  f.depth = malloc(sizeof(short) * (size_t)n);
  f.work = malloc(sizeof(int) * (size_t)n * 2);
  f.nwork = 0;
  int result = -1;
  if (f.depth == NULL || f.work == NULL) goto done;
  for (int i = 0; i < n; ++i) f.depth[i] = UNKNOWN;
  if (!reach(&f, 0, 0)) goto done;
  /* Exception handlers start at the depth their entry records, plus the offset (lasti) when it is pushed, plus
     the exception itself. */
  PyObject* table = code->co_exceptiontable;
  if (table != NULL && PyBytes_Check(table)) {
    const unsigned char* p = (const unsigned char*)PyBytes_AS_STRING(table);
    const unsigned char* end = p + PyBytes_GET_SIZE(table);
    while (p < end) {
      int start, size, target, depth_lasti;
      if (!read_varint(&p, end, &start) || !read_varint(&p, end, &size) || !read_varint(&p, end, &target) ||
          !read_varint(&p, end, &depth_lasti))
        goto done;
      if (!reach(&f, target, (depth_lasti >> 1) + (depth_lasti & 1) + 1)) goto done;
    }
  }
  if (!propagate(&f)) goto done;
  /* The instruction that contains lasti (it may point into its caches or at its EXTENDED_ARG prefix). */
  int at = lasti;
  while (at > 0 && f.depth[at] == UNKNOWN) --at;
  if (f.depth[at] == UNKNOWN) goto done;
  instr in;
  if (!decode(&f, at, &in) || lasti >= in.next) goto done;
  int before = f.depth[at];
  int after = before + effect(in.op, in.arg, is_jump(in.op) ? 1 : 0);
  /* In the middle of the instruction, the values it takes are still in their slots: they are released once the
     call it made returns. 3.11's CALL follows a PRECALL that the compiler counts as having taken the arguments
     already; in memory they are still there. */
  int during = before;
#if PY_VERSION_HEX < 0x030C0000
  if (in.op == CALL) during = before + in.arg;
  if (in.op == PRECALL) after = before + effect(PRECALL, in.arg, 0) + effect(CALL, in.arg, 0);
#endif
  result = point == REFSCOPE_IN_CALL || after > during ? during : after;
  /* CALL_FUNCTION_EX takes its arguments off the stack, or replaces them, before it calls: its positional
     arguments, if not a tuple, and its keyword arguments, if not a dict, are converted and the originals released
     (3.11 pops both; 3.12+ leave the originals' pointers in the slots). Those slots hold a reference only if
     their value is of the exact type the call uses. */
  if (in.op == CALL_FUNCTION_EX && result == during) *conditional = 1 + (in.arg & 1);
  if (result < 0 || result > code->co_stacksize) result = -1;
done:
  free(f.depth);
  free(f.work);
  return result;
}
