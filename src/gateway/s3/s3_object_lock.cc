#include "gateway/s3/s3_object_lock.h"

#include "gateway/s3/iso_date.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/xml_reader.h"

namespace ccow::s3 {

namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;
constexpr uint64_t kDay = 86'400 * kSecond;

std::optional<LockMode> ParseMode(std::string_view s) {
  if (s == "GOVERNANCE") return LockMode::kGovernance;
  if (s == "COMPLIANCE") return LockMode::kCompliance;
  return std::nullopt;
}

// A date as AWS accepts it, in ns; nullopt before 1970 or unparsable.
std::optional<uint64_t> DateNs(std::string_view s) {
  auto ms = ParseAwsDate(xml::TrimSpace(s));
  if (!ms || *ms < 0) return std::nullopt;
  return static_cast<uint64_t>(*ms) * 1'000'000ull;
}

S3Error Invalid(std::string message) { return MakeError(400, "InvalidArgument", std::move(message)); }

}  // namespace

S3Error ParseObjectLockConfiguration(std::string_view body, ObjectLockConfig* out) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "ObjectLockConfiguration", &doc, &root));
  std::string enabled;
  S3_RETURN_IF_ERROR(xml::ChildText(root, "ObjectLockEnabled", true, &enabled));
  if (xml::TrimSpace(enabled) != "Enabled") return xml::Malformed("<ObjectLockEnabled> must be Enabled");
  ObjectLockConfig c;
  c.enabled = true;
  pugi::xml_node rule;
  S3_RETURN_IF_ERROR(xml::OnlyChild(root, "Rule", &rule));
  if (rule) {
    pugi::xml_node def;
    S3_RETURN_IF_ERROR(xml::OnlyChild(rule, "DefaultRetention", &def));
    if (!def) return xml::Malformed("<Rule> needs <DefaultRetention>");
    std::string mode;
    S3_RETURN_IF_ERROR(xml::ChildText(def, "Mode", true, &mode));
    auto m = ParseMode(xml::TrimSpace(mode));
    if (!m) return xml::Malformed("<Mode> must be GOVERNANCE or COMPLIANCE");
    int64_t days = 0, years = 0;
    bool has_days = false, has_years = false;
    S3_RETURN_IF_ERROR(xml::ChildInt(def, "Days", false, &days, &has_days));
    S3_RETURN_IF_ERROR(xml::ChildInt(def, "Years", false, &years, &has_years));
    if (has_days == has_years) return xml::Malformed("<DefaultRetention> needs <Days> or <Years>, not both");
    if ((has_days && (days <= 0 || days > 36500)) || (has_years && (years <= 0 || years > 100)))
      return Invalid("Default retention period must be a positive integer value (at most 100 years)");
    c.default_mode = static_cast<uint8_t>(*m);
    c.default_days = static_cast<uint32_t>(days);
    c.default_years = static_cast<uint32_t>(years);
  }
  *out = c;
  return S3Error::None();
}

std::string ObjectLockConfigurationXml(const ObjectLockConfig& config) {
  XmlWriter w;
  w.Open("ObjectLockConfiguration", true);
  if (config.enabled) w.Element("ObjectLockEnabled", "Enabled");
  if (config.default_mode != 0) {
    w.Open("Rule");
    w.Open("DefaultRetention");
    w.Element("Mode", LockModeName(static_cast<LockMode>(config.default_mode)));
    if (config.default_days) w.Element("Days", std::to_string(config.default_days));
    if (config.default_years) w.Element("Years", std::to_string(config.default_years));
  }
  return w.Finish();
}

