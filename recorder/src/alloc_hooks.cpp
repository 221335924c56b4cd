// PEP 445 hooks on the object domain, and what each allocation and free does to the block table.
//
// Only PYMEM_DOMAIN_OBJ is hooked: every object CPython 3.11-3.13 allocates comes from it, and format 1 has no
// record for the buffers that objects own (MEM domain) or for raw memory. Hooking one domain keeps the domains
// apart by construction: a large object request that pymalloc passes on to the raw allocator at the same address
// is never seen twice.
#include <cstring>

#include "record_format.h"
#include "recorder.h"

namespace refscope::recorder {

namespace {

PyMemAllocatorEx g_original{};
PyMemAllocatorEx g_hooks{};
// Re-entrancy guard: set while a hook records, so an allocation made by the recording itself passes through.
// The GIL serializes the object allocator, so one flag (not one per thread) is enough.
bool g_in_hook = false;

void* hook_malloc(void*, size_t size) {
  void* p = g_original.malloc(g_original.ctx, size);
  if (p != nullptr && g_recorder != nullptr && !g_in_hook) {
    g_in_hook = true;
    g_recorder->on_alloc(p, size);
    g_in_hook = false;
  }
  return p;
}

void* hook_calloc(void*, size_t count, size_t size) {
  void* p = g_original.calloc(g_original.ctx, count, size);
  if (p != nullptr && g_recorder != nullptr && !g_in_hook) {
    g_in_hook = true;
    g_recorder->on_alloc(p, count * size);
    g_in_hook = false;
  }
  return p;
}

void* hook_realloc(void*, void* old, size_t size) {
  void* p = g_original.realloc(g_original.ctx, old, size);
  if (p != nullptr && g_recorder != nullptr && !g_in_hook) {
    g_in_hook = true;
    if (old == nullptr) g_recorder->on_alloc(p, size);
    else g_recorder->on_realloc(old, p, size);
    g_in_hook = false;
  }
  return p;
}

void hook_free(void*, void* p) {
  // Before the memory goes back: the object's type is read from it.
  if (p != nullptr && g_recorder != nullptr && !g_in_hook) {
    g_in_hook = true;
    g_recorder->on_free(p);
    g_in_hook = false;
  }
  g_original.free(g_original.ctx, p);
}

}  // namespace

void Recorder::install_hooks() {
  PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &g_original);
  g_hooks = PyMemAllocatorEx{nullptr, hook_malloc, hook_calloc, hook_realloc, hook_free};
  PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &g_hooks);
  hooks_installed_ = true;
}

bool Recorder::uninstall_hooks() {
  if (!hooks_installed_) return true;
  PyMemAllocatorEx current{};
  PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &current);
  if (current.malloc != hook_malloc) {
    // Someone (tracemalloc) wrapped our hooks: restoring the original would cut them out. Stay installed; with
    // g_recorder cleared the hooks only pass calls through.
    return false;
  }
  PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &g_original);
  hooks_installed_ = false;
  return true;
}

void Recorder::on_alloc(void* block, size_t size) {
  if (suspended_ || !active_) return;
  auto addr = reinterpret_cast<uintptr_t>(block);
  uint32_t site = options_.stack_depth > 0 ? stacks_.current(options_.stack_depth) : 0;
  if (use_nursery_ && size <= UINT32_MAX) {
    if (Block* old = blocks_.find(addr)) {
      // The allocator handed out a block we believe is still allocated: its free went by unseen (another
      // domain's free). What the trace knows of the old object ends here.
      if (old->state == BlockState::Live) kill(*old);
      blocks_.erase(old);
    }
    NurseryEntry& e = nursery_[nursery_slot(addr)];
    if (e.addr != 0 && e.addr != addr) nursery_evict(e);
    e = NurseryEntry{addr, static_cast<uint32_t>(size), site};  // (a stale entry for addr is simply replaced)
    return;
  }
  nursery_take(addr);
  bool created = false;
  Block* b = blocks_.insert(addr, created);
  if (!created) {
    // The allocator handed out a block we believe is still allocated: its free went by unseen (another domain's
    // free, a lost tracer event). What the trace knows of the old object ends here.
    if (b->state == BlockState::Live) kill(*b);
    *b = Block{};
    b->addr = addr;
    b->last_refcount = kNoRefcount;
  }
  b->size = size;
  b->state = BlockState::Pending;
  b->site = site;
}

// A nursery entry moves to the block table, as the Pending block it is.
void Recorder::nursery_evict(NurseryEntry& e) {
  bool created = false;
  Block* b = blocks_.insert(e.addr, created);
  if (!created) {
    // Cannot happen (the allocation removed addr from the table); kept as on_alloc would treat it.
    if (b->state == BlockState::Live) kill(*b);
    *b = Block{};
    b->addr = e.addr;
    b->last_refcount = kNoRefcount;
  }
  b->size = e.size;
  b->state = BlockState::Pending;
  b->site = e.site;
  e.addr = 0;
}

