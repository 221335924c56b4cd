#include "refscope/reader/record_batch.h"

namespace refscope {

HeapRecord HeapRecord::of(const Event& ev) {
  HeapRecord r;
  r.kind = ev.kind;
  r.addr = ev.addr;
  switch (ev.kind) {
    case RecordKind::Alloc:
      r.value = ev.size;
      r.a = ev.type.value;
      r.b = ev.site.value;
      break;
    case RecordKind::Incref:
      r.value = ev.owner;
      r.a = ev.label.value;
      break;
    case RecordKind::Decref: r.value = ev.owner; break;
    case RecordKind::Refcount:
      r.value = ev.size;
      r.immortal = ev.immortal;
      break;
    case RecordKind::RootRef:
      r.value = ev.label.value;
      [[fallthrough]];
    case RecordKind::RootUnref:
      r.a = ev.root.value;
      r.b = static_cast<uint32_t>(ev.extra);
      break;
    case RecordKind::Resize:
      r.value = ev.size;
      r.unmeasured = ev.unmeasured;
      break;
    case RecordKind::Name: r.a = ev.label.value; break;
    default: break;
  }
  return r;
}

Event RecordBatch::event(const HeapRecord& r) const {
  if (!names_object(r.kind)) {
    Event ev = others[r.a];
    ev.line = line_of(r);
    return ev;
  }
  Event ev;
  ev.kind = r.kind;
  ev.addr = r.addr;
  ev.line = line_of(r);
  switch (r.kind) {
    case RecordKind::Alloc:
      ev.size = r.value;
      ev.type = TypeIdx(r.a);
      ev.site = StackIdx(r.b);
      break;
    case RecordKind::Incref:
      ev.owner = r.value;
      ev.label = LabelIdx(r.a);
      break;
    case RecordKind::Decref: ev.owner = r.value; break;
    case RecordKind::Refcount:
      ev.size = r.value;
      ev.immortal = r.immortal;
      break;
    case RecordKind::RootRef:
      ev.label = LabelIdx(static_cast<uint32_t>(r.value));
      [[fallthrough]];
    case RecordKind::RootUnref:
      ev.root = RootIdx(r.a);
      ev.extra = r.b;
      break;
    case RecordKind::Resize:
      ev.size = r.value;
      ev.unmeasured = r.unmeasured;
      break;
    case RecordKind::Name: ev.label = LabelIdx(r.a); break;
    default: break;
  }
  return ev;
}

}  // namespace refscope
