#include "python_text.h"

namespace refscope::recorder {

void append_utf8(std::string& out, PyObject* str, size_t limit) {
  if (str == nullptr || !PyUnicode_Check(str)) {
    out += '?';
    return;
  }
  Py_ssize_t n = PyUnicode_GET_LENGTH(str);
  int kind = PyUnicode_KIND(str);
  const void* data = PyUnicode_DATA(str);
  size_t start = out.size();
  for (Py_ssize_t i = 0; i < n && out.size() - start < limit; ++i) {
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // lone surrogates are not UTF-8
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
}

void sanitize_line(std::string& s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s.empty()) s.push_back('?');  // (not `s = "?"`: GCC 12 warns falsely about it)
}

}  // namespace refscope::recorder
