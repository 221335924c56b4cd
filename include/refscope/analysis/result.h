#pragma once
// What analysis results are made of. A result is plain data and finished: a report renders it, in any format,
// without the model, the symbol table or the replay, and without calling back into an analysis. Objects are small
// (ObjectRef, 40 bytes) and name their type and allocation site by an index into the result's own Names, so that a
// list of a million objects costs no strings, and a result holds only the names it uses.
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "refscope/analysis/named_roots.h"
#include "refscope/model/model.h"
#include "refscope/reader/symbols.h"
#include "refscope/reader/trace_reader.h"

namespace refscope {

// The names a result uses: type names and site labels ("file:line in function"), by index.
struct Names {
  static constexpr uint32_t kUnknownSite = std::numeric_limits<uint32_t>::max();
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();  // no name, no label
  std::vector<std::string> text;

  // A site or type name; "?" for the unknown site.
  const std::string& operator[](uint32_t id) const;
};

// An object as reports show it: which object it is (address and the line that made it known), its type, size and
// allocation site; format 2: its own name (a module's, a class's...) and, as a step of a path, the label of the
// reference that the step before holds to it (".__dict__", "['_errors']", "[17]").
struct ObjectRef {
  uint64_t addr = 0;
  uint64_t line = 0;
  uint64_t size = 0;
  uint32_t type = 0;                     // index into Names
  uint32_t site = Names::kUnknownSite;   // index into Names
  uint32_t name = Names::kNone;          // index into Names
  uint32_t via = Names::kNone;           // index into Names: in a path, what the reference to it is
};

// A named root (trace format 2) holding an object: the root's id in the trace, its name (an index into Names), the
// references it holds, its place among the trace's roots (the order they were first named in), and the label of
// its reference when the trace gave one (a frame's ".f_locals['buf']"; Names::kNone otherwise).
struct NamedHold {
  uint32_t id = 0;
  uint32_t name = 0;
  uint32_t references = 0;
  uint32_t order = 0;
  uint32_t via = Names::kNone;
};

// An object's references, where a report shows them: what makes it a root when it is one.
struct RefState {
  int64_t refcount = 0;
  uint64_t external = 0;  // refcount minus the references live objects hold, never below 0
  bool immortal = false;
  std::vector<NamedHold> named_roots;  // format 2: the named roots holding it, in root order

  static RefState of(const Object& o) { return {o.refcount, o.immortal() ? 0 : o.external(), o.immortal(), {}}; }
};

// Builds a result's Names while the analysis turns model objects into ObjectRefs.
class Namer {
 public:
  explicit Namer(const SymbolTable& symbols) : symbols_(&symbols) {}
  ObjectRef ref(const Object& o) { return {o.addr, o.line, o.size, type(o.type), site(o.site)}; }
  // With the object's own name (format 2).
  ObjectRef ref(const Model& model, ObjSlot slot) {
    ObjectRef r = ref(model.object(slot));
    r.name = label(model.name(slot));
    return r;
  }
  // The steps of a path of slots, each with the label of the reference the step before holds to it.
  std::vector<ObjectRef> path(const Model& model, const std::vector<ObjSlot>& slots);
  // A label's text in Names, Names::kNone for none.
  uint32_t label(LabelIdx l);
  // The object's references, with the named roots that hold it (`holders` indexes them; see named_roots.h).
  RefState state(const Model& model, const NamedRootHolders& holders, ObjSlot slot);
  uint32_t type(TypeIdx t);
  uint32_t site(StackIdx s);  // Names::kUnknownSite for the unknown site
  // The names gathered so far; the Namer starts afresh.
  Names take();

 private:
  uint32_t intern(std::vector<uint32_t>& ids, uint32_t index, std::string text);
  const SymbolTable* symbols_;
  std::vector<uint32_t> type_ids_, site_ids_, label_ids_;  // trace index -> name index + 1; 0 until first used
  std::vector<std::pair<uint32_t, std::string>> root_names_;  // root index -> name index, and the name it stood for
  Names names_;
};

// The trace a result was taken from.
struct TraceFacts {
  std::string path;  // as given ("-" for stdin)
  std::string name;  // as messages show it
  std::string encoding;
  int version = 0;
  RefsMode refs = RefsMode::Exact;
  bool truncated = false;
  std::vector<std::pair<std::string, std::string>> metadata;  // in trace order
  uint64_t anomalies = 0;  // counted up to the point the result describes

  static TraceFacts of(const TraceInfo& info, const Model& model);
};

// A point of the trace: a marker (label as the user gave it, LABEL or LABEL#N) and the line it resolved to. An
// empty label is the end of the trace (for a window's start: its beginning).
struct Point {
  std::string label;
  uint64_t line = 0;
};

struct Window {
  Point from, to;
};

}  // namespace refscope
