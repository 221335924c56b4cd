// Named roots: the references that no object of the heap holds, found where CPython keeps them. Each root is a
// specific holder with a name (trace format 2's `N`): the interpreter's own state, each thread's state and
// running frames (their locals and value stacks, interpreter_roots.c), every static type, the handler atexit is
// running and, when a script exits through SystemExit, what Modules/main.c holds while it does. The recorder
// itself holds no reference to any object of the program, so it is no root.
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "checkpoint_walk.h"
#include "frame_reader.h"
#include "object_referents.h"
#include "python_text.h"

namespace refscope::recorder {

// --- Named roots -------------------------------------------------------------------------------------------------
void CheckpointWalk::walk_named_roots() {
  for (uintptr_t& o : interp_owners_) o = 0;
  refscope_interpreter_roots(interp_ref, this);
  ++walk_count_;
  thread_state_of_ = ~0ul;
  entry_frames_.clear();
  kwcalls_.clear();
  refscope_thread_roots(thread_ref, frame_ref, entry_ref, kwcall_ref, this);
  // The slots of threads that ended are free for the next ones (their roots let go of everything at this diff).
  for (auto it = thread_slots_.begin(); it != thread_slots_.end();) {
    if (it->second.second == walk_count_) {
      ++it;
      continue;
    }
    slot_used_[it->second.first] = false;
    it = thread_slots_.erase(it);
  }
  walk_static_types();
}

void CheckpointWalk::interp_ref(void* ctx, int root, PyObject* obj) {
  auto* self = static_cast<CheckpointWalk*>(ctx);
  uintptr_t& owner = self->interp_owners_[root];
  if (owner == 0) owner = self->r_.roots_.owner(std::string("interp ") + std::to_string(root),
                                                refscope_interp_root_names[root]);
  self->root_ref(owner, obj);
}

// The slot of a thread (0: the main thread, which is thread 0), taken when the walk first meets it.
int CheckpointWalk::thread_slot(unsigned long thread) {
  if (thread == 0) return 0;
  auto [it, inserted] = thread_slots_.try_emplace(thread, 0, walk_count_);
  it->second.second = walk_count_;
  if (inserted) {
    size_t slot = 1;
    while (slot < slot_used_.size() && slot_used_[slot]) ++slot;
    if (slot == slot_used_.size()) slot_used_.push_back(true);
    slot_used_[slot] = true;
    it->second.first = static_cast<int>(slot);
  }
  return it->second.first;
}

namespace {

std::string thread_suffix(unsigned long thread) {
  return thread == 0 ? std::string() : " (thread " + std::to_string(thread) + ")";
}

}  // namespace

void CheckpointWalk::thread_ref(void* ctx, unsigned long thread, PyObject* obj) {
  auto* self = static_cast<CheckpointWalk*>(ctx);
  if (thread != self->thread_state_of_) {
    self->thread_state_of_ = thread;
    self->thread_state_owner_ =
        self->r_.roots_.owner("thread " + std::to_string(self->thread_slot(thread)),
                              thread == 0 ? std::string("the main thread's state")
                                          : "the state of thread " + std::to_string(thread));
  }
  self->root_ref(self->thread_state_owner_, obj);
}

void CheckpointWalk::frame_ref(void* ctx, unsigned long thread, int depth, PyObject* code, int lasti, PyObject* owner,
                               PyObject* obj, int slot, int exact_only) {
  auto* self = static_cast<CheckpointWalk*>(ctx);
  // A value-stack slot whose depth the bytecode gave: checked as a probe is before it is followed, so that a
  // wrong depth can cost a missed reference but never a read of freed memory.
  if (obj != nullptr && !self->plausible_object(obj)) return;
  if (exact_only && !PyTuple_CheckExact(obj) && !PyDict_CheckExact(obj)) return;
  if (owner != nullptr) {
    // A running generator's frame: its locals and stack, held by the generator.
    self->add_node(owner);
    size_t before = self->edges_.size();
    self->add_edge(reinterpret_cast<uintptr_t>(owner), obj);
    if (slot >= reinterpret_cast<PyCodeObject*>(code)->co_nlocalsplus && self->edges_.size() > before)
      self->doubtful_.push_back(before);
    self->note_frame_label(reinterpret_cast<uintptr_t>(owner), obj, code, slot);
    return;
  }
  if (obj == nullptr) {
    auto* co = reinterpret_cast<PyCodeObject*>(code);
    std::string name = "frame ";
    append_utf8(name, co->co_qualname, 256);
    name += " at ";
    append_utf8(name, co->co_filename, 1024);
    name += ":" + std::to_string(line_of(code, lasti)) + thread_suffix(thread);
    self->thread_owner_ =
        self->r_.roots_.owner("thread " + std::to_string(self->thread_slot(thread)) + " frame " + std::to_string(depth),
                              name);
    return;
  }
  size_t before = self->edges_.size();
  self->root_ref(self->thread_owner_, obj);
  // A value-stack slot (past the local variables and cells): its depth may be an estimate.
  if (slot >= reinterpret_cast<PyCodeObject*>(code)->co_nlocalsplus && self->edges_.size() > before)
    self->doubtful_.push_back(before);
  self->note_frame_label(self->thread_owner_, obj, code, slot);
}

void CheckpointWalk::note_frame_label(uintptr_t owner, PyObject* obj, PyObject* code, int slot) {
  frame_slots_.try_emplace({owner, reinterpret_cast<uintptr_t>(obj)}, FrameSlot{code, slot});
}

// The label of a reference a frame holds, as the text of its `L`: ".f_locals['buf']" for a local variable or
// a cell (by the name the code gives its slot), "(value stack)", ".f_code", "(function)", ".f_locals" (the
// locals dict of a class body or of exec), "(frame object)". Built only for the references a checkpoint writes
// as new; 0 when the reference is no frame's.
uint32_t CheckpointWalk::walk_label(uintptr_t owner, uintptr_t object) {
  if (frame_slots_.empty()) return 0;
  auto it = frame_slots_.find({owner, object});
  if (it == frame_slots_.end()) return 0;
  int slot = it->second.slot;
  switch (slot) {
    case REFSCOPE_FRAME_CODE: return r_.labels_.fixed(".f_code");
    case REFSCOPE_FRAME_FUNCTION: return r_.labels_.fixed("(function)");
    case REFSCOPE_FRAME_LOCALS: return r_.labels_.fixed(".f_locals");
    case REFSCOPE_FRAME_OBJECT: return r_.labels_.fixed("(frame object)");
    default: break;
  }
  auto* co = reinterpret_cast<PyCodeObject*>(it->second.code);
  PyObject* names = co->co_localsplusnames;
  if (slot >= 0 && slot < co->co_nlocalsplus && names != nullptr && PyTuple_Check(names) &&
      slot < PyTuple_GET_SIZE(names))
    return r_.labels_.key(".f_locals", PyTuple_GET_ITEM(names, slot));
  return r_.labels_.fixed("(value stack)");
}

// Static types are no objects of the heap: each holds its dict, bases, MRO and subclass table as a named root.
// All of them are found from `object` down through the subclass tables.
void CheckpointWalk::walk_static_types() {
  std::vector<PyTypeObject*> types{&PyBaseObject_Type};
  AddressSet seen;
  seen.insert(reinterpret_cast<uintptr_t>(&PyBaseObject_Type));
  for (size_t i = 0; i < types.size(); ++i) {
    PyTypeObject* t = types[i];
    PyObject* subclasses = refscope_type_subclasses(t);
    if (subclasses != nullptr && PyDict_Check(subclasses)) {
      Py_ssize_t pos = 0;
      PyObject *key, *ref;
      while (PyDict_Next(subclasses, &pos, &key, &ref)) {
        PyObject* sub = refscope_weakref_target(ref);
        if (sub != nullptr && PyType_Check(sub) && seen.insert(reinterpret_cast<uintptr_t>(sub)))
          types.push_back(reinterpret_cast<PyTypeObject*>(sub));
      }
    }
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) continue;
    static_types_.push_back(t);
    static_owner_ = 0;
    static_type_ = t;
    refscope_visit_static_type(t, static_ref, this);
  }
}

