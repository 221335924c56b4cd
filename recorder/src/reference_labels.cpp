#include "reference_labels.h"

#include <algorithm>
#include <cstring>

#include "object_labels.h"
#include "python_text.h"
#include "record_format.h"

namespace refscope::recorder {

namespace {

// A dict key as a label shows it: a str as it is (cut to kMaxKey characters), an int in decimal, True, False and
// None by name, anything else by its type (its repr could run Python code).
void append_key(std::string& out, PyObject* key) {
  if (PyUnicode_Check(key)) {
    out += '\'';
    size_t start = out.size();
    append_utf8(out, key, ReferenceLabels::kMaxKey * 4);
    if (PyUnicode_GET_LENGTH(key) > static_cast<Py_ssize_t>(ReferenceLabels::kMaxKey)) {
      // Cut at a character boundary, kMaxKey characters in.
      size_t chars = 0, i = start;
      while (i < out.size() && chars < ReferenceLabels::kMaxKey) {
        unsigned char c = static_cast<unsigned char>(out[i]);
        i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        ++chars;
      }
      out.resize(std::min(i, out.size()));
      out += "...";
    }
    out += '\'';
  } else if (key == Py_None) {
    out += "None";
  } else if (PyBool_Check(key)) {
    out += key == Py_True ? "True" : "False";
  } else if (PyLong_CheckExact(key)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(key, &overflow);
    if (overflow == 0 && !(v == -1 && PyErr_Occurred())) out += std::to_string(v);
    else out += "<int>";
    PyErr_Clear();
  } else {
    const char* name = Py_TYPE(key)->tp_name;
    const char* dot = std::strrchr(name, '.');
    out += '<';
    out += dot != nullptr ? dot + 1 : name;
    out += '>';
  }
}

}  // namespace

void ReferenceLabels::take(void* ctx, PyObject* target, int kind, const char* text, PyObject* name,
                           Py_ssize_t index) {
  auto* self = static_cast<ReferenceLabels*>(ctx);
  auto t = reinterpret_cast<uintptr_t>(target);
  const uintptr_t* end = self->targets_ + self->count_;
  const uintptr_t* first = std::lower_bound(self->targets_, end, t);
  if (first == end || *first != t) return;  // not a new reference: no label wanted
  size_t k = static_cast<size_t>(first - self->targets_);
  if (self->labels_[k] != kUnknown) return;  // the first meaning a target has (a list's first index of it)
  uint32_t id = 0;
  std::string& label = self->text_;
  label.clear();
  switch (kind) {
    case REFSCOPE_LABEL_FIXED:
      label = text;
      id = self->intern(label);
      break;
    case REFSCOPE_LABEL_ATTRIBUTE:
      label = ".";
      append_utf8(label, name, kMaxText);
      id = self->intern(label);
      break;
    case REFSCOPE_LABEL_MEMBER:
      label = ".";
      label += text;
      id = self->intern(label);
      break;
    case REFSCOPE_LABEL_KEY:
      if (text[0] == '\0' && PyLong_CheckExact(name)) {
        // A dict's int key reads as a list index does ("[5]"): the same label.
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(name, &overflow);
        if (overflow == 0 && v >= 0 && v < kIndexTable) {
          id = self->index(static_cast<Py_ssize_t>(v));
          break;
        }
        PyErr_Clear();
      }
      label = text;
      label += '[';
      append_key(label, name);
      label += ']';
      id = self->intern(label);
      break;
    case REFSCOPE_LABEL_INDEX: id = self->index(index); break;
    default: return;
  }
  for (; first != end && *first == t; ++first) self->labels_[first - self->targets_] = id;
}

void ReferenceLabels::of(PyObject* owner, const uintptr_t* targets, size_t count, uint32_t* labels) {
  std::fill(labels, labels + count, kUnknown);
  targets_ = targets;
  count_ = count;
  labels_ = labels;
  refscope_object_labels(owner, take, this);
  for (size_t k = 0; k < count; ++k)
    if (labels[k] == kUnknown) labels[k] = 0;
  targets_ = nullptr;
  labels_ = nullptr;
  count_ = 0;
}

uint32_t ReferenceLabels::index(Py_ssize_t i) {
  if (i >= 0 && i < kIndexTable) {
    auto at = static_cast<size_t>(i);
    if (at >= index_ids_.size())
      index_ids_.resize(std::min(std::max(at + 1, index_ids_.size() * 2), static_cast<size_t>(kIndexTable)));
    if (index_ids_[at] == 0) {
      text_ = "[" + std::to_string(i) + "]";
      index_ids_[at] = write_label(text_);
    }
    return index_ids_[at];
  }
  text_ = "[" + std::to_string(i) + "]";
  return intern(text_);
}

uint32_t ReferenceLabels::fixed(const char* text) {
  text_ = text;
  return intern(text_);
}

uint32_t ReferenceLabels::key(const char* prefix, PyObject* key) {
  text_ = prefix;
  text_ += '[';
  append_key(text_, key);
  text_ += ']';
  return intern(text_);
}

bool ReferenceLabels::has_name(PyObject* op) { return refscope_has_name(op) != 0; }

uint32_t ReferenceLabels::name_of(PyObject* op) {
  PyObject* name = refscope_object_name(op);
  if (name == nullptr) {
    PyErr_Clear();
    return 0;
  }
  std::string text;
  append_utf8(text, name, kMaxText);
  Py_DECREF(name);
  return intern(text);
}

uint32_t ReferenceLabels::intern(std::string& text) {
  sanitize_line(text);
  if (text.size() > kMaxText) {
    size_t cut = kMaxText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    text.resize(cut);
    text += "...";
  }
  if (text.empty()) return 0;
  auto [it, inserted] = ids_.try_emplace(text, 0);
  if (inserted) it->second = write_label(text);
  return it->second;
}

uint32_t ReferenceLabels::write_label(const std::string& text) {
  uint32_t id = next_id_++;
  char* start = writer_.reserve(text.size() + 32 + TraceWriter::kTextSlack);
  char* p = put_text(start, "L ");
  p = put_dec(p, id);
  p = put_char(p, ' ');
  p = put_text(p, text);
  p = put_char(p, '\n');
  writer_.commit_text(start, p);
  return id;
}

}  // namespace refscope::recorder
