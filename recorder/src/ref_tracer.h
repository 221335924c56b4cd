#pragma once
// PyRefTracer (CPython 3.13+): object creation and destruction as they happen, including objects taken from and
// returned to freelists, which the allocator hooks never see.
//
// Guards: CPython 3.13.0-3.13.2 miss some destructions (gh-130382); every missed one is caught later by the
// allocator hook (a Live block freed), by the next creation at the same address, or by a checkpoint (refcount 0).
// The tracer slot holds one tracer: if it is taken when the recording starts the recorder does without, and if
// someone takes it later (tracemalloc.start()) the next checkpoint notices and says so once.
#include <Python.h>

namespace refscope::recorder {

// True if the tracer was installed.
bool install_ref_tracer(bool& slot_taken);
void uninstall_ref_tracer();
// True while our tracer still holds the slot.
bool ref_tracer_installed();

}  // namespace refscope::recorder
