// Changing a tenant's settings through the registry of record (`ccow tenant update`, issue
// 11 "policy per tenant"): a read-modify-write that names the revision it read, so that
// two operators changing different settings of one tenant at once never lose a change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cluster/registry.h"
#include "core/status.h"

namespace ccow {

// The settings to change; the others keep their current value.
struct TenantChange {
  std::optional<uint32_t> replication_count;  // 0: the cluster's default
  std::optional<uint64_t> retention_ns;       // 0: the default (7 days)
  std::optional<std::string> erasure_code;    // "": replication only
};

// Applies `change` to the tenant's current record and proposes command::UpdateTenant with
// the revision it read; when someone changed the tenant meanwhile (kConflict), reads it
// again and retries, a few times. A new erasure code is refused when the cluster cannot
// place its stripes (CheckErasurePlacement). Other errors as the state machine decided
// them (kNotFound for a missing tenant, kInvalidArgument for a bad setting).
Status ChangeTenant(Registry& registry, const std::string& segment, const std::string& tenant,
                    const TenantChange& change);

}  // namespace ccow
