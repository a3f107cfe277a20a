// S3 server-side encryption's wire forms: the x-amz-server-side-encryption* request and
// response headers (SSE-S3 and SSE-C, and a copy's x-amz-copy-source-server-side-
// encryption-customer-*), and a bucket's ServerSideEncryptionConfiguration. What the
// encryption is (chunks sealed with AES-256-GCM under a data key the manifest holds
// wrapped) lives below, in model/object_cipher.h and cluster/master_keys.h; these
// functions only translate, with AWS's error codes. Stateless; nothing throws.
#pragma once

#include <string>
#include <string_view>

#include "gateway/s3/s3_error.h"
#include "http/http_exchange.h"
#include "model/version_manifest.h"

namespace ccow::s3 {

// What a request says about encryption.
struct SseRequest {
  enum class Kind : uint8_t { kNone, kS3, kCustomer };
  Kind kind = Kind::kNone;
  std::string customer_key;      // SSE-C: the key's 32 raw bytes
  std::string customer_key_md5;  // SSE-C: base64 of the key's MD5, for the response
};

// From a request's x-amz-server-side-encryption (AES256; aws:kms is 501 NotImplemented)
// and x-amz-server-side-encryption-customer-algorithm/-key/-key-MD5, or, with
// copy_source, a copy source's x-amz-copy-source-server-side-encryption-customer-*.
// Errors as AWS answers them: InvalidArgument for an unknown method, a key that is not
// 32 bytes of base64, an MD5 that does not match, SSE-C beside SSE-S3;
// InvalidEncryptionAlgorithmError for a customer algorithm other than AES256.
S3Error ParseSseHeaders(const http::HttpRequest& req, bool copy_source, SseRequest* out);

// The response headers that describe a version's encryption: x-amz-server-side-encryption
// for SSE-S3; the customer algorithm and key MD5 (from the request) for SSE-C.
void AddSseHeaders(const ObjectEncryption& encryption, const SseRequest& request, http::HeaderList* headers);

// A bucket's default encryption. convergent is ccow's own <ConvergentEncryption> in the
// Rule: SSE-S3 objects of the bucket use the tenant's convergent data key, so that equal
// chunks still deduplicate (model/object_cipher.h says what that reveals).
struct BucketEncryption {
  bool bucket_key_enabled = false;  // kept and returned; ccow has no per-request KMS cost to save
  bool convergent = false;
};
// <ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>
// <SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>
// [<BucketKeyEnabled>] [<ConvergentEncryption>]</Rule></...>. MalformedXML for another
// shape; aws:kms and aws:kms:dsse are 501 NotImplemented; other algorithms InvalidArgument.
S3Error ParseBucketEncryption(std::string_view body, BucketEncryption* out);
std::string BucketEncryptionXml(const BucketEncryption& config);

}  // namespace ccow::s3
