#include "refscope/model/anomaly.h"

#include <fmt/format.h>

namespace refscope {

std::string_view anomaly_name(AnomalyKind kind) {
  switch (kind) {
    case AnomalyKind::UnknownObject: return "unknown-object";
    case AnomalyKind::UnknownOwner: return "unknown-owner";
    case AnomalyKind::OwnerMismatch: return "owner-mismatch";
    case AnomalyKind::RefcountUnderflow: return "refcount-underflow";
    case AnomalyKind::FreedWhileReferenced: return "freed-while-referenced";
    case AnomalyKind::AddressReused: return "address-reused";
    case AnomalyKind::ExternalNegative: return "external-negative";
    case AnomalyKind::RefcountMismatch: return "refcount-mismatch";
  }
  return "?";
}

std::string describe(const Anomaly& a) {
  switch (a.kind) {
    case AnomalyKind::UnknownObject:
      return fmt::format("0x{:x} is not a live object; I and R create it, D and F are ignored", a.addr);
    case AnomalyKind::UnknownOwner:
      return fmt::format("owner 0x{:x} is not a live object; the reference to 0x{:x} is taken as external", a.owner,
                         a.addr);
    case AnomalyKind::OwnerMismatch:
      if (a.root)
        return fmt::format("named root {} holds no reference to 0x{:x}; an external reference is released instead, "
                           "if any",
                           a.owner, a.addr);
      return fmt::format("0x{:x} holds no reference to 0x{:x}; an external reference is released instead, if any",
                         a.owner, a.addr);
    case AnomalyKind::RefcountUnderflow:
      return fmt::format("decref of 0x{:x}, which has no external reference left; ignored", a.addr);
    case AnomalyKind::FreedWhileReferenced:
      return fmt::format("0x{:x} freed with refcount {}", a.addr, a.modelled);
    case AnomalyKind::AddressReused:
      return fmt::format("0x{:x} allocated while the object there is live; the old one is taken as freed", a.addr);
    case AnomalyKind::ExternalNegative:
      return fmt::format("0x{:x} observed refcount {} is below the {} references live objects hold; set to {}",
                         a.addr, a.observed, a.modelled, a.modelled);
    case AnomalyKind::RefcountMismatch:
      return fmt::format("0x{:x} observed refcount {}, the model had {}; observed taken", a.addr, a.observed,
                         a.modelled);
  }
  return {};
}

}  // namespace refscope