int CheckpointWalk::static_ref(PyObject* obj, void* arg) {
  auto* self = static_cast<CheckpointWalk*>(arg);
  if (obj == nullptr) return 0;
  if (self->static_owner_ == 0) {
    PyTypeObject* t = self->static_type_;
    char key[48];
    std::snprintf(key, sizeof key, "static type %p", static_cast<void*>(t));
    self->static_owner_ =
        self->r_.roots_.owner(key, "static type " + self->r_.types_.info(self->r_.types_.id_of(t)).name);
  }
  self->root_ref(self->static_owner_, obj);
  return 0;
}

// --- References held by C code ----------------------------------------------------------------------------------
// C code holds references in local variables while the Python code it called runs. Those the recorder knows of
// are each found by what it is, then checked against the walk: a C holder is named only for an object whose
// refcount is exactly the references the walk found plus the ones that C code holds, so that a reference
// nobody accounts for stays unowned.
size_t CheckpointWalk::walk_c_holders(PyObject* atexit_handler, size_t done) {
  c_held_.clear();
  if (atexit_handler != nullptr) {
    // atexit_callfuncs takes a reference to the handler it calls.
    c_hold(r_.roots_.owner("atexit running", "atexit, running a handler"), atexit_handler);
    walk_main_program(refscope_exiting_inside_main_script() != 0);
  } else {
    walk_main_program(false);
  }
  // PyEval_EvalCode (exec, eval, imports, the main module) makes a function for the code it runs and holds it
  // until the code returns; the frame it runs in holds it too. Such a function is named after the code (its
  // qualified name is the code's plain name) and has no other holder. The builtins exec and eval of 3.12+ hold
  // the locals they run it with.
  uintptr_t eval_owner = 0, import_owner = 0;
  PyObject* importlib = PyDict_GetItemString(PyImport_GetModuleDict(), "_frozen_importlib");
  PyObject* importlib_dict = importlib != nullptr && PyModule_Check(importlib) ? PyModule_GetDict(importlib) : nullptr;
  for (const EntryFrame& e : entry_frames_) {
    auto* f = reinterpret_cast<PyFunctionObject*>(e.function);
    if (f->func_code == e.code && program_refcount(e.function) == 2 &&
        PyUnicode_Compare(f->func_qualname, reinterpret_cast<PyCodeObject*>(e.code)->co_name) == 0) {
      if (eval_owner == 0)
        eval_owner = r_.roots_.owner("eval code", "PyEval_EvalCode and run_mod, running code (__main__, exec, eval, imports)");
      c_hold(eval_owner, e.function);
      c_hold(eval_owner, e.exec_locals);
      // Code compiled from source (the main script, exec or eval of a str): run_mod holds it until it returns.
      c_hold(eval_owner, e.code);
      continue;
    }
    PyErr_Clear();
    // The import system's C code calls importlib._bootstrap's _find_and_load, _handle_fromlist and
    // _lock_unlock_module through PyObject_CallMethodObjArgs, which holds the function it looked up, and passes
    // a first argument it holds itself (the module's absolute name, or the module).
    if (importlib_dict == nullptr || !PyUnicode_Check(f->func_name)) continue;
    const char* name = PyUnicode_AsUTF8(f->func_name);
    if (name == nullptr) {
      PyErr_Clear();
      continue;
    }
    if (std::strcmp(name, "_find_and_load") != 0 && std::strcmp(name, "_handle_fromlist") != 0 &&
        std::strcmp(name, "_lock_unlock_module") != 0)
      continue;
    if (PyDict_GetItemString(importlib_dict, name) != e.function) continue;
    if (import_owner == 0)
      import_owner = r_.roots_.owner("import", "the import system (PyImport_ImportModuleLevelObject), importing");
    c_hold(import_owner, e.function);
    c_hold(import_owner, e.first);
  }
  // A call with ** arguments that C code passed on (_PyStack_UnpackDict, for the vectorcall protocol): a tuple of
  // the keywords, made for the call and held by it alone, and a reference to every argument, positional and
  // keyword. (When the positional arguments came as a list, the tuple made of them is not found.)
  uintptr_t kwcall_owner = 0;
  for (auto [args, kwargs] : kwcalls_) {
    PyObject* kwnames = keyword_names_tuple(kwargs);
    if (kwnames == nullptr) continue;
    if (kwcall_owner == 0)
      kwcall_owner = r_.roots_.owner("kwargs call", "C code passing keyword arguments from a dict (f(**kwargs))");
    c_hold(kwcall_owner, kwnames);
    if (args != nullptr)
      for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); ++i) c_hold(kwcall_owner, PyTuple_GET_ITEM(args, i));
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(kwargs, &pos, &key, &value)) c_hold(kwcall_owner, value);
  }
  // run_mod's arenas (code compiled from source runs while its parser's arena lives): the objects the parser
  // made are in the arena's list.
  std::vector<PyObject*> arenas;
  arena_lists_on_c_stacks(arenas);
  if (!arenas.empty()) {
    uintptr_t arena_owner = r_.roots_.owner("arena", "the parser's arenas of code compiled from source, running");
    for (PyObject* list : arenas) c_hold(arena_owner, list);
  }
  // Each candidate's references as the walk found them, counted in one pass. An object named held is walked in
  // turn (one that no collector object reached: the arguments tuple of python -m), which can add to another
  // candidate's count: so again, while that names more.
  std::unordered_map<uintptr_t, long> claimed;
  for (const auto& [owner, object] : c_held_) ++claimed[reinterpret_cast<uintptr_t>(object)];
  for (int round = 0; round < 4 && !claimed.empty(); ++round) {
    std::unordered_map<uintptr_t, long> found;
    for (const auto& [object, n] : claimed) found.emplace(object, 0);
    for (const auto& e : edges_) {
      auto it = found.find(e.second);
      if (it != found.end()) ++it->second;
    }
    std::unordered_set<uintptr_t> verified;
    for (const auto& [addr, n] : claimed)
      if (program_refcount(reinterpret_cast<PyObject*>(addr)) == found[addr] + n) verified.insert(addr);
    if (verified.empty()) break;
    for (const auto& [owner, object] : c_held_)
      if (verified.contains(reinterpret_cast<uintptr_t>(object))) root_ref(owner, object);
    for (uintptr_t addr : verified) claimed.erase(addr);
    done = walk_nodes(done);
  }
  return done;
}

