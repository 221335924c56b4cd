// A checkpoint: the heap as it is now, written as the differences from the last one (a `@ refs sampled` trace).
//
//   1. Every block the table knows: a Pending block that holds an object gets its `A`; a Live object whose
//      refcount is 0 died unreported and gets its `F`; a Dead block kept by a freelist that holds a live object
//      again gets an `A` for that new object (site unknown).
//   2. The reference graph: gc.get_objects() gives every object the collector tracks; each one's tp_traverse
//      gives its referents, and untracked tuples and dicts reached that way are traversed too.
//   3. Objects of the graph the trace does not know yet get their `A` (objects older than the recording,
//      objects reused from a freelist on 3.11).
//   4. Both graphs as sorted (owner, referent) lists, merged: `D` for each reference gone, `I` for each new one.
//      An owner that was not traversed this time (it became untracked and unreachable) keeps its references.
//   5. `R` for each object whose refcount changed, that is new, or whose references changed; `immortal` for
//      immortal objects (3.12+) and for the static and deep-frozen objects of 3.11 (refcount near 10^9).
//      `Z` for each object whose size, with the memory it owns, is not what the trace last said (owned_size.h).
//   6. `M label`.
// The collector is disabled meanwhile so that nothing is freed behind the walk's back, and the checkpoint's own
// allocations (the list from gc.get_objects) are not recorded.
#include <algorithm>

#include "container_freelists.h"
#include "dealloc_hooks.h"
#include "float_freelist.h"
#include "record_format.h"
#include "ref_tracer.h"
#include "recorder.h"

namespace refscope::recorder {

namespace {

// 3.11 has no immortal objects, but its static objects (small ints, identifiers, deep-frozen code) start at
// 999999999 and never come near 0.
constexpr Py_ssize_t kStaticRefcount311 = 500000000;

int64_t observed_refcount(PyObject* op) {
#if PY_VERSION_HEX >= 0x030C0000
  if (_Py_IsImmortal(op)) return kImmortal;
  return static_cast<int64_t>(Py_REFCNT(op));
#else
  Py_ssize_t rc = Py_REFCNT(op);
  return rc >= kStaticRefcount311 ? kImmortal : static_cast<int64_t>(rc);
#endif
}

// gc.get_objects(), looked up each time in sys.modules (a reference kept to it would show in its refcount) and
// without the import machinery, which could run Python code and so let another thread run in mid-checkpoint.
PyObject* all_tracked_objects() {
  PyObject* modules = PyImport_GetModuleDict();
  PyObject* gc = modules != nullptr && PyDict_Check(modules) ? PyDict_GetItemString(modules, "gc") : nullptr;
  if (gc == nullptr || !PyModule_Check(gc)) return nullptr;
  PyObject* get_objects = PyObject_GetAttrString(gc, "get_objects");
  if (get_objects == nullptr) return nullptr;
  PyObject* roots = PyCFunction_Check(get_objects) ? PyObject_CallNoArgs(get_objects) : nullptr;
  Py_DECREF(get_objects);
  return roots;
}

}  // namespace

class CheckpointWalk {
 public:
  explicit CheckpointWalk(Recorder& r) : r_(r) {}

  void introduce_table_blocks() {
    for (size_t i = 0; i < r_.blocks_.capacity(); ++i) {
      Block* b = r_.blocks_.slot(i);
      if (b->addr == 0) continue;
      if (b->state == BlockState::Pending) {
        if (r_.identify(*b, false)) {
          b->flags |= kNew;
          r_.write_alloc(*b);
        }
      } else if (b->state == BlockState::Live && readable(*b)) {
        if (Py_REFCNT(reinterpret_cast<PyObject*>(b->object())) == 0) r_.kill(*b);
      } else if (b->state == BlockState::Dead && !(b->flags & kGuessed)) {
        // Its object died and went to a freelist (dealloc_hooks.cpp): one alive there now is a new object,
        // handed out at some unknown point since.
        if (r_.identify(*b, false)) {
          b->site = 0;
          b->flags |= kNew;
          r_.write_alloc(*b);
        }
      }
    }
  }

