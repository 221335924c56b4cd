// The extension module `refscope_record._native`: the C++ recorder behind the Python API in
// refscope_record/__init__.py (start, stop, mark, and what `refscope record` sets up through the environment).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "recorder.h"

namespace rr = refscope::recorder;

namespace {

bool g_atfork_registered = false;

void child_after_fork() {
  if (rr::g_recorder != nullptr) rr::g_recorder->detach_after_fork();
}

PyObject* native_start(PyObject*, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"path",          "stack_depth",       "zstd_level", "max_bytes",
                                   "checkpoint_every_ms", "use_tracer",  "checkpoint_signal",
                                   "final_signals", "quiet",           "argv",       "paths", "text", nullptr};
  const char* path = nullptr;
  int stack_depth = 1, zstd_level = 0, every = 0, use_tracer = 1, signal_number = 0, final_signals = 1, quiet = 0;
  int text = 0;
  unsigned long long max_bytes = 0;
  const char* argv = "";
  const char* paths = "";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|$iiKipippssp", const_cast<char**>(keywords), &path,
                                   &stack_depth, &zstd_level, &max_bytes, &every, &use_tracer, &signal_number,
                                   &final_signals, &quiet, &argv, &paths, &text)) {
    return nullptr;
  }
  if (rr::g_recorder != nullptr && rr::g_recorder->active()) {
    PyErr_SetString(PyExc_RuntimeError, "refscope_record: a recording is already running in this process");
    return nullptr;
  }
  if (max_bytes != 0 && max_bytes < rr::TraceWriter::kMinCap) {
    PyErr_SetString(PyExc_ValueError, "refscope_record: max_size is 0 (no cap) or at least 4096 bytes");
    return nullptr;
  }
  if (stack_depth < 0 || stack_depth > 128) {
    PyErr_SetString(PyExc_ValueError, "refscope_record: stack_depth must be between 0 and 128");
    return nullptr;
  }
  if (rr::g_recorder != nullptr) {
    if (rr::g_recorder->hooks_installed()) {
      // Another tool (tracemalloc) wrapped the finished recording's hooks: installing new ones under it would
      // make a loop.
      PyErr_SetString(PyExc_RuntimeError,
                      "refscope_record: cannot start again while another tool (tracemalloc?) wraps the allocator");
      return nullptr;
    }
    delete rr::g_recorder;
    rr::g_recorder = nullptr;
  }
  if (!g_atfork_registered) {
    pthread_atfork(nullptr, nullptr, child_after_fork);
    g_atfork_registered = true;
  }
  rr::Options options;
  options.path = path;
  options.stack_depth = stack_depth;
  options.zstd_level = zstd_level;
  options.text = text != 0;
  options.max_bytes = max_bytes;
  options.checkpoint_every_ms = every;
  options.use_tracer = use_tracer != 0;
  options.checkpoint_signal = signal_number;
  options.final_checkpoint_on_signals = final_signals != 0;
  options.quiet = quiet != 0;
  options.argv = argv;
  options.paths = paths;
  auto* recorder = new rr::Recorder();
  rr::g_recorder = recorder;
  std::string error;
  if (!recorder->start(options, error)) {
    rr::g_recorder = nullptr;
    delete recorder;
    PyErr_SetString(PyExc_OSError, ("refscope_record: " + error).c_str());
    return nullptr;
  }
  Py_RETURN_NONE;
}

// refscope attach: connects to its control socket, then starts a recording that it controls (service.cpp). The
// start-up code refscope injected calls this through refscope_record._attach(); `page` is where that code's
// text was mapped (0 when refscope unmaps it itself).
PyObject* native_attach(PyObject*, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"control", "path", "page", "stack_depth", "checkpoint_every_ms",
                                   "argv",    "quiet", "paths", nullptr};
  const char* control = nullptr;
  const char* path = nullptr;
  unsigned long long page = 0;
  int stack_depth = 1, every = 0, quiet = 0;
  const char* argv = "";
  const char* paths = "";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ss|$Kiisps", const_cast<char**>(keywords), &control, &path,
                                   &page, &stack_depth, &every, &argv, &quiet, &paths)) {
    return nullptr;
  }
  if (page != 0) munmap(reinterpret_cast<void*>(page), 16384);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(control) >= sizeof addr.sun_path) {
    PyErr_SetString(PyExc_ValueError, "refscope_record: control socket path too long");
    return nullptr;
  }
  std::strcpy(addr.sun_path, control);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return PyErr_SetFromErrnoWithFilename(PyExc_OSError, control);
  }
  auto refuse = [fd](const std::string& message) -> PyObject* {
    std::string line = "error " + message + "\n";
    ssize_t ignored = send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    (void)ignored;
    close(fd);
    PyErr_SetString(PyExc_RuntimeError, ("refscope_record: " + message).c_str());
    return nullptr;
  };
  if (rr::g_recorder != nullptr && rr::g_recorder->active()) {
    return refuse("a recording is already running in this process (refscope record, or refscope_record.start())");
  }
  if (rr::g_recorder != nullptr && rr::g_recorder->hooks_installed()) {
    return refuse("another tool (tracemalloc?) wraps the allocator hooks of an earlier recording");
  }
  if (stack_depth < 0 || stack_depth > 128) return refuse("stack depth must be between 0 and 128");
  delete rr::g_recorder;
  rr::g_recorder = nullptr;
  if (!g_atfork_registered) {
    pthread_atfork(nullptr, nullptr, child_after_fork);
    g_atfork_registered = true;
  }
  rr::Options options;
  options.path = path;
  options.stack_depth = stack_depth;
  std::string p = path;
  options.zstd_level = p.size() > 4 && p.compare(p.size() - 4, 4, ".zst") == 0 ? 3 : 0;
  options.checkpoint_every_ms = every;
  options.quiet = quiet != 0;
  options.argv = argv;
  options.paths = paths;
  options.control_fd = fd;
  auto* recorder = new rr::Recorder();
  rr::g_recorder = recorder;
  std::string error;
  if (!recorder->start(options, error)) {
    rr::g_recorder = nullptr;
    delete recorder;
    return refuse(error);
  }
  Py_RETURN_NONE;
}