S3Error ParseRetention(std::string_view body, LockMode* mode, uint64_t* retain_until_ns) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "Retention", &doc, &root));
  std::string m, until;
  bool has_mode = false, has_until = false;
  S3_RETURN_IF_ERROR(xml::ChildText(root, "Mode", false, &m, &has_mode));
  S3_RETURN_IF_ERROR(xml::ChildText(root, "RetainUntilDate", false, &until, &has_until));
  if (has_mode != has_until) return xml::Malformed("<Retention> needs both <Mode> and <RetainUntilDate>, or neither");
  if (!has_mode) {
    *mode = LockMode::kNone;
    *retain_until_ns = 0;
    return S3Error::None();
  }
  auto parsed = ParseMode(xml::TrimSpace(m));
  if (!parsed) return xml::Malformed("<Mode> must be GOVERNANCE or COMPLIANCE");
  auto ns = DateNs(until);
  if (!ns) return xml::Malformed("<RetainUntilDate> is not an ISO 8601 date");
  *mode = *parsed;
  *retain_until_ns = *ns;
  return S3Error::None();
}

std::string RetentionXml(LockMode mode, uint64_t retain_until_ns) {
  XmlWriter w;
  w.Open("Retention", true);
  w.Element("Mode", LockModeName(mode));
  w.Element("RetainUntilDate", FormatAwsDate(retain_until_ns));
  return w.Finish();
}

S3Error ParseLegalHold(std::string_view body, bool* on) {
  pugi::xml_document doc;
  pugi::xml_node root;
  S3_RETURN_IF_ERROR(xml::LoadRoot(body, "LegalHold", &doc, &root));
  std::string status;
  S3_RETURN_IF_ERROR(xml::ChildText(root, "Status", true, &status));
  std::string_view s = xml::TrimSpace(status);
  if (s != "ON" && s != "OFF") return xml::Malformed("<Status> must be ON or OFF");
  *on = s == "ON";
  return S3Error::None();
}

std::string LegalHoldXml(bool on) {
  XmlWriter w;
  w.Open("LegalHold", true);
  w.Element("Status", on ? "ON" : "OFF");
  return w.Finish();
}

S3Error LockFromHeaders(const http::HttpRequest& req, uint64_t now_ns, ObjectLock* out, bool* given) {
  const std::string* mode = req.Header("x-amz-object-lock-mode");
  const std::string* until = req.Header("x-amz-object-lock-retain-until-date");
  const std::string* hold = req.Header("x-amz-object-lock-legal-hold");
  *given = mode || until || hold;
  ObjectLock lock;
  if ((mode == nullptr) != (until == nullptr))
    return Invalid("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
  if (mode) {
    auto m = ParseMode(*mode);
    if (!m) return Invalid("Unknown wormMode directive: x-amz-object-lock-mode is GOVERNANCE or COMPLIANCE");
    auto ns = DateNs(*until);
    if (!ns) return Invalid("The retain until date must be an ISO 8601 date");
    if (*ns <= now_ns) return Invalid("The retain until date must be in the future!");
    lock.mode = *m;
    lock.retain_until_ns = *ns;
  }
  if (hold) {
    if (*hold != "ON" && *hold != "OFF") return Invalid("Legal Hold must be either of 'ON' or 'OFF'");
    lock.legal_hold = *hold == "ON";
  }
  *out = lock;
  return S3Error::None();
}

ObjectLock DefaultRetention(const ObjectLockConfig& config, uint64_t now_ns) {
  ObjectLock lock;
  if (!config.enabled || config.default_mode == 0) return lock;
  lock.mode = static_cast<LockMode>(config.default_mode);
  lock.retain_until_ns = now_ns + (config.default_days ? config.default_days * kDay : config.default_years * 365 * kDay);
  return lock;
}

void AddLockHeaders(const ObjectLock& lock, http::HeaderList* headers) {
  if (lock.mode != LockMode::kNone) {
    headers->emplace_back("x-amz-object-lock-mode", LockModeName(lock.mode));
    headers->emplace_back("x-amz-object-lock-retain-until-date", FormatAwsDate(lock.retain_until_ns));
  }
  if (lock.legal_hold) headers->emplace_back("x-amz-object-lock-legal-hold", "ON");
}

}  // namespace ccow::s3