  void walk(PyObject* roots) {
    visited_.clear();
    nodes_.clear();
    edges_.clear();
    owners_.clear();
    Py_ssize_t n = PyList_GET_SIZE(roots);
    visited_.insert(reinterpret_cast<uintptr_t>(roots));
    for (Py_ssize_t i = 0; i < n; ++i) add_node(PyList_GET_ITEM(roots, i));
    for (size_t i = 0; i < nodes_.size(); ++i) {
      PyObject* op = nodes_[i];
      PyTypeObject* type = Py_TYPE(op);
      if (type->tp_traverse == nullptr || !PyType_IS_GC(type)) continue;
      bool tracked = PyObject_GC_IsTracked(op);
      if (!tracked && !PyTuple_CheckExact(op) && !PyDict_CheckExact(op)) continue;
      owner_ = reinterpret_cast<uintptr_t>(op);
      owner_is_deep_frozen_ = is_deep_frozen(op);
      owners_.push_back(owner_);
      type->tp_traverse(op, visit, this);
    }
  }

  void introduce_graph_objects() {
    for (PyObject* op : nodes_) {
      uint32_t id = r_.types_.id_of(Py_TYPE(op));
      const TypeInfo& info = r_.types_.info(id);
      auto object = reinterpret_cast<uintptr_t>(op);
      uint32_t preheader = TypeRegistry::preheader_of(op, info);
      Block* b = r_.blocks_.find(object - preheader);
      if (b != nullptr && b->state == BlockState::Live && b->object() != object) {
        r_.kill(*b);
      }
      if (b == nullptr) {
        bool created = false;
        b = r_.blocks_.insert(object - preheader, created);
        b->size = TypeRegistry::block_size_of(op, info);
        b->flags = kGuessed;
        b->site = 0;
      } else if (b->state == BlockState::Dead) {
        b->site = 0;  // reused from a freelist at some unknown point since the last checkpoint
      }
      if (b->state != BlockState::Live) {
        b->offset = preheader;
        b->type = id;
        b->flags |= kNew;
        r_.write_alloc(*b);
      }
      b->flags |= kSeen;
    }
  }

  void write_reference_changes() {
    std::sort(edges_.begin(), edges_.end());
    std::sort(owners_.begin(), owners_.end());
    auto& old = r_.edges_;
    std::vector<std::pair<uintptr_t, uintptr_t>> next;
    next.reserve(edges_.size() + old.size() / 8);
    size_t i = 0, j = 0;
    touched_.clear();
    while (i < old.size() || j < edges_.size()) {
      // The smaller owner of the two heads; both lists are sorted by owner then referent.
      uintptr_t owner;
      if (j >= edges_.size() || (i < old.size() && old[i].first < edges_[j].first)) owner = old[i].first;
      else owner = edges_[j].first;
      size_t i_end = i, j_end = j;
      while (i_end < old.size() && old[i_end].first == owner) ++i_end;
      while (j_end < edges_.size() && edges_[j_end].first == owner) ++j_end;
      // An owner freed since lost its references with its `F`; a new object at its address starts from none.
      bool died = r_.dead_.contains(owner);
      if (std::binary_search(owners_.begin(), owners_.end(), owner)) {
        diff_owner(owner, died ? i_end : i, i_end, j, j_end, next);
      } else if (!died) {
        for (size_t k = i; k < i_end; ++k) {
          if (!r_.dead_.contains(old[k].second)) next.push_back(old[k]);
        }
      }
      i = i_end;
      j = j_end;
    }
    old.swap(next);
  }