// After the first checkpoint: tells refscope attach that the recording runs.
PyObject* native_attach_started(PyObject*, PyObject*) {
  if (rr::g_recorder != nullptr) rr::g_recorder->report_started();
  Py_RETURN_NONE;
}

// The functions the checkpoints are called from are METH_FASTCALL: their arguments stay in the calling frame's
// value stack, where the walk finds them; a tuple made for them would be a reference only the C call holds.

// stop(reason='stop', label=None, atexit_handler=None): `atexit_handler` is the function atexit is running when
// the recording ends from it (atexit holds a reference to it meanwhile).
PyObject* native_stop(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs > 3 || (nargs > 0 && !PyUnicode_Check(args[0])) ||
      (nargs > 1 && args[1] != Py_None && !PyUnicode_Check(args[1]))) {
    PyErr_SetString(PyExc_TypeError, "refscope_record: stop(reason: str, label: str | None, atexit_handler)");
    return nullptr;
  }
  const char* reason = nargs > 0 ? PyUnicode_AsUTF8(args[0]) : "stop";
  const char* label = nargs > 1 && args[1] != Py_None ? PyUnicode_AsUTF8(args[1]) : "";
  if (reason == nullptr || label == nullptr) return nullptr;
  PyObject* atexit_handler = nargs > 2 && args[2] != Py_None ? args[2] : nullptr;
  if (rr::g_recorder == nullptr) Py_RETURN_NONE;
  std::string error = rr::g_recorder->stop(reason, label, atexit_handler);
  if (error.empty()) Py_RETURN_NONE;
  return PyUnicode_FromString(error.c_str());
}

PyObject* native_checkpoint(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1 || !PyUnicode_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "refscope_record: a marker label is a str");
    return nullptr;
  }
  const char* label = PyUnicode_AsUTF8(args[0]);
  if (label == nullptr) return nullptr;
  if (rr::g_recorder != nullptr) rr::g_recorder->checkpoint(label);
  Py_RETURN_NONE;
}

long dict_long(PyObject* info, const char* key) {
  if (info == nullptr || !PyDict_Check(info)) return 0;
  PyObject* value = PyDict_GetItemString(info, key);
  if (value == nullptr) return 0;
  long v = PyLong_AsLong(value);
  if (v == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return 0;
  }
  return v;
}

// Appended to gc.callbacks: brackets every collection with `G` and `g`.
PyObject* native_gc_callback(PyObject*, PyObject* args) {
  PyObject* phase = nullptr;
  PyObject* info = nullptr;
  if (!PyArg_ParseTuple(args, "OO", &phase, &info)) return nullptr;
  if (rr::g_recorder == nullptr || !PyUnicode_Check(phase)) Py_RETURN_NONE;
  if (PyUnicode_CompareWithASCIIString(phase, "start") == 0) {
    rr::g_recorder->gc_started(dict_long(info, "generation"));
  } else if (PyUnicode_CompareWithASCIIString(phase, "stop") == 0) {
    rr::g_recorder->gc_finished(dict_long(info, "collected"), dict_long(info, "uncollectable"));
  }
  Py_RETURN_NONE;
}

PyObject* native_is_active(PyObject*, PyObject*) {
  return PyBool_FromLong(rr::g_recorder != nullptr && rr::g_recorder->active());
}

// From os.register_at_fork(after_in_child=...): a path continues into a new trace, None stops recording.
PyObject* native_after_fork_child(PyObject*, PyObject* arg) {
  if (rr::g_recorder == nullptr) Py_RETURN_NONE;
  if (arg == Py_None) {
    rr::g_recorder->after_fork_child(nullptr);
    Py_RETURN_NONE;
  }
  const char* path = PyUnicode_AsUTF8(arg);
  if (path == nullptr) return nullptr;
  std::string p = path;
  rr::g_recorder->after_fork_child(&p);
  Py_RETURN_NONE;
}

PyMethodDef methods[] = {
    {"start", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(native_start)),
     METH_VARARGS | METH_KEYWORDS, "Start recording into path."},
    {"stop", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(native_stop)), METH_FASTCALL,
     "stop(reason='stop', label=None, atexit_handler=None): the final checkpoint (marker label, if given), "
     "`E reason`, the trace closed; returns the writer's error message or None."},
    {"checkpoint", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(native_checkpoint)), METH_FASTCALL,
     "checkpoint(label): a checkpoint, then a marker with this label."},
    {"gc_callback", native_gc_callback, METH_VARARGS, "For gc.callbacks."},
    {"is_active", native_is_active, METH_NOARGS, "True while recording."},
    {"attach", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(native_attach)),
     METH_VARARGS | METH_KEYWORDS, "Start a recording that refscope attach controls."},
    {"attach_started", native_attach_started, METH_NOARGS, "Tell refscope attach the recording runs."},
    {"after_fork_child", native_after_fork_child, METH_O, "Continue (path) or stop (None) after fork."},
    {nullptr, nullptr, 0, nullptr},
};

// Multi-phase initialization: a single-phase module's PyModuleDef would keep a copy of its dict (m_copy) for
// the whole run, an object of the recorder's that only a C static variable holds.
PyModuleDef_Slot slots[] = {{0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_native", "refscope's CPython recorder (C++).", 0, methods,
                          slots, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__native() { return PyModuleDef_Init(&module_def); }
