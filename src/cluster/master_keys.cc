#include "cluster/master_keys.h"

#include "core/aes_gcm.h"
#include "core/check.h"

namespace ccow {
namespace {

Result<std::shared_ptr<const ChunkCipher>> CipherOf(const std::string& kek, const ObjectEncryption& record) {
  CCOW_ASSIGN_OR_RETURN(std::string data_key, UnwrapDataKey(kek, record.wrapped_key));
  CCOW_ASSIGN_OR_RETURN(ChunkCipher cipher, ChunkCipher::Create(data_key));
  return std::make_shared<const ChunkCipher>(std::move(cipher));
}

ObjectKey Wrap(const std::string& kek, std::string data_key, ObjectEncryption record) {
  record.wrapped_key = WrapDataKey(kek, data_key);
  auto cipher = ChunkCipher::Create(data_key);
  CCOW_CHECK(cipher.ok());
  return {std::move(record), std::make_shared<const ChunkCipher>(std::move(*cipher))};
}

}  // namespace

Result<std::shared_ptr<const ChunkCipher>> OpenMasterKeyed(const ClusterState& state, const ObjectEncryption& record) {
  if (record.source != ObjectEncryption::KeySource::kMasterKey)
    return Status::InvalidArgument("the version is not encrypted under a master key");
  auto it = state.master_keys().find(record.master_key_id);
  if (it == state.master_keys().end())
    return Status::NotFound("master key " + std::to_string(record.master_key_id) +
                            " is not in this segment's key ring (was the object copied from another segment?)");
  auto cipher = CipherOf(it->second, record);
  if (!cipher.ok()) return cipher.status().WithContext("master key " + std::to_string(record.master_key_id));
  return cipher;
}

KeyResolver MasterKeyResolver(std::shared_ptr<Registry> registry) {
  return MasterKeyResolver([registry] { return registry.get(); });
}

KeyResolver MasterKeyResolver(std::function<Registry*()> registry_now) {
  return [registry_now](const ObjectEncryption& record) -> Result<std::shared_ptr<const ChunkCipher>> {
    if (record.source != ObjectEncryption::KeySource::kMasterKey)
      return Status::InvalidArgument("the object is encrypted with a customer key (SSE-C): give that key to read it");
    Registry* registry = registry_now();
    if (!registry) return Status::Unavailable("the registry, which holds the master keys, is not open yet");
    auto state = registry->current();
    auto cipher = OpenMasterKeyed(*state, record);
    if (cipher.status().code() != Code::kNotFound) return cipher;
    // A key added elsewhere a moment ago: wait briefly for this process to see it.
    state = registry->WaitNewer(state->commands_applied(), std::chrono::seconds(2));
    return OpenMasterKeyed(*state, record);
  };
}

Result<ObjectKey> NewMasterKeyedKey(Registry& registry, bool convergent, const std::string& scope) {
  auto state = registry.current();
  for (int attempt = 0; state->master_keys().empty() && attempt < 5; ++attempt) {
    Status st = registry.Propose(command::AddMasterKey{1, RandomBytes(kAesKeySize)});
    // kAlreadyExists: another process made it first; read it.
    if (!st.ok() && st.code() != Code::kAlreadyExists) return st.WithContext("creating the first master key");
    state = registry.current();
  }
  if (state->master_keys().empty()) return Status::Unavailable("the master key ring is still empty; retry");
  const auto& [id, master] = *state->master_keys().rbegin();
  ObjectEncryption record;
  record.source = ObjectEncryption::KeySource::kMasterKey;
  record.convergent = convergent;
  record.master_key_id = id;
  return Wrap(master, convergent ? ChunkCipher::ConvergentKey(master, scope) : ChunkCipher::NewRandomKey(),
              std::move(record));
}

ObjectKey NewCustomerKeyedKey(const std::string& customer_key) {
  ObjectEncryption record;
  record.source = ObjectEncryption::KeySource::kCustomerKey;
  return Wrap(customer_key, ChunkCipher::NewRandomKey(), std::move(record));
}

Result<std::shared_ptr<const ChunkCipher>> OpenCustomerKeyed(const std::string& customer_key,
                                                            const ObjectEncryption& record) {
  if (record.source != ObjectEncryption::KeySource::kCustomerKey)
    return Status::InvalidArgument("the version is not encrypted under a customer key");
  return CipherOf(customer_key, record);
}

}  // namespace ccow
