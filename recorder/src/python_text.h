#pragma once
// UTF-8 text of Python str objects without creating any object: the recorder needs names inside allocator hooks,
// where PyUnicode_AsUTF8 may allocate its cache (and so re-enter the hook).
#include <Python.h>

#include <string>

namespace refscope::recorder {

// Appends the UTF-8 of `str` (a str object) to `out`, at most `limit` bytes; non-str appends "?".
void append_utf8(std::string& out, PyObject* str, size_t limit = 4096);

// Replaces line ends and other control characters, which would break the one-record-a-line format.
void sanitize_line(std::string& s);

}  // namespace refscope::recorder
