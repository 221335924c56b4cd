#pragma once
// Leak kinds (TRACE-FORMAT.md, "Leak kinds"): every object of a window gets exactly one of unowned, retained,
// indirect or cyclic, by the reachability test CPython's cyclic collector makes, run on a Graph snapshot.
//
// Four passes over flat arrays, each linear in objects plus references:
//
//   1. unowned   window objects that are roots themselves (external > 0), or whose refcount is 0 unfreed
//   2. retained  breadth-first search from the roots older than the window, keeping parents, so that
//                following parents from a retained object gives its shortest path back to an older root
//   3. indirect  the same search continued from every other root and every live object with refcount 0:
//                what it newly reaches is held only through leaks
//   4. cyclic    what no search reached is garbage; Tarjan's components over it find who is on a cycle
//                (a component of two or more, or a self-reference); the rest of the garbage is only held by
//                a cycle and is indirect
//
//        older root ──> cache ──> [entry]            retained
//        (unowned)  ──> [list] ──> [item]            unowned, indirect
//        [a] <──> [b] ──> [c]                        cyclic, cyclic, indirect
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "refscope/analysis/graph.h"
#include "refscope/model/model.h"

namespace refscope {

enum class LeakKind : uint8_t { Unowned, Retained, Indirect, Cyclic };
inline constexpr size_t kLeakKinds = 4;

std::string_view leak_kind_name(LeakKind kind);
std::optional<LeakKind> parse_leak_kind(std::string_view name);

// Which objects belong to the window: allocated after `from_line` (0: the whole trace), not made known by an
// anomaly (synthetic objects are older than every window), not immortal.
bool in_leak_window(const Object& o, uint64_t from_line);

struct LeakSet {
  std::vector<uint32_t> nodes;  // the window's objects as graph nodes, ascending (slot order)
  std::vector<LeakKind> kinds;  // parallel to nodes
  // Per graph node: the node the search from the older roots reached it from (Graph::kNone for an older root
  // itself and for nodes it did not reach). Following it from a retained object ends at the older root.
  std::vector<uint32_t> parent;
};

LeakSet classify_leaks(const Model& model, const Graph& graph, uint64_t from_line);

// The shortest path from the older root that holds a retained object to the object: root first, object last.
// Empty for objects that are not retained.
std::vector<uint32_t> retained_path(const LeakSet& leaks, uint32_t node);

}  // namespace refscope