// Before anything else looks addr up in the table: its nursery entry, if any, goes there.
void Recorder::nursery_take(uintptr_t addr) {
  NurseryEntry& e = nursery_[nursery_slot(addr)];
  if (e.addr == addr) nursery_evict(e);
}

void Recorder::nursery_flush() {
  for (NurseryEntry& e : nursery_) {
    if (e.addr != 0) nursery_evict(e);
  }
}

void Recorder::on_free(void* block) {
  if (!active_) return;
  auto addr = reinterpret_cast<uintptr_t>(block);
  NurseryEntry& e = nursery_[nursery_slot(addr)];
  if (e.addr == addr) {
    // Born and gone between two checkpoints (the common case): the trace gets both records now that the type
    // can be read. (No Block built on the stack: its bit fields, stored and reloaded at once, stalled.)
    uint64_t size = e.size;
    uint32_t site = e.site;
    e.addr = 0;
    ObjectFound found;
    if (find_object(addr, size, true, found)) {
      write_alloc_and_free(addr + found.offset, size, found.type, site);
      if (found.is_metatype) types_.forget(addr + found.offset);
      if (found.is_code) stacks_.forget_code(addr);
    }
    return;
  }
  Block* b = blocks_.find(addr);
  if (b == nullptr) {
    // Allocated before the recording, or by a checkpoint: a code object among them may be a stack key.
    stacks_.forget_code(addr);
    return;
  }
  switch (b->state) {
    case BlockState::Pending: {
      // Born and gone between two checkpoints: the trace gets both records now that the type can be read.
      if (identify(*b, true)) {
        write_alloc_and_free(b->object(), b->size, b->type, b->site);
        forget_if_type(*b);
      }
      break;
    }
    case BlockState::Live:
      kill(*b);
      break;
    case BlockState::Dead:
      break;
  }
  blocks_.erase(b);
}

void Recorder::on_realloc(void* old_block, void* block, size_t size) {
  if (!active_) return;
  nursery_take(reinterpret_cast<uintptr_t>(old_block));
  nursery_take(reinterpret_cast<uintptr_t>(block));
  uint32_t site = 0;
  if (Block* old = blocks_.find(reinterpret_cast<uintptr_t>(old_block))) {
    if (old_block == block && old->state == BlockState::Pending) {
      old->size = size;
      return;
    }
    site = old->site;
    if (old->state == BlockState::Live) kill(*old);
    blocks_.erase(old);
  } else if (suspended_) {
    return;
  } else if (options_.stack_depth > 0) {
    site = stacks_.current(options_.stack_depth);
  }
  if (suspended_) return;
  bool created = false;
  Block* b = blocks_.insert(reinterpret_cast<uintptr_t>(block), created);
  if (!created && b->state == BlockState::Live) kill(*b);
  uintptr_t addr = b->addr;
  *b = Block{};
  b->addr = addr;
  b->last_refcount = kNoRefcount;
  b->size = size;
  b->state = BlockState::Pending;
  b->site = site;
}

// An object starts 0, 16 (after the collector's header) or 32 bytes (after the managed dict/weakref pointers too)
// into its block. A candidate is accepted only if its refcount fits (0 while being freed, at least 1 while live),
// its type pointer is a validated type, and that type's own layout puts the object exactly there and fits in the
// block: at least the type's basic size, or for a str the size its own header gives (a compact str is smaller
// than str's tp_basicsize: checked against that, every ASCII str under 31 characters went unseen on 3.11).
// Blocks that hold no object fail one of these.
bool Recorder::find_object(uintptr_t addr, uint64_t size, bool being_freed, ObjectFound& found) {
  static constexpr uint32_t kOffsets[] = {0, 16, 32};
  for (uint32_t off : kOffsets) {
    if (off + sizeof(PyObject) > size) break;
    const char* object = reinterpret_cast<const char*>(addr + off);
    Py_ssize_t refcount;
    uintptr_t type;
    std::memcpy(&refcount, object, sizeof refcount);
    std::memcpy(&type, object + sizeof(Py_ssize_t), sizeof type);
    if (being_freed ? refcount != 0 : refcount <= 0) continue;
    const HotType* info = types_.lookup(type);
    if (info == nullptr) continue;
    if (info->preheader != off || off + info->min_size > size) continue;
    if (info->is_str && !TypeRegistry::str_fits(object, size - off)) continue;
    // A collector type's object has its GC header (two words) right before it: not tracked, the next word is 0
    // and the previous one holds flags only (bits 0 and 1); tracked, both are addresses of other headers, the
    // previous one with those flags. Without this check, the keys of a 3.12 type's subclass table (the subclass's
    // address as an entry's hash, right after byte indices that read as a refcount) passed for an instance of
    // that subclass.
    if (off >= 2 * sizeof(uintptr_t)) {
      uintptr_t gc[2];
      std::memcpy(gc, object - sizeof gc, sizeof gc);
      auto plausible = [](uintptr_t p) { return p >= 4096 && (p & 7) == 0 && p < (uintptr_t{1} << 47); };
      if (gc[0] == 0 ? gc[1] > 3 : !plausible(gc[0]) || !plausible(gc[1] & ~uintptr_t{3})) continue;
    }
    found.offset = off;
    found.type = info->id;
    found.is_metatype = info->is_metatype;
    found.is_code = info->is_code;
    return true;
  }
  return false;
}

