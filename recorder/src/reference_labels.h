#pragma once
// Labels for trace format 2: `L ID TEXT` interns each text once per trace; an `I` record's LABEL field says what
// the reference is (".tb_frame", "['_errors']", "[17]", ".f_locals['buf']"), and `K ADDR LABEL` names a module,
// a class, a function or a code object. What each reference is comes from object_labels.c; texts are bounded
// (kMaxText bytes; a dict key is cut to kMaxKey characters).
//
// Only the references a checkpoint writes as new get a label, so the cost is in proportion to the `I` records:
// an owner's references are gone through once for all its new ones of a checkpoint, and a text is made only for
// those. A list index's label is found in a table by the index, with no text made once it is known.
#include <Python.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "trace_writer.h"

namespace refscope::recorder {

class ReferenceLabels {
 public:
  static constexpr size_t kMaxText = 120;
  static constexpr size_t kMaxKey = 60;

  explicit ReferenceLabels(TraceWriter& writer) : writer_(writer) {}

  // The labels of the references `owner` -> `targets[k]` (`targets` in ascending order, a target may repeat) into
  // `labels[k]`: 0 where the meaning is not known. Writes each `L` first when its text is new.
  void of(PyObject* owner, const uintptr_t* targets, size_t count, uint32_t* labels);
  // A label given by its text, and one for the item `key` of what `prefix` names (".f_locals['buf']").
  uint32_t fixed(const char* text);
  uint32_t key(const char* prefix, PyObject* key);
  // The label naming `op` (for `K`), 0 when it has no name of its own.
  uint32_t name_of(PyObject* op);
  static bool has_name(PyObject* op);
  // A new trace (after fork): every text is written again as it is next used.
  void reset() {
    ids_.clear();
    index_ids_.clear();
    next_id_ = 1;
  }

 private:
  // Indexes below this have their label's id in index_ids_ (4 bytes each); larger ones are interned as text.
  static constexpr Py_ssize_t kIndexTable = Py_ssize_t{1} << 20;
  static constexpr uint32_t kUnknown = UINT32_MAX;

  uint32_t intern(std::string& text);
  uint32_t index(Py_ssize_t i);
  uint32_t write_label(const std::string& text);
  static void take(void* ctx, PyObject* target, int kind, const char* text, PyObject* name, Py_ssize_t index);

  TraceWriter& writer_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<uint32_t> index_ids_;  // "[i]" -> its id, 0 while not written
  uint32_t next_id_ = 1;
  std::string text_;  // the label being made
  // The owner being labelled (of()).
  const uintptr_t* targets_ = nullptr;
  size_t count_ = 0;
  uint32_t* labels_ = nullptr;
};

}  // namespace refscope::recorder
