// References that no structure lists: C static variables and C modules' states, read word by word, and the
// checks that make a word an object before anything follows it.
#include <algorithm>
#include <cstring>
#include <string>

#include "checkpoint_walk.h"
#include "object_referents.h"
#include "type_registry.h"

namespace refscope::recorder {

// --- C static variables -----------------------------------------------------------------------------------------
//
// C modules keep objects in static variables (3.11's built-in modules: _socket's exception types, _datetime's
// constants, the slot table's method names; an extension's PyModuleDef keeps a copy of its module's dict). No
// structure lists them, so the writable segments (.data, .bss) of the interpreter's image and of every CPython
// extension module are read word by word: a word that holds the address of a live object the trace knows is a
// reference held by that image's static data. Left out: _PyRuntime (the interpreter's and the main thread's
// state, walked field by field above) and the static objects whose references the walk already follows (static
// types, deep-frozen code and tuples).
void CheckpointWalk::scan_static_data() {
  std::vector<std::pair<uintptr_t, uintptr_t>> skip;
  uintptr_t rb = 0, re = 0;
  refscope_runtime_range(&rb, &re);
  skip.emplace_back(rb, re);
  for (PyTypeObject* t : static_types_)
    skip.emplace_back(reinterpret_cast<uintptr_t>(t), reinterpret_cast<uintptr_t>(t) + sizeof(PyTypeObject));
  for (PyObject* op : nodes_) {
    auto a = reinterpret_cast<uintptr_t>(op);
    if (!r_.statics_.contains(a) || !(PyCode_Check(op) || PyTuple_Check(op))) continue;
    Py_ssize_t items = Py_TYPE(op)->tp_itemsize != 0 ? Py_SIZE(op) : 0;
    skip.emplace_back(a, a + static_cast<uintptr_t>(Py_TYPE(op)->tp_basicsize + items * Py_TYPE(op)->tp_itemsize));
  }
  std::sort(skip.begin(), skip.end());
  const auto& images = r_.statics_.images();
  std::unordered_map<uintptr_t, int> seen_in_image;
  uint32_t last_image = UINT32_MAX;
  // The recorder's own image holds addresses of objects in its bookkeeping (type caches), never a reference.
  int own_image = r_.statics_.image_of(reinterpret_cast<uintptr_t>(&refscope_walk_begin));
  for (const StaticMemory::Segment& seg : r_.statics_.writable()) {
    if (!holds_python_objects(images[seg.image]) || static_cast<int>(seg.image) == own_image) continue;
    if (seg.image != last_image) seen_in_image.clear();
    last_image = seg.image;
    uintptr_t owner = 0;
    auto k = std::lower_bound(skip.begin(), skip.end(), std::pair<uintptr_t, uintptr_t>(seg.begin, 0));
    if (k != skip.begin() && std::prev(k)->second > seg.begin) --k;
    for (uintptr_t a = (seg.begin + 7) & ~uintptr_t{7}; a + 8 <= seg.end; a += 8) {
      while (k != skip.end() && k->second <= a) ++k;
      if (k != skip.end() && k->first <= a) {
        a = ((k->second + 7) & ~uintptr_t{7}) - 8;
        continue;
      }
      uintptr_t v = *reinterpret_cast<const uintptr_t*>(a);
      // A static object laid out here (deep-frozen code and constants, 3.12+'s static immortal objects): its
      // references are followed by the walk if it is reached, and its bytecode's inline caches hold borrowed
      // pointers, so its body is no static variable.
      if (uintptr_t end = static_object_end(a, v, seg.end)) {
        a = end - 8;
        continue;
      }
      if ((v & 15) != 0 || v < 4096 || v >= (uintptr_t{1} << 47) || r_.statics_.contains(v)) continue;
      PyObject* target = known_object(v);
      if (target == nullptr) target = probe_object(v);
      if (target == nullptr) continue;
      auto reported = module_traversed_.find((uint64_t{seg.image} << 48) ^ reinterpret_cast<uintptr_t>(target));
      if (reported != module_traversed_.end() && reported->second > 0) {
        --reported->second;
        continue;
      }
      if (borrowed_static_target(target, seen_in_image[reinterpret_cast<uintptr_t>(target)]++, images[seg.image]))
        continue;
      if (owner == 0) owner = r_.roots_.owner("static data " + images[seg.image],
                                              "C static variables of " + images[seg.image]);
      add_edge(owner, target);
    }
  }
}

// If `a` (holding `refcount`) starts an immortal object, the end of that object (8-aligned); otherwise 0.
// Static objects start with the count the runtime gives them (3.12+: exactly _Py_IMMORTAL_REFCNT; 3.11:
// 999999999, moved a little by the references taken since) and are of a static type.
uintptr_t CheckpointWalk::static_object_end(uintptr_t a, uintptr_t refcount, uintptr_t limit) {
#if PY_VERSION_HEX >= 0x030C0000
  if (refcount != static_cast<uintptr_t>(_Py_IMMORTAL_REFCNT)) return 0;
#else
  constexpr uintptr_t kDeepFrozen = 999999999;
  if (refcount + (uintptr_t{1} << 20) < kDeepFrozen || refcount > kDeepFrozen + (uintptr_t{1} << 20)) return 0;
#endif
  if (a + 16 > limit) return 0;
  uintptr_t type = *reinterpret_cast<const uintptr_t*>(a + 8);
  if (!r_.statics_.contains(type) || r_.types_.validate(type) == 0) return 0;
  // A module definition (immortal from 3.12 on) keeps a copy of its module's dict (m_copy): read it as data.
  if (type == reinterpret_cast<uintptr_t>(&PyModuleDef_Type)) return 0;
  auto* t = reinterpret_cast<PyTypeObject*>(type);
  uintptr_t size = static_cast<uintptr_t>(t->tp_basicsize);
  if (t->tp_itemsize != 0 && a + 24 <= limit) {
    Py_ssize_t items = *reinterpret_cast<const Py_ssize_t*>(a + 16);
    if (items < 0) items = -items;
    size += static_cast<uintptr_t>(items) * static_cast<uintptr_t>(t->tp_itemsize);
  }
  if (PyType_FastSubclass(t, Py_TPFLAGS_TYPE_SUBCLASS)) size = sizeof(PyTypeObject);  // a static type
  uintptr_t end = (a + size + 7) & ~uintptr_t{7};
  return end > a && end <= limit ? end : 0;
}

// Static variables that point at an object without holding a reference of their own (known from the C
// modules' sources): 3.11's _asyncio caches its running-loop holder in `cached_running_holder` (the thread
// state's dict holds it); 3.11's object.__reduce_ex__ caches object.__reduce__ in `objreduce` (object's dict
// holds it); _decimal (3.11, 3.12) points at InvalidOperation from both `signal_map` (its reference) and
// `cond_map[0]` (a copy of the pointer). `seen` counts the pointers found to each target so far.
bool CheckpointWalk::borrowed_static_target(PyObject* target, int seen, const std::string& image) {
#if PY_VERSION_HEX < 0x030D0000
  const char* name = Py_TYPE(target)->tp_name;
  if (PyType_Check(target) && seen >= 1 && image.find("_decimal") != std::string::npos &&
      std::strcmp(reinterpret_cast<PyTypeObject*>(target)->tp_name, "InvalidOperation") == 0)
    return true;
#if PY_VERSION_HEX < 0x030C0000
  if (std::strcmp(name, "_RunningLoopHolder") == 0) return true;
  // object.__reduce_ex__ keeps object.__reduce__ in a static variable (objreduce), borrowed from object's dict.
  if (Py_IS_TYPE(target, &PyMethodDescr_Type) && PyBaseObject_Type.tp_dict != nullptr &&
      PyDict_GetItemString(PyBaseObject_Type.tp_dict, "__reduce__") == target)
    return true;
#endif
  (void)name;
#else
  (void)target;
  (void)seen;
  (void)image;
#endif
  return false;
}

// CPython's own image and its extension modules; other libraries (libc, libssl) keep no Python objects.
bool CheckpointWalk::holds_python_objects(const std::string& image) {
  return image.rfind("python", 0) == 0 || image.rfind("libpython", 0) == 0 ||
         image.find(".cpython-") != std::string::npos || image.find(".abi3.") != std::string::npos;
}

// A C module's state (PyModuleDef.m_size bytes) holds objects, and its m_traverse visits only those that could
// be on a cycle: the strings (_ssl's "library" and "reason", array's "_array_reconstructor") are left out. The
// state is read word by word, as static data is; what m_traverse visited already is not counted twice.
//
// What m_traverse visits may also be a static variable of the module's image (faulthandler's files): the static
// data scan leaves out, once each, what the modules of that image reported.
void CheckpointWalk::scan_module_state(PyObject* module) {
  void* def = refscope_module_def(module);
  if (def == nullptr) return;
  std::unordered_map<uintptr_t, int> traversed;
  refscope_module_traverse(module, count_visit, &traversed);
  int image = r_.statics_.image_of(reinterpret_cast<uintptr_t>(def));
  if (image >= 0)
    for (auto [target, n] : traversed) module_traversed_[(uint64_t{static_cast<uint32_t>(image)} << 48) ^ target] += n;
  Py_ssize_t size = 0;
  void* state = refscope_module_state(module, &size);
  if (state == nullptr || size <= 0 || size > (1 << 20)) return;
  auto begin = reinterpret_cast<uintptr_t>(state);
  for (uintptr_t a = (begin + 7) & ~uintptr_t{7}; a + 8 <= begin + static_cast<uintptr_t>(size); a += 8) {
    uintptr_t v = *reinterpret_cast<const uintptr_t*>(a);
    if ((v & 15) != 0 || v < 4096 || v >= (uintptr_t{1} << 47) || r_.statics_.contains(v)) continue;
    if (auto it = traversed.find(v); it != traversed.end() && it->second > 0) {
      --it->second;
      continue;
    }
    PyObject* target = known_object(v);
    if (target == nullptr) target = probe_object(v);
    if (target != nullptr) add_edge(reinterpret_cast<uintptr_t>(module), target);
    else dead_future_iters(module, v);
  }
}

// _asyncio keeps freed future iterators on a list in its module state (fi_freelist, linked through their
// `future` field), and each still holds the reference to its type that FutureIter_dealloc did not release. 3.12's
// module traverse visits them (add_edge then counts the type); 3.13's does not, so the list is followed here.
void CheckpointWalk::dead_future_iters(PyObject* module, uintptr_t it) {
  for (int n = 0; it != 0 && n < 4096; ++n) {
    uintptr_t head[3];  // refcount, type, the next one
    if ((it & 7) != 0 || !safe_read(head, it, sizeof head) || head[0] != 0) return;
    if (r_.types_.validate(head[1]) == 0) return;
    auto* type = reinterpret_cast<PyTypeObject*>(head[1]);
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE) || std::strcmp(type->tp_name, "_asyncio.FutureIter") != 0) return;
    add_edge(reinterpret_cast<uintptr_t>(module), reinterpret_cast<PyObject*>(type));
    it = head[2];
  }
}