  void write_refcounts() {
    for (uintptr_t object : touched_) {
      Block* b = find_live(object);
      if (b != nullptr) b->flags |= kTouched;
    }
    for (size_t i = 0; i < r_.blocks_.capacity(); ++i) {
      Block* b = r_.blocks_.slot(i);
      if (b->addr == 0 || b->state != BlockState::Live) continue;
      uint64_t flags = b->flags;
      b->flags = flags & (kGuessed | kNamed | kSized);
      if (!(flags & kSeen) && !readable(*b)) continue;
      int64_t rc = observed_refcount(reinterpret_cast<PyObject*>(b->object()));
      if (rc == 0) continue;  // freed while the checkpoint ran: cannot happen with the collector off
      r_.note_object(*b, flags & kNew);
      if (rc != b->last_refcount || (flags & (kNew | kTouched))) {
        if (rc == kImmortal && b->last_refcount == kImmortal && !(flags & kNew)) continue;
        r_.write_refcount(b->object(), rc);
        b->last_refcount = rc;
      }
    }
  }

 private:
  // Memory we may read: blocks whose allocation we saw (we would have seen their free), and blocks of the core
  // types with freelists, which always come from the object allocator.
  bool readable(const Block& b) const {
    return !(b.flags & kGuessed) || r_.types_.info(b.type).has_freelist;
  }

  Block* find_live(uintptr_t object) {
    auto* op = reinterpret_cast<PyObject*>(object);
    uint32_t id = r_.types_.id_of(Py_TYPE(op));
    Block* b = r_.blocks_.find(object - TypeRegistry::preheader_of(op, r_.types_.info(id)));
    return b != nullptr && b->state == BlockState::Live && b->object() == object ? b : nullptr;
  }

  void add_node(PyObject* op) {
    if (op != nullptr && visited_.insert(reinterpret_cast<uintptr_t>(op))) nodes_.push_back(op);
  }

  static int visit(PyObject* child, void* arg) {
    auto* self = static_cast<CheckpointWalk*>(arg);
    if (child == nullptr) return 0;
    if (!(self->owner_is_deep_frozen_ && is_uncounted_singleton(child))) {
      self->edges_.emplace_back(self->owner_, reinterpret_cast<uintptr_t>(child));
    }
    self->add_node(child);
    return 0;
  }

  // 3.11's deep-frozen objects (the code of the frozen modules: importlib, os, site, ..., with their constant
  // tuples) are static, at a refcount near 10^9, and point to None, True, False and Ellipsis without counting a
  // reference to them (Tools/scripts/deepfreeze.py writes Py_None as a plain pointer). Those pointers are not
  // references in refcount terms: recorded as references, they would exceed the singleton's refcount (an
  // `external-negative` anomaly on False in a program that imports little). 3.12+ makes both sides immortal.
  static bool is_deep_frozen(PyObject* op) {
#if PY_VERSION_HEX < 0x030C0000
    return Py_REFCNT(op) >= kStaticRefcount311;
#else
    (void)op;
    return false;
#endif
  }

  static bool is_uncounted_singleton(PyObject* op) {
    return op == Py_None || op == Py_True || op == Py_False || op == Py_Ellipsis;
  }

  void diff_owner(uintptr_t owner, size_t i, size_t i_end, size_t j, size_t j_end,
                  std::vector<std::pair<uintptr_t, uintptr_t>>& next) {
    auto& old = r_.edges_;
    // Old references to objects freed since are gone already (dropped with the `F`).
    while (i < i_end || j < j_end) {
      while (i < i_end && r_.dead_.contains(old[i].second)) ++i;
      if (i >= i_end && j >= j_end) break;
      if (j >= j_end || (i < i_end && old[i].second < edges_[j].second)) {
        write_ref('D', old[i].second, owner);
        ++i;
      } else if (i >= i_end || edges_[j].second < old[i].second) {
        write_ref('I', edges_[j].second, owner);
        next.push_back(edges_[j]);
        ++j;
      } else {
        next.push_back(edges_[j]);
        ++i;
        ++j;
      }
    }
  }

  void write_ref(char kind, uintptr_t object, uintptr_t owner) {
    // What the new reference is (its `L` goes out first when its text is new).
    uint32_t label = kind == 'I' ? r_.labels_.of(reinterpret_cast<PyObject*>(owner), reinterpret_cast<PyObject*>(object)) : 0;
    char* p = r_.writer_.reserve(kMaxFixedRecord);
    p = put_char(p, kind);
    p = put_char(p, ' ');
    p = put_hex(p, object);
    p = put_char(p, ' ');
    p = put_hex(p, owner);
    if (label != 0) {
      p = put_char(p, ' ');
      p = put_dec(p, label);
    }
    p = put_char(p, '\n');
    r_.writer_.commit(p);
    touched_.push_back(object);
  }

