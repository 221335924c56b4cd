#pragma once
// Labels for trace format 2: `L ID TEXT` interns each text once per trace; an `I` record's LABEL field says what
// the reference is (".tb_frame", "['_errors']", "[17]", ".f_locals['buf']"), and `K ADDR LABEL` names a module,
// a class, a function or a code object. What each reference is comes from object_labels.c; texts are bounded
// (kMaxText bytes; a dict key is cut to kMaxKey characters).
//
// Only the references a checkpoint writes as new get a label, so the cost is in proportion to the `I` records:
// the owner's labelled references are gathered once, when its first new reference is written, and kept for the
// owner's other new references of the same checkpoint.
#include <Python.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "trace_writer.h"

namespace refscope::recorder {

class ReferenceLabels {
 public:
  static constexpr size_t kMaxText = 120;
  static constexpr size_t kMaxKey = 60;

  explicit ReferenceLabels(TraceWriter& writer) : writer_(writer) {}

  // A checkpoint starts: objects may have changed since the last one.
  void begin_checkpoint() { forget_owner(); }
  // The label of the reference `owner` -> `target`, 0 when its meaning is not known. Writes the `L` first when
  // the text is new.
  uint32_t of(PyObject* owner, PyObject* target);
  // A label given by its text, and one for the item `key` of what `prefix` names (".f_locals['buf']").
  uint32_t fixed(const char* text);
  uint32_t key(const char* prefix, PyObject* key);
  // The label naming `op` (for `K`), 0 when it has no name of its own.
  uint32_t name_of(PyObject* op);
  static bool has_name(PyObject* op);
  // A new trace (after fork): every text is written again as it is next used.
  void reset() {
    ids_.clear();
    forget_owner();
  }

 private:
  void forget_owner() {
    owner_ = nullptr;
    labels_.clear();
  }
  uint32_t intern(std::string& text);
  static void take(void* ctx, PyObject* target, int kind, const char* text, PyObject* name, Py_ssize_t index);

  TraceWriter& writer_;
  std::unordered_map<std::string, uint32_t> ids_;
  PyObject* owner_ = nullptr;
  std::unordered_map<PyObject*, uint32_t> labels_;  // target -> label, for owner_
};

}  // namespace refscope::recorder
