// S3 Object Lock's wire forms: the bucket's ObjectLockConfiguration, an object version's
// Retention and LegalHold documents, and the x-amz-object-lock-* request and response
// headers. What a lock means (who may delete what, when) is decided below, in the version
// list (model/version_list.h ObjectLock) and the registry (cluster/cluster_state.h
// ObjectLockConfig, kept in the bucket's registry record); these functions only translate, with AWS's error codes.
// Stateless; nothing throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/s3/s3_error.h"
#include "http/http_exchange.h"
#include "model/version_list.h"

namespace ccow::s3 {

// <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>
//   [<Rule><DefaultRetention><Mode>GOVERNANCE|COMPLIANCE</Mode><Days>n</Days>|<Years>n</Years>
//   </DefaultRetention></Rule>]</ObjectLockConfiguration>. *out gets enabled and the default
// (none without a Rule). MalformedXML for a wrong shape; InvalidArgument for a period that
// is not a positive number (at most 36500 days or 100 years).
S3Error ParseObjectLockConfiguration(std::string_view body, ObjectLockConfig* out);
std::string ObjectLockConfigurationXml(const ObjectLockConfig& config);

// <Retention><Mode/><RetainUntilDate/></Retention>; both absent removes the retention
// (mode kNone). MalformedXML for one without the other, an unknown mode or a bad date.
S3Error ParseRetention(std::string_view body, LockMode* mode, uint64_t* retain_until_ns);
std::string RetentionXml(LockMode mode, uint64_t retain_until_ns);
// <LegalHold><Status>ON|OFF</Status></LegalHold>
S3Error ParseLegalHold(std::string_view body, bool* on);
std::string LegalHoldXml(bool on);

// The lock a PutObject, CopyObject or CreateMultipartUpload asks for in its headers:
// x-amz-object-lock-mode with -retain-until-date (both or neither), and -legal-hold
// (ON or OFF). *given says whether any was sent. InvalidArgument (400) as AWS words it
// for one without the other, an unknown mode or value, a bad date or one not after now_ns.
S3Error LockFromHeaders(const http::HttpRequest& req, uint64_t now_ns, ObjectLock* out, bool* given);
// The bucket's default retention from now_ns (Days are 24 hours, Years 365 days); an
// empty lock when the bucket has none.
ObjectLock DefaultRetention(const ObjectLockConfig& config, uint64_t now_ns);
// x-amz-object-lock-mode, -retain-until-date and -legal-hold of a GET or HEAD.
void AddLockHeaders(const ObjectLock& lock, http::HeaderList* headers);

}  // namespace ccow::s3
