// Moves the records that releases before the registry of record kept as small JSON objects
// in the store (buckets at SEGMENT/TENANT/.buckets/BUCKET, key pairs at
// SEGMENT/.system/users/ACCESS_KEY) into the registry, then drops them. Runs on the
// first start of a single-node server with this release (it walks every name of the
// segment once; done_marker, a file, records that it finished) and is idempotent: a record
// already in the registry is only dropped, so a start interrupted half-way finishes the
// move the next time.
#pragma once

#include <string>

#include "client/object_api.h"
#include "cluster/registry.h"
#include "daemon/node_registry.h"

namespace ccow::daemon {

struct MigrationReport {
  size_t buckets = 0, users = 0;
};

Result<MigrationReport> MigrateLegacyRecords(ObjectApi& api, Registry& registry, const std::string& segment,
                                             const std::string& done_marker);

// The registry of a single-node data directory, opened (daemon/node_registry.h) with the
// records of older releases moved in: what `ccow server` and the CLI on a data directory
// use. api is the object API on the directory's store (the caller holds it open).
Result<ServerRegistry> OpenSingleNodeRegistry(const std::string& data_dir, ObjectApi& api,
                                              const std::string& segment = "ccow");

}  // namespace ccow::daemon
