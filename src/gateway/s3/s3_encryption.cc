#include "gateway/s3/s3_encryption.h"

#include "core/hash.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {
namespace {

S3Error Invalid(std::string message) { return MakeError(400, "InvalidArgument", std::move(message)); }

S3Error KmsNotImplemented() {
  return MakeError(501, "NotImplemented",
                   "SSE-KMS is not supported: ccow encrypts with SSE-S3 (AES256, keys wrapped by the segment's "
                   "master key) or SSE-C (your key).");
}

std::string Md5Base64(std::string_view bytes) {
  Md5 md5;
  md5.Update(bytes.data(), bytes.size());
  auto raw = FromHex(md5.HexFinal());
  return Base64Encode(*raw);
}

}  // namespace

S3Error ParseSseHeaders(const http::HttpRequest& req, bool copy_source, SseRequest* out) {
  *out = SseRequest();
  const std::string prefix = copy_source ? "x-amz-copy-source-server-side-encryption" : "x-amz-server-side-encryption";
  const std::string* method = copy_source ? nullptr : req.Header(prefix);
  const std::string* algorithm = req.Header(prefix + "-customer-algorithm");
  const std::string* key = req.Header(prefix + "-customer-key");
  const std::string* key_md5 = req.Header(prefix + "-customer-key-md5");
  if (method) {
    if (*method == "aws:kms" || *method == "aws:kms:dsse") return KmsNotImplemented();
    if (*method != "AES256")
      return Invalid("The encryption method specified is not supported (x-amz-server-side-encryption: AES256).");
    if (algorithm || key || key_md5)
      return Invalid("Server Side Encryption with Customer provided key is incompatible with the encryption "
                     "method specified.");
    out->kind = SseRequest::Kind::kS3;
    return S3Error::None();
  }
  if (!algorithm && !key && !key_md5) return S3Error::None();
  if (!algorithm)
    return Invalid("Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
                   "encryption algorithm.");
  if (*algorithm != "AES256")
    return MakeError(400, "InvalidEncryptionAlgorithmError",
                     "The encryption request you specified is not valid. The valid value is AES256.");
  if (!key)
    return Invalid("Requests specifying Server Side Encryption with Customer provided keys must provide an "
                   "appropriate secret key.");
  auto raw = Base64Decode(*key);
  if (!raw || raw->size() != 32) return Invalid("The secret key was invalid for the specified algorithm.");
  const std::string md5 = Md5Base64(*raw);
  // AWS requires the MD5 (it guards against a key damaged in transit); so do we.
  if (!key_md5)
    return Invalid("Requests specifying Server Side Encryption with Customer provided keys must provide the "
                   "client calculated MD5 of the secret key.");
  if (*key_md5 != md5) return Invalid("The calculated MD5 hash of the key did not match the hash that was provided.");
  out->kind = SseRequest::Kind::kCustomer;
  out->customer_key = std::move(*raw);
  out->customer_key_md5 = md5;
  return S3Error::None();
}

void AddSseHeaders(const ObjectEncryption& encryption, const SseRequest& request, http::HeaderList* headers) {
  switch (encryption.source) {
    case ObjectEncryption::KeySource::kMasterKey:
      headers->emplace_back("x-amz-server-side-encryption", "AES256");
      break;
    case ObjectEncryption::KeySource::kCustomerKey:
      headers->emplace_back("x-amz-server-side-encryption-customer-algorithm", "AES256");
      if (!request.customer_key_md5.empty())
        headers->emplace_back("x-amz-server-side-encryption-customer-key-MD5", request.customer_key_md5);
      break;
    case ObjectEncryption::KeySource::kNone:
      break;
  }
}

S3Error ParseBucketEncryption(std::string_view body, BucketEncryption* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "ServerSideEncryptionConfiguration", &doc, &root));
  auto rules = xml::Children(root, "Rule");
  if (rules.size() != 1) return xml::Malformed("exactly one <Rule> is expected");
  pugi::xml_node by_default;
  S3_RETURN_IF_ERROR(xml::OnlyChild(rules[0], "ApplyServerSideEncryptionByDefault", &by_default));
  if (!by_default) return xml::Malformed("<Rule> needs <ApplyServerSideEncryptionByDefault>");
  std::string algorithm;
  S3_RETURN_IF_ERROR(xml::ChildText(by_default, "SSEAlgorithm", true, &algorithm));
  algorithm = std::string(xml::TrimSpace(algorithm));
  if (algorithm == "aws:kms" || algorithm == "aws:kms:dsse") return KmsNotImplemented();
  if (algorithm != "AES256") return xml::Malformed("<SSEAlgorithm> must be AES256");
  std::string kms;
  bool has_kms = false;
  S3_RETURN_IF_ERROR(xml::ChildText(by_default, "KMSMasterKeyID", false, &kms, &has_kms));
  if (has_kms) return Invalid("a KMSMasterKeyID applies to aws:kms only");
  BucketEncryption c;
  bool present = false;
  S3_RETURN_IF_ERROR(xml::ChildBool(rules[0], "BucketKeyEnabled", &c.bucket_key_enabled, &present));
  S3_RETURN_IF_ERROR(xml::ChildBool(rules[0], "ConvergentEncryption", &c.convergent, &present));
  *out = c;
  return S3Error::None();
}

std::string BucketEncryptionXml(const BucketEncryption& config) {
  XmlWriter w;
  w.Open("ServerSideEncryptionConfiguration", true);
  w.Open("Rule");
  w.Open("ApplyServerSideEncryptionByDefault");
  w.Element("SSEAlgorithm", "AES256");
  w.Close();
  w.Element("BucketKeyEnabled", config.bucket_key_enabled ? "true" : "false");
  if (config.convergent) w.Element("ConvergentEncryption", "true");
  w.Close();
  return w.Finish();
}

}  // namespace ccow::s3
