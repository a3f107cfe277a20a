// The master key ring of server-side encryption (ClusterState::master_keys, replicated
// with the rest of the registry): opening the data key an encrypted version's manifest
// holds, and wrapping a new version's. Every process that has the registry (the server,
// a gateway on a cluster, the CLI) reads SSE-S3 objects the same way.
//
// Errors: kNotFound when a version names a master key the ring lacks (a registry older
// than the object, or another segment's); kCorruption when the key does not open it;
// kUnavailable when the first key cannot be committed. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cluster/registry.h"
#include "model/object_cipher.h"

namespace ccow {

// Opens a master-keyed version's data key (kInvalidArgument for any other kind).
Result<std::shared_ptr<const ChunkCipher>> OpenMasterKeyed(const ClusterState& state, const ObjectEncryption& record);
// A resolver for ApiOptions::keys over the registry's current ring. A key the ring lacks
// is waited for briefly (another gateway may have just added it).
KeyResolver MasterKeyResolver(std::shared_ptr<Registry> registry);
// The same over whatever registry registry_now() gives at each call (a process that opens
// its registry after its API): null is kUnavailable.
KeyResolver MasterKeyResolver(std::function<Registry*()> registry_now);
// The key of a new version under the newest master key (the ring's first key is made
// through the registry when it has none): a random data key, or with convergent the
// data key of `scope` ("SEGMENT/TENANT"), shared by every convergent object there.
Result<ObjectKey> NewMasterKeyedKey(Registry& registry, bool convergent, const std::string& scope);
// A new version's key under a key the client holds (SSE-C): a random data key wrapped by it.
ObjectKey NewCustomerKeyedKey(const std::string& customer_key);
// Opens a customer-keyed version's data key (kCorruption: not the key that sealed it).
Result<std::shared_ptr<const ChunkCipher>> OpenCustomerKeyed(const std::string& customer_key,
                                                            const ObjectEncryption& record);

}  // namespace ccow
