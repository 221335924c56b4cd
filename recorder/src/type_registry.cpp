#include "type_registry.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "python_text.h"
#include "record_format.h"

namespace refscope::recorder {

bool safe_read(void* out, uintptr_t address, size_t n) {
  struct iovec local {out, n};
  struct iovec remote {reinterpret_cast<void*>(address), n};
  return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == static_cast<ssize_t>(n);
}

namespace {

size_t hash_ptr(uintptr_t p) { return static_cast<size_t>((p >> 3) * 0x9E3779B97F4A7C15ull >> 20); }

bool plausible_pointer(uintptr_t p) { return p >= 4096 && p < (uintptr_t{1} << 47) && (p & 7) == 0; }

// The type's `__module__` from its dict, read without making or keeping a reference: a key object held for the
// lookup would show in that str's refcount, and this runs inside the allocator's free hook.
PyObject* module_name_of(PyTypeObject* type) {
  PyObject* dict = type->tp_dict;
  if (dict == nullptr || !PyDict_Check(dict)) return nullptr;
  Py_ssize_t pos = 0;
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  while (PyDict_Next(dict, &pos, &key, &value)) {
    if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "__module__") == 0) {
      return PyUnicode_Check(value) ? value : nullptr;
    }
  }
  return nullptr;
}

}  // namespace

TypeRegistry::TypeRegistry(TraceWriter& writer) : writer_(writer), rejected_(kRejectSlots, 0) {
  infos_.emplace_back();  // id 0: unknown
  rehash(1024);
}

uint32_t TypeRegistry::preheader_of(unsigned long tp_flags) {
  uint32_t bytes = (tp_flags & Py_TPFLAGS_HAVE_GC) ? 16 : 0;
#if PY_VERSION_HEX >= 0x030C0000
  if (tp_flags & Py_TPFLAGS_PREHEADER) bytes += 16;
#else
  if (tp_flags & Py_TPFLAGS_MANAGED_DICT) bytes += 16;
#endif
  return bytes;
}

uint64_t TypeRegistry::block_size_of(PyObject* op, const TypeInfo& info) {
  if (info.is_metatype && !(reinterpret_cast<PyTypeObject*>(op)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
    return sizeof(PyTypeObject);  // a static type: a C variable of exactly this size
  }
  if (info.is_str && PyUnicode_IS_COMPACT(op)) {
    uint64_t header = PyUnicode_IS_ASCII(op) ? sizeof(PyASCIIObject) : sizeof(PyCompactUnicodeObject);
    return header + (static_cast<uint64_t>(PyUnicode_GET_LENGTH(op)) + 1) * PyUnicode_KIND(op);
  }
  Py_ssize_t items = info.itemsize != 0 ? Py_SIZE(op) : 0;
  if (items < 0) items = -items;  // an int's sign
  return info.preheader + info.basicsize + static_cast<uint64_t>(items) * info.itemsize;
}

bool TypeRegistry::str_fits(const char* object, uint64_t size) {
  if (size < sizeof(PyASCIIObject)) return false;
  PyASCIIObject head;
  std::memcpy(static_cast<void*>(&head), object, sizeof head);
  if (!head.state.compact) return size >= sizeof(PyUnicodeObject);
  unsigned kind = head.state.kind;
  if (kind != 1 && kind != 2 && kind != 4) return false;
  if (head.state.ascii && kind != 1) return false;
  if (head.length < 0 || static_cast<uint64_t>(head.length) > size) return false;
  uint64_t header = head.state.ascii ? sizeof(PyASCIIObject) : sizeof(PyCompactUnicodeObject);
  return header + (static_cast<uint64_t>(head.length) + 1) * kind <= size;
}

void TypeRegistry::rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{0, 0});
  used_ = 0;
  for (const Slot& s : old) {
    if (s.ptr == 0 || s.id == 0) continue;
    size_t i = hash_ptr(s.ptr) & (capacity - 1);
    while (slots_[i].ptr != 0) i = (i + 1) & (capacity - 1);
    slots_[i] = s;
    ++used_;
  }
}

uint32_t TypeRegistry::find(uintptr_t ptr) const {
  size_t mask = slots_.size() - 1;
  size_t i = hash_ptr(ptr) & mask;
  for (;;) {
    const Slot& s = slots_[i];
    if (s.ptr == ptr) return s.id;
    if (s.ptr == 0) return 0;
    i = (i + 1) & mask;
  }
}

uint32_t TypeRegistry::id_of(PyTypeObject* type) {
  uint32_t id = find(reinterpret_cast<uintptr_t>(type));
  if (id == 0) id = add(type);
  if (!infos_[id].written) write_type(infos_[id], id);
  return id;
}

uint32_t TypeRegistry::validate(uintptr_t candidate) {
  // Most candidates that fail are a collector header's 0 or 1: reject them before any lookup.
  if (!plausible_pointer(candidate)) return 0;
  if (candidate == last_ptr_) return last_id_;
  uint32_t id = find(candidate);
  if (id != 0) {
    if (!infos_[id].written) write_type(infos_[id], id);
    last_ptr_ = candidate;
    last_id_ = id;
    return id;
  }
  size_t r = hash_ptr(candidate) & (kRejectSlots - 1);
  if (rejected_[r] == candidate) return 0;
  if (!check_type_memory(candidate, 0)) {
    rejected_[r] = candidate;
    return 0;
  }
  return id_of(reinterpret_cast<PyTypeObject*>(candidate));
}

