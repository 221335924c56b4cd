#include "object_catalog.h"

#include <array>
#include <string>

namespace refscope_bench {
namespace {

constexpr std::array<TypeInfo, ObjectCatalog::kTypes> kTypeTable{{
    {1, "builtins.dict", true, 10},
    {2, "builtins.list", true, 10},
    {3, "builtins.tuple", true, 20},
    {4, "builtins.str", false, 25},
    {5, "builtins.int", false, 10},
    {6, "builtins.float", false, 5},
    {7, "builtins.bytes", false, 5},
    {8, "builtins.function", true, 3},
    {9, "app.model.Node", true, 8},
    {10, "app.cache.Entry", true, 4},
}};

// A small call tree: ID PARENT LINE FUNCTION FILE.
constexpr std::array<const char*, ObjectCatalog::kSites> kStackNodes{{
    "S 1 0 1 <module> app/main.py",
    "S 2 1 42 run app/main.py",
    "S 3 2 17 load app/cache.py",
    "S 4 2 88 handle app/server.py",
    "S 5 4 120 parse app/parser.py",
    "S 6 3 9 __init__ app/cache.py",
    "S 7 5 61 make_node app/model.py",
    "S 8 4 203 render app/views/page.py",
}};

}  // namespace

uint32_t NewObject::block_bytes() const { return size + static_cast<uint32_t>(gc_offset()); }

uint64_t NewObject::gc_offset() const { return ObjectCatalog::type(type).gc_tracked ? 16 : 0; }

const TypeInfo& ObjectCatalog::type(uint32_t id) { return kTypeTable[id - 1]; }

void ObjectCatalog::write_declarations(TraceWriter& out) {
  std::string line;
  for (const TypeInfo& t : kTypeTable) {
    line = "T " + std::to_string(t.id) + " " + t.name;
    out.line(line);
  }
  for (const char* s : kStackNodes) out.line(s);
}

NewObject ObjectCatalog::of_type(uint32_t type, bench_rng& meta, bench_rng& sizes) {
  uint32_t size = 0;
  switch (type) {
    case 1: size = 48; break;                                                       // dict (table not counted)
    case 2: size = 40; break;                                                       // list (items not counted)
    case 3: size = 24 + 8 * (1 + static_cast<uint32_t>(bench_rng_below(&sizes, 8))); break;  // tuple of 1..8
    case 4: {                                                                       // str: mostly short
      uint64_t r = bench_rng_below(&sizes, 100);
      size = 49 + static_cast<uint32_t>(r < 90 ? bench_rng_below(&sizes, 40) : bench_rng_below(&sizes, 400));
      break;
    }
    case 5: size = 28; break;
    case 6: size = 24; break;
    case 7: {                                                                       // bytes: now and then big
      uint64_t r = bench_rng_below(&sizes, 100);
      size = 33 + static_cast<uint32_t>(r < 95 ? bench_rng_below(&sizes, 200) : bench_rng_below(&sizes, 3000));
      break;
    }
    case 8: size = 144; break;
    case 9: size = 48; break;
    default: size = 56; break;
  }
  uint32_t site = static_cast<uint32_t>(bench_rng_below(&meta, kSites + 1));  // 0: unknown
  return NewObject{type, size, site};
}

NewObject ObjectCatalog::pick(bench_rng& meta, bench_rng& sizes) {
  uint32_t r = static_cast<uint32_t>(bench_rng_below(&meta, 100));
  uint32_t type = kTypes;
  for (const TypeInfo& t : kTypeTable) {
    if (r < t.weight) {
      type = t.id;
      break;
    }
    r -= t.weight;
  }
  return of_type(type, meta, sizes);
}

NewObject ObjectCatalog::pick_churn(bench_rng& meta, bench_rng& sizes) {
  uint32_t size = bench_churn_size(&sizes);
  uint32_t type = 1 + static_cast<uint32_t>(bench_rng_below(&meta, kTypes));
  uint32_t site = static_cast<uint32_t>(bench_rng_below(&meta, kSites + 1));
  return NewObject{type, size, site};
}

}  // namespace refscope_bench
