// Server-side encryption in the S3 operations: the key of a new version (its request's
// SSE headers, else the bucket's default encryption) and the cipher that opens a stored
// one for a request, with AWS's errors. The sealing itself happens below the object API.
#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include "cluster/master_keys.h"
#include "gateway/s3/s3_encryption.h"
#include "gateway/s3/s3_handler.h"

namespace ccow::s3 {
namespace {

// SSE-C sends the key with every request: AWS refuses it over plain HTTP. So does ccow,
// except from the gateway's own host (a client on loopback reaches no wire).
bool Loopback(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace

S3Error S3Handler::ApplyEncryption(RequestContext& ctx, const BucketInfo& bucket, PutOptions* opts,
                                   SseRequest* sse) {
  S3Error e = ParseSseHeaders(ctx.req, /*copy_source=*/false, sse);
  if (!e.ok()) return e;
  return NewObjectKey(ctx, bucket, *sse, &opts->encryption);
}

S3Error S3Handler::NewObjectKey(RequestContext& ctx, const BucketInfo& bucket, const SseRequest& sse,
                                std::optional<ObjectKey>* out) {
  out->reset();
  if (sse.kind == SseRequest::Kind::kCustomer) {
    if (!ctx.req.secure && !Loopback(ctx.req.remote_address))
      return MakeError(400, "InvalidRequest",
                       "Requests specifying Server Side Encryption with Customer provided keys must be made over a "
                       "secure connection.");
    *out = NewCustomerKeyedKey(sse.customer_key);
    return S3Error::None();
  }
  BucketEncryption config;
  const bool by_default = !bucket.record.encryption_xml.empty() &&
                          ParseBucketEncryption(bucket.record.encryption_xml, &config).ok();
  if (sse.kind != SseRequest::Kind::kS3 && !by_default) return S3Error::None();
  auto key = NewMasterKeyedKey(*registry_, config.convergent, options_.segment + "/" + ctx.tenant);
  if (!key.ok()) return ErrorFromStatus(key.status());
  *out = std::move(*key);
  return S3Error::None();
}

S3Error S3Handler::OpenObjectKey(RequestContext& ctx, const ObjectEncryption& encryption, const SseRequest& sse,
                                 std::shared_ptr<const ChunkCipher>* out) {
  out->reset();
  using Source = ObjectEncryption::KeySource;
  const bool customer = encryption.source == Source::kCustomerKey;
  if (customer && sse.kind != SseRequest::Kind::kCustomer)
    return MakeError(400, "InvalidRequest",
                     "The object was stored using a form of Server Side Encryption. The correct parameters must be "
                     "provided to retrieve the object.");
  if (!customer && sse.kind == SseRequest::Kind::kCustomer)
    return MakeError(400, "InvalidRequest", "The encryption parameters are not applicable to this object.");
  if (encryption.empty()) return S3Error::None();
  if (customer && !ctx.req.secure && !Loopback(ctx.req.remote_address))
    return MakeError(400, "InvalidRequest",
                     "Requests specifying Server Side Encryption with Customer provided keys must be made over a "
                     "secure connection.");
  auto cipher = customer ? OpenCustomerKeyed(sse.customer_key, encryption)
                         : OpenMasterKeyed(*registry_->current(), encryption);
  if (!cipher.ok()) {
    // The wrong customer key fails GCM's tag exactly as altered bytes would: AWS answers
    // 403 to a key that does not match.
    if (customer && cipher.status().code() == Code::kCorruption)
      return MakeError(403, "AccessDenied", "The provided encryption key does not match the object's key.");
    // The object exists; its key does not open here (a master key this segment's ring
    // lacks, or a damaged record): the server's fault, not a missing key's 404.
    spdlog::error("s3: cannot open an encrypted version's key: {}", cipher.status().ToString());
    return MakeError(500, "InternalError", "The object's encryption key cannot be opened: " + cipher.status().message());
  }
  *out = std::move(*cipher);
  return S3Error::None();
}

}  // namespace ccow::s3