void CheckpointWalk::kwcall_ref(void* ctx, unsigned long, PyObject* args, PyObject* kwargs) {
  auto* self = static_cast<CheckpointWalk*>(ctx);
  if (!self->plausible_object(kwargs) || !PyDict_CheckExact(kwargs) || PyDict_GET_SIZE(kwargs) == 0) return;
  if (args != nullptr && (!self->plausible_object(args) || !PyTuple_CheckExact(args))) args = nullptr;
  self->kwcalls_.emplace_back(args, kwargs);
}

void CheckpointWalk::entry_ref(void* ctx, unsigned long, PyObject* code, PyObject* function, PyObject* first,
                               PyObject* exec_locals) {
  if (PyFunction_Check(function) && PyCode_Check(code))
    static_cast<CheckpointWalk*>(ctx)->entry_frames_.push_back(EntryFrame{code, function, first, exec_locals});
}

// CPython's main driver (Modules/main.c, Python/pythonrun.c, 3.11 to 3.13) holds references in C variables while
// the main program runs:
//   python SCRIPT: the script's file name and the program name (pymain_run_file), the __main__ module
//     (_PyRun_SimpleFileObject);
//   python -c COMMAND: the command as bytes (pymain_run_command), and on 3.13 __main__, the file name `<string>`
//     and the command as a str (_PyRun_SimpleStringFlagsWithName);
//   python -m MODULE: runpy, runpy._run_module_as_main, the module's name and the arguments tuple
//     (pymain_run_module).
// (The code run_mod compiled, the parser's arena and the function PyEval_EvalCode made are held as for any code
// compiled from source: walk_c_holders.) They are held while the main
// thread's outermost frame is that program's; when a script or command ends by raising SystemExit, the
// interpreter exits (and the exit checkpoint runs) from inside the driver, which then still holds the file name
// and program name, or the command's bytes. Each is found by what it is (the frame's code, __main__, runpy) or,
// for the ones nothing else refers to, by its value among the objects the trace knows.
void CheckpointWalk::walk_main_program(bool exiting) {
  PyObject *code = nullptr, *function = nullptr, *globals = nullptr;
  bool running = !exiting && refscope_main_thread_outermost_frame(&code, &function, &globals) != 0;
  if (!running && !exiting) return;
  PyObject* modules = PyImport_GetModuleDict();
  PyObject* main = PyDict_GetItemString(modules, "__main__");
  bool main_frame = running && main != nullptr && PyModule_Check(main) && globals == PyModule_GetDict(main) &&
                    PyCode_Check(code);
  uintptr_t owner = 0;
  auto hold = [&](PyObject* obj) {
    if (obj == nullptr) return;
    if (owner == 0) owner = r_.roots_.owner("main program", "the interpreter's main program (Modules/main.c)");
    c_hold(owner, obj);
  };
  auto object_with_text = [&](PyTypeObject* type, const wchar_t* text) -> PyObject* {
    if (text == nullptr) return nullptr;
    PyObject* want = PyUnicode_FromWideChar(text, -1);  // made while the checkpoint runs: not recorded
    if (want == nullptr) {
      PyErr_Clear();
      return nullptr;
    }
    PyObject* found = object_held_by_c(type, [&](PyObject* op) {
      if (type == &PyUnicode_Type)
        return op != want && PyUnicode_GET_LENGTH(op) == PyUnicode_GET_LENGTH(want) && PyUnicode_Compare(op, want) == 0;
      const char* utf8 = PyUnicode_AsUTF8(want);
      return utf8 != nullptr && std::strcmp(PyBytes_AS_STRING(op), utf8) == 0;
    });
    PyErr_Clear();
    Py_DECREF(want);
    return found;
  };
  if (refscope_run_filename() != nullptr) {
    if (main_frame) {
      hold(reinterpret_cast<PyCodeObject*>(code)->co_filename);  // the file name run_mod compiled it with
      hold(main);
    } else if (exiting && main != nullptr && PyModule_Check(main)) {
      PyObject* file = PyDict_GetItemString(PyModule_GetDict(main), "__file__");
      if (file != nullptr && PyUnicode_CheckExact(file)) hold(file);
    }
    if (main_frame || exiting) hold(object_with_text(&PyUnicode_Type, refscope_program_name()));
  } else if (refscope_run_command() != nullptr) {
    if (main_frame) {
#if PY_VERSION_HEX >= 0x030D0000
      // _PyRun_SimpleStringFlagsWithName holds __main__, the file name `<string>` and the command as a str.
      hold(main);
      hold(object_with_text(&PyUnicode_Type, L"<string>"));
      hold(object_with_text(&PyUnicode_Type, refscope_run_command()));
#endif
    }
    if (main_frame || exiting) hold(object_with_text(&PyBytes_Type, refscope_run_command()));
  } else if (refscope_run_module() != nullptr && running) {
    PyObject* runpy = PyDict_GetItemString(modules, "runpy");
    PyObject* run_module_as_main =
        runpy != nullptr && PyModule_Check(runpy) ? PyDict_GetItemString(PyModule_GetDict(runpy), "_run_module_as_main")
                                                  : nullptr;
    if (run_module_as_main == nullptr || function != run_module_as_main) return;
    hold(runpy);
    hold(run_module_as_main);
    PyObject* name = PyUnicode_FromWideChar(refscope_run_module(), -1);
    if (name == nullptr) {
      PyErr_Clear();
      return;
    }
    PyObject* args = object_held_by_c(&PyTuple_Type, [&](PyObject* op) {
      return PyTuple_GET_SIZE(op) == 2 && PyUnicode_Check(PyTuple_GET_ITEM(op, 0)) &&
             PyBool_Check(PyTuple_GET_ITEM(op, 1)) && PyUnicode_Compare(PyTuple_GET_ITEM(op, 0), name) == 0;
    });
    PyErr_Clear();
    Py_DECREF(name);
    if (args != nullptr) {
      hold(args);
      hold(PyTuple_GET_ITEM(args, 0));  // pymain_run_module's own reference to the name, besides the tuple's
    }
  }
}