int CheckpointWalk::count_visit(PyObject* child, void* arg) {
  if (child != nullptr) ++(*static_cast<std::unordered_map<uintptr_t, int>*>(arg))[reinterpret_cast<uintptr_t>(child)];
  return 0;
}

// The object at `addr` if it is one the checkpoint knows to be live: reached by the walk, or in a Live block.
PyObject* CheckpointWalk::known_object(uintptr_t addr) {
  if (visited_.contains(addr)) return reinterpret_cast<PyObject*>(addr);
  for (uint32_t offset : {0u, 16u, 32u}) {
    if (addr < offset) break;
    Block* b = r_.blocks_.find(addr - offset);
    if (b != nullptr && b->state == BlockState::Live && b->object() == addr) return reinterpret_cast<PyObject*>(addr);
  }
  return nullptr;
}

// An object the trace does not know yet (made before the recording, held only by static data: 3.11's
// argument-clinic keyword tuples), checked as strictly as a block's type is at free time: it must read as a live
// object (a refcount from 1 to 2^30) whose type pointer is a validated type. Freed memory fails: the allocators
// write their own pointers over the refcount.
PyObject* CheckpointWalk::probe_object(uintptr_t addr) {
  uintptr_t head[2];
  if (!safe_read(head, addr, sizeof head)) return nullptr;
  if (head[0] == 0 || head[0] >= (uintptr_t{1} << 30)) return nullptr;
  if (r_.types_.validate(head[1]) == 0) return nullptr;
  auto* op = reinterpret_cast<PyObject*>(addr);
  // The interned-string table holds its strings without counting them (3.11 keeps it in a static variable).
  if (refscope_is_interned_table(op)) return nullptr;
  return op;
}

bool CheckpointWalk::plausible_object(PyObject* op) {
  auto addr = reinterpret_cast<uintptr_t>(op);
  if ((addr & 7) != 0) return false;
  if (visited_.contains(addr) || r_.statics_.contains(addr)) return true;
  return known_object(addr) != nullptr || probe_object(addr) != nullptr;
}

}  // namespace refscope::recorder
