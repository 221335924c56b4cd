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
  if (self->labels_.count(target) != 0) return;  // the first meaning a target has (a list's first index of it)
  std::string label;
  switch (kind) {
    case REFSCOPE_LABEL_FIXED: label = text; break;
    case REFSCOPE_LABEL_ATTRIBUTE:
      label = ".";
      append_utf8(label, name, kMaxText);
      break;
    case REFSCOPE_LABEL_MEMBER:
      label = ".";
      label += text;
      break;
    case REFSCOPE_LABEL_KEY:
      label = text;
      label += '[';
      append_key(label, name);
      label += ']';
      break;
    case REFSCOPE_LABEL_INDEX: label = "[" + std::to_string(index) + "]"; break;
    default: return;
  }
  self->labels_.emplace(target, self->intern(label));
}

uint32_t ReferenceLabels::of(PyObject* owner, PyObject* target) {
  if (owner != owner_) {
    forget_owner();
    owner_ = owner;
    refscope_object_labels(owner, take, this);
  }
  auto it = labels_.find(target);
  return it != labels_.end() ? it->second : 0;
}

uint32_t ReferenceLabels::fixed(const char* text) {
  std::string label = text;
  return intern(label);
}

uint32_t ReferenceLabels::key(const char* prefix, PyObject* key) {
  std::string label = prefix;
  label += '[';
  append_key(label, key);
  label += ']';
  return intern(label);
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
  auto [it, inserted] = ids_.try_emplace(text, static_cast<uint32_t>(ids_.size() + 1));
  if (inserted) {
    char* p = writer_.reserve(text.size() + 32);
    p = put_text(p, "L ");
    p = put_dec(p, it->second);
    p = put_char(p, ' ');
    p = put_text(p, text);
    p = put_char(p, '\n');
    writer_.commit(p);
  }
  return it->second;
}

}  // namespace refscope::recorder
