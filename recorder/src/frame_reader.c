#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_code.h>
#include <internal/pycore_frame.h>

#include "frame_reader.h"

int refscope_capture_frames(refscope_frame_key* out, int depth) {
#if PY_VERSION_HEX >= 0x030D0000
  PyThreadState* tstate = PyThreadState_GetUnchecked();  // _PyThreadState_GET's TLS symbol is not exported
#else
  PyThreadState* tstate = _PyThreadState_UncheckedGet();
#endif
  if (tstate == NULL) return 0;
#if PY_VERSION_HEX >= 0x030D0000
  _PyInterpreterFrame* frame = tstate->current_frame;
#else
  _PyInterpreterFrame* frame = tstate->cframe != NULL ? tstate->cframe->current_frame : NULL;
#endif
  int n = 0;
  for (; frame != NULL && n < depth; frame = frame->previous) {
#if PY_VERSION_HEX >= 0x030D0000
    if (frame->owner == FRAME_OWNED_BY_CSTACK) continue;
    PyObject* executable = frame->f_executable;
    if (executable == NULL || !PyCode_Check(executable)) continue;
    if (_PyFrame_IsIncomplete(frame)) continue;
    PyCodeObject* code = (PyCodeObject*)executable;
    out[n].code = code;
    out[n].lasti = (int)(frame->instr_ptr - _PyCode_CODE(code));
#else
    if (_PyFrame_IsIncomplete(frame)) continue;
    out[n].code = frame->f_code;
    out[n].lasti = _PyInterpreterFrame_LASTI(frame);
#endif
    ++n;
  }
  return n;
}

int refscope_line_of(void* code, int lasti) {
  int line = PyCode_Addr2Line((PyCodeObject*)code, lasti * (int)sizeof(_Py_CODEUNIT));
  return line < 0 ? 0 : line;
}
