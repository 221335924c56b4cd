#pragma once
// Reads the running thread's Python frames without creating frame objects (PyThreadState_GetFrame would
// allocate one: not allowed inside an allocator hook). The frame layout is CPython-internal, so this file's
// implementation alone is compiled against the internal headers, per interpreter version, and in C: 3.11's
// internal headers use C11 atomics that C++ does not accept.
#ifdef __cplusplus
extern "C" {
#endif

typedef struct refscope_frame_key {
  void* code; /* PyCodeObject* */
  int lasti;  /* instruction offset in code units */
} refscope_frame_key;

/* Fills up to `depth` innermost frames of the current thread, innermost first; returns how many. */
int refscope_capture_frames(refscope_frame_key* out, int depth);

/* The line of an instruction offset, for the `S` record (resolved once per stack node, never per event). */
int refscope_line_of(void* code, int lasti);

#ifdef __cplusplus
}

namespace refscope::recorder {
using FrameKey = refscope_frame_key;
inline int capture_frames(FrameKey* out, int depth) { return refscope_capture_frames(out, depth); }
inline int line_of(void* code, int lasti) { return refscope_line_of(code, lasti); }
}  // namespace refscope::recorder
#endif
