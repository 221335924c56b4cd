#pragma once
// Dense 32-bit ids, one type per kind of thing, so that a type id cannot be passed where a stack id is expected.
#include <cstdint>
#include <functional>

namespace refscope {

template <typename Tag>
struct Id {
  uint32_t value = 0;
  constexpr Id() = default;
  constexpr explicit Id(uint32_t v) : value(v) {}
  constexpr bool operator==(const Id&) const = default;
  constexpr auto operator<=>(const Id&) const = default;
};

// Index into SymbolTable's types; 0 is the unknown type.
using TypeIdx = Id<struct TypeTag>;
// Index into SymbolTable's stack nodes; 0 is the unknown site (and the parent of outermost frames).
using StackIdx = Id<struct StackTag>;
// Index into SymbolTable's named roots (trace format 2); 0 is never a root.
using RootIdx = Id<struct RootTag>;
// Index into SymbolTable's labels (trace format 2); 0 is "no label".
using LabelIdx = Id<struct LabelTag>;
// Slot of a live object in the model's object table. Slots are reused after a free.
using ObjSlot = Id<struct ObjTag>;

}  // namespace refscope

template <typename Tag>
struct std::hash<refscope::Id<Tag>> {
  size_t operator()(refscope::Id<Tag> id) const noexcept { return std::hash<uint32_t>{}(id.value); }
};