  Recorder& r_;
  AddressSet visited_;
  std::vector<PyObject*> nodes_;
  std::vector<std::pair<uintptr_t, uintptr_t>> edges_;
  std::vector<uintptr_t> owners_;
  std::vector<uintptr_t> touched_;
  uintptr_t owner_ = 0;
  bool owner_is_deep_frozen_ = false;
};

void Recorder::checkpoint(const std::string& label) {
  if (!active_) return;
  if (tracer_installed_ && !tracer_lost_reported_ && !ref_tracer_installed()) {
    tracer_lost_reported_ = true;
    warn("another tool took the reference tracer (tracemalloc?); freelist reuse is seen at checkpoints only");
    // Deaths on the freelists are then seen as on 3.12, by the deallocators.
    if (!dealloc_hooks_installed_) {
      refscope_container_freelists_drain();
      install_dealloc_hooks();
      dealloc_hooks_installed_ = true;
    }
  }
  suspended_ = true;
  int gc_was_enabled = PyGC_Disable();
  refscope_float_freelist_close();  // in case a collection reopened it behind the callback's back
  nursery_flush();  // the walk looks at every Pending block in the table
  CheckpointWalk walk(*this);
  labels_.begin_checkpoint();
  walk.introduce_table_blocks();
  PyObject* roots = all_tracked_objects();
  if (roots == nullptr || !PyList_Check(roots)) {
    PyErr_Clear();
    Py_XDECREF(roots);
    roots = PyList_New(0);
  }
  walk.walk(roots);
  walk.introduce_graph_objects();
  walk.write_reference_changes();
  // The list held a reference to every tracked object: let go before reading refcounts.
  Py_DECREF(roots);
  owned_.begin_checkpoint();
  walk.write_refcounts();
  dead_.clear();
  write_marker(label);
  writer_.flush(true);
  if (gc_was_enabled) PyGC_Enable();
  suspended_ = false;
}

void Recorder::note_object(Block& b, bool is_new) {
  auto* op = reinterpret_cast<PyObject*>(b.object());
  // `__sizeof__` is called through the object's type: only for an object still of the type its `A` gave.
  if (reinterpret_cast<uintptr_t>(Py_TYPE(op)) != types_.info(b.type).ptr) return;
  if (!(b.flags & kNamed) && owned_.has_name(op, b.type)) {
    b.flags |= kNamed;
    if (uint32_t name = labels_.name_of(op)) write_name(b.object(), name);
  }
  bool measured = true;
  uint64_t size = owned_.size_of(op, b.type, b.offset, b.size, measured);
  uint64_t now = size | (measured ? 0 : kUnmeasured);
  // What the trace says now: the `A`'s SIZE, unless a `Z` for this object said otherwise since (kSized).
  uint64_t said = b.size;
  if (is_new) b.flags &= static_cast<uint8_t>(~kSized);
  if (b.flags & kSized) {
    auto it = sizes_.find(b.object());
    if (it != sizes_.end()) said = it->second;
  }
  if (now != said) write_size(b.object(), size, measured);
  if (now != b.size) {
    sizes_[b.object()] = now;
    b.flags |= kSized;
  } else if (b.flags & kSized) {
    sizes_.erase(b.object());
    b.flags &= static_cast<uint8_t>(~kSized);
  }
}

void Recorder::write_name(uintptr_t object, uint32_t label) {
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "K ");
  p = put_hex(p, object);
  p = put_char(p, ' ');
  p = put_dec(p, label);
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::write_size(uintptr_t object, uint64_t size, bool measured) {
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "Z ");
  p = put_hex(p, object);
  p = put_char(p, ' ');
  p = put_dec(p, size);
  if (!measured) p = put_text(p, " ?");
  p = put_char(p, '\n');
  writer_.commit(p);
}

}  // namespace refscope::recorder
