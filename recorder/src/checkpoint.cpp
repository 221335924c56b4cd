// A checkpoint: the heap as it is now, written as the differences from the last one (a `@ refs sampled` trace).
//
//   1. Every block the table knows: a Pending block that holds an object gets its `A`; a Live object whose
//      refcount is 0 died unreported and gets its `F`; a Dead block kept by a freelist that holds a live object
//      again gets an `A` for that new object (site unknown).
//   2. The reference graph (checkpoint_walk.h): the objects the collector tracks (gc.get_objects()), everything
//      their tp_traverse and the per-type knowledge of object_referents.c reach, the named roots that hold what
//      no object does (the interpreter, threads and their running frames, static types, C static variables).
//   3. Objects of the graph the trace does not know yet get their `A` (objects older than the recording,
//      objects reused from a freelist on 3.11).
//   4. Both graphs as sorted (owner, referent) lists, merged: `D`/`U` for each reference gone, `I`/`P` for each
//      new one (`P`/`U` when the owner is a named root, defined by `N`). An owner that was not traversed this time
//      (it became untracked and unreachable) keeps its references.
//   5. `R` for each object whose refcount changed, that is new, or whose references changed; `immortal` for
//      immortal objects (3.12+), for the static and deep-frozen objects of 3.11 (refcount near 10^9), and for
//      every object laid out in static data. `Z` for each object whose size, with the memory it owns, is not
//      what the trace last said (owned_size.h); `K` for an object with a name the trace has not been told.
//   6. `M label`.
// The collector is disabled meanwhile so that nothing is freed behind the walk's back, and the checkpoint's own
// allocations (the list from gc.get_objects) are not recorded.
#include <algorithm>
#include <cstring>

#include "checkpoint_walk.h"
#include "container_freelists.h"
#include "dealloc_hooks.h"
#include "float_freelist.h"
#include "object_referents.h"
#include "record_format.h"
#include "ref_tracer.h"
#include "static_memory.h"

