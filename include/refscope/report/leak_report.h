#pragma once
// The `leaks` report: the window, totals by kind, groups, and the largest objects with the path that retains them.
#include <string>

#include "refscope/analysis/leak_analysis.h"
#include "refscope/report/json_writer.h"
#include "refscope/report/render.h"

namespace refscope {

void leaks_text(const LeaksResult& r, Output& out);
void leaks_json(const LeaksResult& r, Output& out);
// The group table, exact counts.
void leaks_tsv(const LeaksResult& r, Output& out);

inline constexpr Renderers<LeaksResult> kLeakRenderers{.text = leaks_text, .json = leaks_json, .tsv = leaks_tsv};

// Pieces `check` and baselines share: a group's type/site/stack/kind members (null for dimensions the grouping
// leaves out), written into the open JSON object; the suppressions as a text section and as a JSON array.
void group_fields(JsonWriter& w, const GroupNames& names);
std::string suppressions_text(const std::vector<Suppression>& list, uint64_t objects, uint64_t bytes);
void suppressions_json(JsonWriter& w, const std::vector<Suppression>& list);

// Retained paths alike (report/objects.h, path_shape, with the same named roots at their start), as the text,
// JSON and HTML reports group them: for each listed object, the index of the first listed object whose path is
// like its own (itself when it is the first, and for objects without a path), and for each first one how many
// more are like it.
struct PathGroups {
  std::vector<size_t> first;
  std::vector<size_t> more;
};
PathGroups path_groups(const std::vector<LeakObject>& listed, const Names& names);

}  // namespace refscope