// An object of exactly `type` that the trace knows, with one reference more than the walk found: held by C code
// once more (for most, their only reference). The first one `matches` accepts.
PyObject* CheckpointWalk::object_held_by_c(PyTypeObject* type, const std::function<bool(PyObject*)>& matches) {
  for (size_t i = 0; i < r_.blocks_.capacity(); ++i) {
    Block* b = r_.blocks_.slot(i);
    if (b->addr == 0 || b->state != BlockState::Live || !readable(*b)) continue;
    auto* op = reinterpret_cast<PyObject*>(b->object());
    if (Py_TYPE(op) != type || !matches(op)) continue;
    long found = visited_.contains(b->object()) ? references_found(op) : 0;
    if (program_refcount(op) == found + 1) return op;
  }
  return nullptr;
}

// An object's refcount less the reference the checkpoint's own list of the collector's objects holds.
long CheckpointWalk::program_refcount(PyObject* op) {
  return static_cast<long>(Py_REFCNT(op)) - (PyObject_IS_GC(op) && PyObject_GC_IsTracked(op) ? 1 : 0);
}

// The tuple of a dict's keys, in its order, that a call made for them: a tuple the trace knows that nothing the
// walk found holds.
PyObject* CheckpointWalk::keyword_names_tuple(PyObject* kwargs) {
  Py_ssize_t n = PyDict_GET_SIZE(kwargs);
  Py_ssize_t pos = 0;
  PyObject *first, *value;
  if (!PyDict_Next(kwargs, &pos, &first, &value)) return nullptr;
  return object_held_by_c(&PyTuple_Type, [&](PyObject* op) {
    if (PyTuple_GET_SIZE(op) != n || PyTuple_GET_ITEM(op, 0) != first) return false;
    Py_ssize_t p = 0, i = 0;
    PyObject *key, *v;
    while (PyDict_Next(kwargs, &p, &key, &v))
      if (PyTuple_GET_ITEM(op, i++) != key) return false;
    return true;
  });
}

