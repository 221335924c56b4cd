#pragma once
// The `sharing` report: refcount and owner histograms, shared objects by type, the most shared (or most
// retaining) objects.
#include <string>

#include "refscope/analysis/sharing.h"
#include "refscope/reader/symbols.h"
#include "refscope/report/format.h"

namespace refscope {

struct SharingReport {
  std::string at;  // the marker, empty for the end of the trace
  uint64_t at_line = 0;
  SharingSort sort = SharingSort::Refcount;
  size_t limit = 20;
  size_t type_limit = 20;  // text: rows of the by-type table (0: all); JSON lists all
};

Json sharing_json(const SharingResult& r, const SharingReport& o, const Model& m, const SymbolTable& s);
std::string sharing_text(const SharingResult& r, const SharingReport& o, const Model& m, const SymbolTable& s);
// The objects table only, one row an object.
std::string sharing_tsv(const SharingResult& r, const Model& m, const SymbolTable& s);

}  // namespace refscope