const HotType* TypeRegistry::lookup_slow(uintptr_t candidate) {
  uint32_t id = validate(candidate);  // writes its `T` if needed: a hot entry is always written
  if (id == 0) return nullptr;
  const TypeInfo& info = infos_[id];
  HotType& h = hot_[hot_slot(candidate)];
  h.ptr = candidate;
  h.id = id;
  h.min_size = info.min_size;
  h.preheader = info.preheader;
  h.is_str = info.is_str;
  h.is_code = info.is_code;
  h.is_metatype = info.is_metatype;
  return &h;
}

bool TypeRegistry::check_type_memory(uintptr_t candidate, int depth) {
  if (depth > 3 || !plausible_pointer(candidate)) return false;
  if (find(candidate) != 0) return true;
  alignas(PyTypeObject) unsigned char raw[sizeof(PyTypeObject)];
  if (!safe_read(raw, candidate, sizeof raw)) return false;
  PyTypeObject copy;
  std::memcpy(static_cast<void*>(&copy), raw, sizeof copy);
  if (Py_REFCNT(reinterpret_cast<PyObject*>(&copy)) <= 0) return false;
  if (!(copy.tp_flags & Py_TPFLAGS_READY)) return false;
  if (copy.tp_basicsize < static_cast<Py_ssize_t>(sizeof(PyObject)) || copy.tp_basicsize > (1 << 20)) return false;
  if (copy.tp_itemsize < 0 || copy.tp_itemsize > (1 << 16)) return false;
  if (copy.tp_name == nullptr || copy.tp_free == nullptr) return false;
  auto meta = reinterpret_cast<uintptr_t>(Py_TYPE(reinterpret_cast<PyObject*>(&copy)));
  if (meta == reinterpret_cast<uintptr_t>(&PyType_Type)) return true;
  if (!check_type_memory(meta, depth + 1)) return false;
  // The metatype must make types: its own flags say so.
  unsigned long meta_flags = 0;
  if (!safe_read(&meta_flags, meta + offsetof(PyTypeObject, tp_flags), sizeof meta_flags)) return false;
  return (meta_flags & Py_TPFLAGS_TYPE_SUBCLASS) != 0;
}

uint32_t TypeRegistry::add(PyTypeObject* type) {
  auto ptr = reinterpret_cast<uintptr_t>(type);
  if ((used_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
  TypeInfo info;
  info.ptr = ptr;
  info.preheader = preheader_of(type->tp_flags);
  info.basicsize = static_cast<uint32_t>(type->tp_basicsize);
  info.itemsize = static_cast<uint32_t>(type->tp_itemsize);
  info.is_str = type == &PyUnicode_Type;
  info.is_code = type == &PyCode_Type;
  info.min_size = info.is_str ? static_cast<uint32_t>(sizeof(PyASCIIObject) + 1) : info.basicsize;
  info.is_metatype = (type->tp_flags & Py_TPFLAGS_TYPE_SUBCLASS) != 0;
  // The types CPython keeps freelists of (dealloc_hooks.cpp wraps the same ones): their objects always come from
  // the object allocator, so a block of one is readable as long as the table holds it.
  info.has_freelist = type == &PyFloat_Type || type == &PyTuple_Type || type == &PyList_Type ||
                      type == &PyDict_Type || type == &PySlice_Type || type == &PyContext_Type ||
                      type == &_PyAsyncGenASend_Type ||
                      type == reinterpret_cast<PyTypeObject*>(PyExc_MemoryError);
  if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
    auto* heap = reinterpret_cast<PyHeapTypeObject*>(type);
    PyObject* module = module_name_of(type);
    if (module != nullptr) {
      append_utf8(info.name, module);
      info.name += '.';
    }
    append_utf8(info.name, heap->ht_qualname);
  } else {
    const char* name = type->tp_name != nullptr ? type->tp_name : "?";
    if (std::strchr(name, '.') == nullptr) info.name = "builtins.";
    info.name.append(name, strnlen(name, 4096));
  }
  sanitize_line(info.name);
  auto id = static_cast<uint32_t>(infos_.size());
  infos_.push_back(std::move(info));
  size_t mask = slots_.size() - 1;
  size_t i = hash_ptr(ptr) & mask;
  while (slots_[i].ptr != 0 && slots_[i].id != 0) i = (i + 1) & mask;
  if (slots_[i].ptr == 0) ++used_;
  slots_[i] = Slot{ptr, id};
  rejected_[hash_ptr(ptr) & (kRejectSlots - 1)] = 0;
  return id;
}

void TypeRegistry::forget(uintptr_t type_address) {
  if (last_ptr_ == type_address) last_ptr_ = 0;
  HotType& h = hot_[hot_slot(type_address)];
  if (h.ptr == type_address) h = HotType{};
  size_t mask = slots_.size() - 1;
  size_t i = hash_ptr(type_address) & mask;
  for (;;) {
    Slot& s = slots_[i];
    if (s.ptr == 0) return;
    if (s.ptr == type_address && s.id != 0) {
      s.id = 0;  // tombstone: the id stays in the trace, the address is free for a new type
      return;
    }
    i = (i + 1) & mask;
  }
}

void TypeRegistry::reset_written() {
  last_ptr_ = 0;  // the fast paths skip the `written` check
  clear_hot();
  for (TypeInfo& info : infos_) info.written = false;
}

void TypeRegistry::write_type(TypeInfo& info, uint32_t id) {
  char* start = writer_.reserve(info.name.size() + 32 + TraceWriter::kTextSlack);
  char* p = put_text(start, "T ");
  p = put_dec(p, id);
  p = put_char(p, ' ');
  p = put_text(p, info.name);
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
  info.written = true;
}

}  // namespace refscope::recorder