namespace refscope::recorder {

namespace {

// 3.11 has no immortal objects, but its static objects (small ints, identifiers, deep-frozen code) start at
// 999999999 and never come near 0.
constexpr Py_ssize_t kStaticRefcount311 = 500000000;

int64_t observed_refcount(PyObject* op, const StaticMemory& statics) {
  return is_immortal(op, statics) ? kImmortal : static_cast<int64_t>(Py_REFCNT(op));
}

// gc.get_objects(), looked up each time in sys.modules (a reference kept to it would show in its refcount) and
// without the import machinery, which could run Python code and so let another thread run in mid-checkpoint.
// Read from the module's dict, not as an attribute: an attribute lookup would leave the name it made in CPython's
// type method cache, a str that the recorder made, unseen, and that the next checkpoint finds held there.
PyObject* all_tracked_objects() {
  PyObject* modules = PyImport_GetModuleDict();
  PyObject* gc = modules != nullptr && PyDict_Check(modules) ? PyDict_GetItemString(modules, "gc") : nullptr;
  if (gc == nullptr || !PyModule_Check(gc)) return nullptr;
  PyObject* dict = PyModule_GetDict(gc);
  PyObject* get_objects = dict != nullptr ? PyDict_GetItemString(dict, "get_objects") : nullptr;  // borrowed
  if (get_objects == nullptr || !PyCFunction_Check(get_objects)) return nullptr;
  Py_INCREF(get_objects);
  PyObject* roots = PyObject_CallNoArgs(get_objects);
  Py_DECREF(get_objects);
  return roots;
}

}  // namespace

bool is_immortal(PyObject* op, const StaticMemory& statics) {
  // A static object is never freed, whatever its count says (3.11's None, static types, a module's PyModuleDef).
  if (statics.contains(reinterpret_cast<uintptr_t>(op))) return true;
#if PY_VERSION_HEX >= 0x030C0000
  return _Py_IsImmortal(op);
#else
  return Py_REFCNT(op) >= kStaticRefcount311;
#endif
}

void CheckpointWalk::introduce_table_blocks() {
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

// The reference graph as it is now: the objects the collector tracks, everything they reach, and the named
// roots that hold what no object does.
void CheckpointWalk::walk(PyObject* roots, PyObject* atexit_handler) {
  visited_.clear();
  nodes_.clear();
  edges_.clear();
  owners_.clear();
  claimed_keys_.clear();
  frame_slots_.clear();
  doubtful_.clear();
  static_types_.clear();
  module_traversed_.clear();
  Py_ssize_t n = PyList_GET_SIZE(roots);
  visited_.insert(reinterpret_cast<uintptr_t>(roots));
  for (Py_ssize_t i = 0; i < n; ++i) add_node(PyList_GET_ITEM(roots, i));
  // The keys a heap type's instances share belong to the type, whatever dict the walk meets first.
  for (PyObject* op : nodes_) {
    if (!PyType_Check(op)) continue;
    if (void* keys = refscope_type_cached_keys(reinterpret_cast<PyTypeObject*>(op)))
      claimed_keys_.emplace(reinterpret_cast<uintptr_t>(keys), reinterpret_cast<uintptr_t>(op));
  }
  walk_named_roots();
  size_t done = walk_nodes(0);
  // C static variables point at objects too: what they reach is walked in turn.
  size_t static_begin = edges_.size();
  scan_static_data();
  size_t static_end = edges_.size();
  done = walk_nodes(done);
  // Then C code's local variables, checked against all the references found so far.
  walk_c_holders(atexit_handler, done);
  for (size_t k = static_begin; k < static_end; ++k) doubtful_.push_back(k);
  drop_uncounted_edges();
  // Every root ever defined is diffed, so that one that holds nothing now (a frame that returned) lets go.
  r_.roots_.all_owners(owners_);
}

// Two kinds of reference the walk takes on the evidence of a pointer alone: a C static variable that points at an
// object (unless a known borrowed pointer, borrowed_static_target), and a frame's value-stack slot, whose depth
// the bytecode gives only as an estimate where the thread was stopped between instructions (a periodic
// checkpoint). One that holds no reference (a cache of a borrowed pointer set for a while; a stale slot just above
// the stack's top) would give the object more references than its count: an `external-negative` anomaly. So
// the references found for each object such an edge (doubtful_, indexes into edges_) points at are checked
// against its count, and the doubtful edges it cannot have go.
void CheckpointWalk::drop_uncounted_edges() {
  if (doubtful_.empty()) return;
  std::unordered_map<uintptr_t, long> excess;  // target -> references found, then found less its count
  for (size_t k : doubtful_) excess.emplace(edges_[k].second, 0);
  for (const auto& e : edges_) {
    auto it = excess.find(e.second);
    if (it != excess.end()) ++it->second;
  }
  bool any = false;
  for (auto& [addr, n] : excess) {
    n -= program_refcount(reinterpret_cast<PyObject*>(addr));
    any |= n > 0;
  }
  if (!any) return;
  constexpr uintptr_t kDropped = 0;
  for (size_t k : doubtful_) {
    auto it = excess.find(edges_[k].second);
    if (it->second <= 0) continue;
    --it->second;
    edges_[k].first = kDropped;
  }
  edges_.erase(std::remove_if(edges_.begin(), edges_.end(), [](const auto& e) { return e.first == kDropped; }),
               edges_.end());
}

// Walks nodes_ from `from` on (the list grows as the walk finds objects); returns where it ended.
size_t CheckpointWalk::walk_nodes(size_t from) {
  size_t i = from;
  for (; i < nodes_.size(); ++i) {
    PyObject* op = nodes_[i];
    PyTypeObject* type = Py_TYPE(op);
    bool gc = PyType_IS_GC(type);
    if (gc && !PyObject_GC_IsTracked(op) && !complete_when_untracked(op)) continue;
    owner_ = reinterpret_cast<uintptr_t>(op);
    owners_.push_back(owner_);
    if (gc && type->tp_traverse != nullptr) type->tp_traverse(op, visit, this);
    refscope_visit_silent(op, visit, this, claim_keys, known_object_at);
    if (PyModule_Check(op)) scan_module_state(op);
  }
  return i;
}

// A collector type's object that is not tracked is on its way out or not set up yet, and its references may not
// be readable: it keeps those of the last checkpoint. Except for the containers CPython leaves untracked on
// purpose: tuples and dicts that hold nothing trackable, structseqs (PyStructSequence_New makes them so:
// sys.hash_info, os.stat_result), lists and sets kept out of the collector's sight (3.11's audit hooks), and
// context variables whose name and default cannot form cycles (contextvar_new leaves those untracked: _decimal's
// "decimal_context").
bool CheckpointWalk::complete_when_untracked(PyObject* op) {
  return PyTuple_Check(op) || PyDict_CheckExact(op) || PyList_CheckExact(op) || PyAnySet_CheckExact(op) ||
         PyContextVar_CheckExact(op);
}

void CheckpointWalk::add_node(PyObject* op) {
  if (op != nullptr && visited_.insert(reinterpret_cast<uintptr_t>(op))) nodes_.push_back(op);
}

// One reference from `owner` (an object, or a named root) to `target`. A reference to an immortal object
// changes no count the trace could show, so only the object itself is visited: what it holds may be mortal
// (a deep-frozen code object's cached co_code).
void CheckpointWalk::add_edge(uintptr_t owner, PyObject* target) {
  if (!is_immortal(target, r_.statics_)) {
    // An object with refcount 0 waits on a freelist, dead: some tp_traverse visit their freelists (3.12's
    // _asyncio), but nothing holds a counted reference to it. _asyncio's freed future iterators keep the one
    // they hold to their type (future_iter_dealloc puts them on the module's freelist without releasing it).
    if (Py_REFCNT(target) == 0) {
      if (std::strcmp(Py_TYPE(target)->tp_name, "_asyncio.FutureIter") == 0 &&
          (Py_TYPE(target)->tp_flags & Py_TPFLAGS_HEAPTYPE))
        add_edge(owner, reinterpret_cast<PyObject*>(Py_TYPE(target)));
      return;
    }
    if (!uncounted_singleton(owner, target)) edges_.emplace_back(owner, reinterpret_cast<uintptr_t>(target));
  }
  add_node(target);
}

// 3.11's deep-frozen objects (the code of the frozen modules: importlib, os, site, ..., with their constant
// tuples) are static, at a refcount near 10^9, and point to None, True, False and Ellipsis without counting a
// reference to them (Tools/scripts/deepfreeze.py writes Py_None as a plain pointer): not references in refcount
// terms. Those singletons lie in the interpreter's static data and so are immortal to the walk already (no edge
// to them is recorded); this holds the rule should one of them ever be taken for a heap object. 3.12+ makes both
// sides immortal.
bool CheckpointWalk::uncounted_singleton(uintptr_t owner, PyObject* target) {
#if PY_VERSION_HEX < 0x030C0000
  if (target != Py_None && target != Py_True && target != Py_False && target != Py_Ellipsis) return false;
  return !RootTable::is_root(owner) && Py_REFCNT(reinterpret_cast<PyObject*>(owner)) >= kStaticRefcount311;
#else
  (void)owner;
  (void)target;
  return false;
#endif
}

int CheckpointWalk::visit(PyObject* child, void* arg) {
  auto* self = static_cast<CheckpointWalk*>(arg);
  if (child == nullptr) return 0;
  self->add_edge(self->owner_, child);
  return 0;
}

PyObject* CheckpointWalk::known_object_at(uintptr_t addr, void* arg) {
  auto* self = static_cast<CheckpointWalk*>(arg);
  if ((addr & 7) != 0 || addr < 4096 || addr >= (uintptr_t{1} << 47) || self->r_.statics_.contains(addr)) return nullptr;
  PyObject* op = self->known_object(addr);
  return op != nullptr ? op : self->probe_object(addr);
}

int CheckpointWalk::claim_keys(void* keys, PyObject* owner, void* arg) {
  auto* self = static_cast<CheckpointWalk*>(arg);
  auto [it, inserted] =
      self->claimed_keys_.emplace(reinterpret_cast<uintptr_t>(keys), reinterpret_cast<uintptr_t>(owner));
  return inserted || it->second == reinterpret_cast<uintptr_t>(owner);
}

void CheckpointWalk::introduce_graph_objects() {
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

void CheckpointWalk::write_reference_changes() {
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

void CheckpointWalk::diff_owner(uintptr_t owner, size_t i, size_t i_end, size_t j, size_t j_end,
                std::vector<std::pair<uintptr_t, uintptr_t>>& next) {
  auto& old = r_.edges_;
  changes_.clear();
  fresh_.clear();
  // Old references to objects freed since are gone already (dropped with the `F`).
  while (i < i_end || j < j_end) {
    while (i < i_end && r_.dead_.contains(old[i].second)) ++i;
    if (i >= i_end && j >= j_end) break;
    if (j >= j_end || (i < i_end && old[i].second < edges_[j].second)) {
      changes_.emplace_back(old[i].second, false);
      ++i;
    } else if (i >= i_end || edges_[j].second < old[i].second) {
      changes_.emplace_back(edges_[j].second, true);
      fresh_.push_back(edges_[j].second);
      next.push_back(edges_[j]);
      ++j;
    } else {
      next.push_back(edges_[j]);
      ++i;
      ++j;
    }
  }
  if (changes_.empty()) return;
  // What the new references are (their `L`s go out first when their texts are new): the owner is asked once
  // for all of them, and only for the references written, so labels cost in proportion to the `I` records, not
  // to the heap. A frame's references (a named root's, or a running generator's) are labelled from what the walk
  // saw. fresh_ is in ascending order, as edges_ is.
  bool root = RootTable::is_root(owner);
  fresh_labels_.assign(fresh_.size(), 0);
  if (!root && !fresh_.empty())
    r_.labels_.of(reinterpret_cast<PyObject*>(owner), fresh_.data(), fresh_.size(), fresh_labels_.data());
  size_t k = 0;
  for (auto [object, added] : changes_) {
    uint32_t label = 0;
    if (added) {
      label = fresh_labels_[k++];
      if (label == 0) label = walk_label(owner, object);
    }
    write_ref(added ? 'I' : 'D', object, owner, label);
  }
}

void CheckpointWalk::write_ref(char kind, uintptr_t object, uintptr_t owner, uint32_t label) {
  bool root = RootTable::is_root(owner);
  TraceWriter& w = r_.writer_;
  if (w.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(w.reserve(kMaxFixedRecord));
    unsigned char* const code = q++;
    q = w.put_address(q, object);
    if (root) {
      *code = kind == 'I' ? (label != 0 ? binary::kRootRefLabel : binary::kRootRef) : binary::kRootUnref;
      q = binary::put_varint(q, RootTable::id_of_owner(owner));
    } else {
      *code = kind == 'I' ? (label != 0 ? binary::kIncrefLabel : binary::kIncrefOwner) : binary::kDecrefOwner;
      q = w.put_address(q, owner);
    }
    if (label != 0) q = binary::put_varint(q, label);
    w.commit(reinterpret_cast<char*>(q));
    touched_.push_back(object);
    return;
  }
  char* p = r_.writer_.reserve(kMaxFixedRecord);
  p = put_char(p, root ? (kind == 'I' ? 'P' : 'U') : kind);
  p = put_char(p, ' ');
  p = put_hex(p, object);
  p = put_char(p, ' ');
  p = root ? put_dec(p, RootTable::id_of_owner(owner)) : put_hex(p, owner);
  if (label != 0) {
    p = put_char(p, ' ');
    p = put_dec(p, label);
  }
  p = put_char(p, '\n');
  r_.writer_.commit(p);
  touched_.push_back(object);
}

void CheckpointWalk::write_refcounts() {
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
    int64_t rc = observed_refcount(reinterpret_cast<PyObject*>(b->object()), r_.statics_);
    if (rc == 0) continue;  // freed while the checkpoint ran: cannot happen with the collector off
    r_.note_object(*b, flags & kNew);
    if (rc != b->last_refcount || (flags & (kNew | kTouched))) {
      if (rc == kImmortal && b->last_refcount == kImmortal && !(flags & kNew)) continue;
      r_.write_refcount(b->object(), rc);
      b->last_refcount = rc;
    }
  }
}

// Memory we may read: blocks whose allocation we saw (we would have seen their free), and blocks of the core
// types with freelists, which always come from the object allocator.
bool CheckpointWalk::readable(const Block& b) const {
  return !(b.flags & kGuessed) || r_.types_.info(b.type).has_freelist;
}

Block* CheckpointWalk::find_live(uintptr_t object) {
  auto* op = reinterpret_cast<PyObject*>(object);
  uint32_t id = r_.types_.id_of(Py_TYPE(op));
  Block* b = r_.blocks_.find(object - TypeRegistry::preheader_of(op, r_.types_.info(id)));
  return b != nullptr && b->state == BlockState::Live && b->object() == object ? b : nullptr;
}

void Recorder::destroy_walk() {
  delete walk_;
  walk_ = nullptr;
}

void Recorder::checkpoint(const std::string& label, PyObject* atexit_handler) {
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
  statics_.refresh();
  if (walk_ == nullptr) walk_ = new CheckpointWalk(*this);
  CheckpointWalk& walk = *walk_;
  refscope_walk_begin();
  walk.introduce_table_blocks();
  PyObject* roots = all_tracked_objects();
  if (roots == nullptr || !PyList_Check(roots)) {
    PyErr_Clear();
    Py_XDECREF(roots);
    roots = PyList_New(0);
  }
  walk.walk(roots, atexit_handler);
  walk.introduce_graph_objects();
  walk.write_reference_changes();
  // The list held a reference to every tracked object: let go before reading refcounts.
  Py_DECREF(roots);
  if (!options_.explain_path.empty()) walk.explain_unexplained(options_.explain_path.c_str());
  owned_.begin_checkpoint();
  walk.write_refcounts();
  owned_.end_checkpoint();
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
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = binary::kName;
    q = writer_.put_address(q, object);
    writer_.commit(reinterpret_cast<char*>(binary::put_varint(q, label)));
    return;
  }
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "K ");
  p = put_hex(p, object);
  p = put_char(p, ' ');
  p = put_dec(p, label);
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::write_size(uintptr_t object, uint64_t size, bool measured) {
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = measured ? binary::kResize : binary::kResizeUnmeasured;
    q = writer_.put_address(q, object);
    writer_.commit(reinterpret_cast<char*>(binary::put_varint(q, size)));
    return;
  }
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
