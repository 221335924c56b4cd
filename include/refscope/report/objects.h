#pragma once
// Objects and points as every report writes them, once: the same object reads the same in every command, in text
// and in JSON.
//
// JSON, one key order everywhere:
//   {"address": "0x7f0000001000", "line": 12, "type": "app.Node", "size": 56, "site": "app.py:3 in f" | null,
//    then, where a report gives them, "refcount": N (or "immortal": true), "external": N, "named_roots": [...],
//    then what the report adds ("kind", "owners", "retained_bytes", "path", ...)}
// Text: `0x7f0000001000@12  app.Node  56 B  app.py:3 in f`, names escaped (util/printable.h).
#include <string>

#include "refscope/analysis/result.h"
#include "refscope/report/json_writer.h"

namespace refscope {

// Writes the object's identity members (address, line, type, size, site, and its "name" when the trace gave it
// one) into the open JSON object; as a step of a path, also "via": what the step before holds to it.
void object_fields(JsonWriter& w, const ObjectRef& o, const Names& names);
// Writes "refcount" (or "immortal": true), "external" (not for an immortal object) and, when named roots hold the
// object (format 2), "named_roots": [{"id", "name", "references", "via" if labelled}, ...].
void state_fields(JsonWriter& w, const RefState& s, const Names& names);
// One named root's hold as a whole JSON object: {"id", "name", "references"} and "via", the label of its reference,
// when the trace gave one.
void named_hold_json(JsonWriter& w, const NamedHold& h, const Names& names);
// A whole JSON object of the identity members only.
void object_json(JsonWriter& w, const ObjectRef& o, const Names& names);

// "held by sys.modules", "held by builtins (2 references)", "held by frame f at app.py:3 .f_locals['buf']" (the
// reference's label follows the root's name, as a path step's follows its holder): one for each named root.
std::vector<std::string> hold_texts(const RefState& s, const Names& names);
// Why an object is a root, for people: "immortal", or the named roots holding it and its external references,
// joined by ", " ("held by frame main at app.py:12, 1 external reference"). Empty for an object that is no root.
std::string root_description(const RefState& s, const Names& names);

// "0x7f0000001000@12  app.Node  56 B  app.py:3 in f"; an object with a name of its own (format 2):
// "0x7f0000001000@12  builtins.module (module app.server)  ..."
std::string object_text(const ObjectRef& o, const Names& names);
// "builtins.module (module app.server)", or the type alone.
std::string type_and_name(const ObjectRef& o, const Names& names);
// A path in one line: "0x1000@17 builtins.module (module app) .__dict__ -> 0x2000@18 builtins.dict ['_errors'] ->
// ...": each step, then the label of the reference it holds to the next.
std::string path_line(const std::vector<ObjectRef>& steps, const Names& names);
// The same steps one by one ("0x1000@17 builtins.module (module app) .__dict__"), for text that wraps a long path.
std::vector<std::string> path_steps(const std::vector<ObjectRef>& steps, const Names& names);
// What makes two paths alike for grouping ("and 19 more paths like it"): the same types, names and labels step by
// step, indexes ([3], [17]) counted alike.
std::string path_shape(const std::vector<ObjectRef>& steps, const Names& names);
// A type or site name for text output, escaped.
std::string name_text(const Names& names, uint32_t id);
// "at the end of the trace (line 80)" or "at marker 'warm' (line 12)"
std::string point_text(const Point& p);
// "the end (line 41)" / "marker 'start' (line 17)"; for a window's start without a marker: "the trace's beginning"
std::string window_text(const Window& w);
// "Window    objects allocated after ..., live at ...\n", the "live at" part on a line of its own when the whole would be
// wider than text reports are (kTextColumns).
std::string window_header(const Window& w);
// {"from": LABEL|null, "to": LABEL|null, "from_line": N, "to_line": N} as the value of the current key
void window_json(JsonWriter& w, const Window& win);
// The trace's facts as the value of the current key: path, version, refs, encoding, truncated, metadata.
void trace_json(JsonWriter& w, const TraceFacts& t);

}  // namespace refscope
