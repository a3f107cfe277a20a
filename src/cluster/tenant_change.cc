#include "cluster/tenant_change.h"

#include "cluster/erasure_placement.h"

namespace ccow {

Status ChangeTenant(Registry& registry, const std::string& segment, const std::string& tenant,
                    const TenantChange& change) {
  Status s;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto state = registry.current();
    CCOW_ASSIGN_OR_RETURN(const TenantRecord* current, state->FindTenant(segment, tenant));
    command::UpdateTenant u{segment, tenant, current->replication_count, current->retention_ns,
                            current->erasure_code, current->revision};
    if (change.replication_count) u.replication_count = *change.replication_count;
    if (change.retention_ns) u.retention_ns = *change.retention_ns;
    if (change.erasure_code) {
      u.erasure_code = *change.erasure_code;
      CCOW_RETURN_IF_ERROR(CheckErasurePlacement(*state, u.erasure_code));
    }
    s = registry.Propose(u);
    if (s.code() != Code::kConflict) return s;  // else someone changed it meanwhile: again
  }
  return s;
}

}  // namespace ccow