bool Recorder::identify(Block& b, bool being_freed) {
  ObjectFound found;
  if (!find_object(b.addr, b.size, being_freed, found)) return false;
  b.offset = found.offset;
  b.type = found.type;
  return true;
}

void Recorder::forget_if_type(const Block& b) {
  const TypeInfo& info = types_.info(b.type);
  if (info.is_metatype) types_.forget(b.object());
  if (info.is_code) stacks_.forget_code(b.object());
}

// The object in a Live block is gone: `F`, and no later checkpoint may name it again.
void Recorder::kill(Block& b) {
  if (b.flags & kSized) sizes_.erase(b.object());
  b.flags &= static_cast<uint8_t>(~(kNamed | kSized));
  write_free(b.object());
  dead_.insert(b.object());
  forget_if_type(b);
  b.state = BlockState::Dead;
  b.last_refcount = kNoRefcount;
}

void Recorder::write_alloc(Block& b) {
  if (b.site != 0) stacks_.ensure_written(b.site);
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = binary::kAlloc;
    q = writer_.put_address(q, b.object());
    q = binary::put_varint(q, b.size);
    q = binary::put_varint(q, b.type);
    q = binary::put_varint(q, b.site);
    writer_.commit(reinterpret_cast<char*>(q));
    b.state = BlockState::Live;
    b.flags &= static_cast<uint8_t>(~(kNamed | kSized));
    return;
  }
  char* p = writer_.reserve(kMaxFixedRecord);
  p[0] = 'A';
  p[1] = ' ';
  p = put_hex16(p + 2, hex16(b.object()));
  p = put_char(p, ' ');
  p = put_dec(p, b.size);
  p = put_char(p, ' ');
  p = put_dec(p, b.type);
  if (b.site != 0) {
    p = put_char(p, ' ');
    p = put_dec(p, b.site);
  }
  p = put_char(p, '\n');
  writer_.commit(p);
  b.state = BlockState::Live;
  b.flags &= static_cast<uint8_t>(~(kNamed | kSized));  // a new object: its name and size are yet to be told
}

// `A` and `F` of an object born and gone between two checkpoints (most objects), formatted in one piece: the
// address is converted once, in registers, and stored twice.
void Recorder::write_alloc_and_free(uintptr_t object, uint64_t size, uint32_t type, uint32_t site) {
  if (site != 0) stacks_.ensure_written(site);
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = binary::kAlloc;
    q = writer_.put_address(q, object);
    q = binary::put_varint(q, size);
    q = binary::put_varint(q, type);
    q = binary::put_varint(q, site);
    q[0] = binary::kFree;
    q[1] = 0;  // the same address again
    writer_.commit(reinterpret_cast<char*>(q + 2));
    return;
  }
  char* p = writer_.reserve(kMaxFixedRecord);
  Hex16 hex = hex16(object);
  p[0] = 'A';
  p[1] = ' ';
  p = put_hex16(p + 2, hex);
  p = put_char(p, ' ');
  p = put_dec(p, size);
  p = put_char(p, ' ');
  p = put_dec(p, type);
  if (site != 0) {
    p = put_char(p, ' ');
    p = put_dec(p, site);
  }
  p[0] = '\n';
  p[1] = 'F';
  p[2] = ' ';
  p = put_hex16(p + 3, hex);
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::write_free(uintptr_t object) {
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = binary::kFree;
    writer_.commit(reinterpret_cast<char*>(writer_.put_address(q, object)));
    return;
  }
  char* p = writer_.reserve(kMaxFixedRecord);
  p[0] = 'F';
  p[1] = ' ';
  p = put_hex16(p + 2, hex16(object));
  p = put_char(p, '\n');
  writer_.commit(p);
}

void Recorder::write_refcount(uintptr_t object, int64_t refcount) {
  if (writer_.binary()) {
    auto* q = reinterpret_cast<unsigned char*>(writer_.reserve(kMaxFixedRecord));
    *q++ = refcount == kImmortal ? binary::kImmortal : binary::kRefcount;
    q = writer_.put_address(q, object);
    if (refcount != kImmortal) q = binary::put_varint(q, static_cast<uint64_t>(refcount));
    writer_.commit(reinterpret_cast<char*>(q));
    return;
  }
  char* p = writer_.reserve(kMaxFixedRecord);
  p = put_text(p, "R ");
  p = put_hex(p, object);
  p = put_char(p, ' ');
  if (refcount == kImmortal) p = put_text(p, "immortal");
  else p = put_dec(p, static_cast<uint64_t>(refcount));
  p = put_char(p, '\n');
  writer_.commit(p);
}

}  // namespace refscope::recorder