long CheckpointWalk::references_found(PyObject* op) {
  long n = 0;
  for (const auto& e : edges_) n += e.second == reinterpret_cast<uintptr_t>(op);
  return n;
}

// The lists of the parser's arenas (Python/pyarena.c: a_head, a_cur, then the list a_objects) that local
// variables on the C stacks of this thread and of the main thread point at: lists the trace knows with no other
// holder. An arena is memory the allocator got (PyMem_Malloc): its words are read only where /proc/self/maps says
// there is readable anonymous memory, the heap or a stack. (Other readable mappings can fault: the kernel's
// [vvar] pages, a file cut short under its mapping.)
void CheckpointWalk::arena_lists_on_c_stacks(std::vector<PyObject*>& out) {
  std::vector<std::pair<uintptr_t, uintptr_t>> readable;
  uintptr_t main_stack_begin = 0, main_stack_end = 0;
  if (FILE* maps = std::fopen("/proc/self/maps", "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, maps) != nullptr) {
      unsigned long begin = 0, end = 0, inode = 0;
      char perms[8] = {};
      int name_at = 0;
      if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu %n", &begin, &end, perms, &inode, &name_at) != 4 ||
          perms[0] != 'r')
        continue;
      const char* name = line + name_at;
      bool anonymous = inode == 0 && (*name == '\n' || *name == '\0');
      bool stack = std::strncmp(name, "[stack]", 7) == 0;
      if (!anonymous && !stack && std::strncmp(name, "[heap]", 6) != 0) continue;
      readable.emplace_back(begin, end);
      if (stack) {
        main_stack_begin = begin;
        main_stack_end = end;
      }
    }
    std::fclose(maps);
  }
  auto is_readable = [&](uintptr_t p, size_t n) {
    auto it = std::upper_bound(readable.begin(), readable.end(), std::make_pair(p, ~uintptr_t{0}));
    return it != readable.begin() && std::prev(it)->second >= n && p <= std::prev(it)->second - n;
  };
  // An arena's blocks (pyarena.c, 3.11 to 3.13: ab_size, ab_offset, ab_next, ab_mem, then the memory): the
  // first is DEFAULT_BLOCK_SIZE (8192) bytes, each one's ab_mem points right past its header, its offset is
  // within its size, and following ab_next from the first reaches the current one. Any word on a stack can
  // point at three words whose third is a list (a call's argument vector): only a real arena passes this.
  auto arena_blocks = [&](uintptr_t head, uintptr_t cur) {
    constexpr uintptr_t kHeader = 4 * sizeof(uintptr_t);
    uintptr_t b = head;
    for (int n = 0; n < 100000; ++n) {
      if ((b & 7) != 0 || b < 4096 || b >= (uintptr_t{1} << 47) || !is_readable(b, kHeader)) return false;
      const auto* block = reinterpret_cast<const uintptr_t*>(b);
      if (block[3] != b + kHeader || block[1] > block[0] || (n == 0 && block[0] != 8192) || block[0] < 8192 ||
          block[0] > (uintptr_t{1} << 40))
        return false;
      if (b == cur) return true;
      b = block[2];
    }
    return false;
  };
  auto scan = [&](uintptr_t from, uintptr_t to) {
    for (uintptr_t a = from & ~uintptr_t{7}; a + 8 <= to; a += 8) {
      uintptr_t w = *reinterpret_cast<const uintptr_t*>(a);
      if ((w & 15) != 0 || w < 4096 || w >= (uintptr_t{1} << 47) || !is_readable(w, 24)) continue;
      const auto* arena = reinterpret_cast<const uintptr_t*>(w);
      if (!visited_.contains(arena[2]) || !arena_blocks(arena[0], arena[1])) continue;
      auto* list = reinterpret_cast<PyObject*>(arena[2]);
      if (!PyList_CheckExact(list) || program_refcount(list) != 1 || known_object(arena[2]) == nullptr) continue;
      if (std::find(out.begin(), out.end(), list) == out.end() && references_found(list) == 0) out.push_back(list);
    }
  };
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
      uintptr_t here = reinterpret_cast<uintptr_t>(&attr);
      uintptr_t end = reinterpret_cast<uintptr_t>(base) + size;
      if (here >= reinterpret_cast<uintptr_t>(base) && here < end) scan(here, end);
    }
    pthread_attr_destroy(&attr);
  }
  // Another thread runs the checkpoint (the recorder's own): the main thread's stack, all that is mapped of it.
  if (!refscope_on_main_thread() && main_stack_end > main_stack_begin) scan(main_stack_begin, main_stack_end);
}

}  // namespace refscope::recorder
