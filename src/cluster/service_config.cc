#include "cluster/service_config.h"

#include <charconv>
#include <cstring>

#include "cluster/cluster_state.h"
#include "cluster/registry.h"
#include "core/aes_gcm.h"
#include "core/config.h"
#include "model/version_signature.h"

namespace ccow {
namespace {

constexpr uint64_t kMinBatchNs = 100'000'000ull;         // 100 ms
constexpr uint64_t kMaxBatchNs = 3'600'000'000'000ull;   // 1 h
constexpr uint64_t kMaxChunkCacheBytes = 1ull << 50;     // 1 PiB: a typo, not a cache

bool ValidPort(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port >= 1 && port <= 65535;
}

// ccow://HOST:PORT (an ISGW endpoint), file:///DIR (an export directory) or
// s3://HOST[:PORT]/BUCKET (plain objects in another S3 store).
Status ValidRemote(std::string_view remote) {
  const Status bad = Status::InvalidArgument(
      "remote '" + std::string(remote) + "': expected ccow://HOST:PORT, file:///DIR or s3://HOST[:PORT]/BUCKET");
  if (remote.empty()) return Status::OK();
  if (remote.size() > 1024) return bad;
  for (char c : remote)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return bad;
  if (remote.rfind("ccow://", 0) == 0) {
    std::string_view hp = remote.substr(7);
    const size_t colon = hp.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || hp.find('/') != std::string_view::npos) return bad;
    return ValidPort(hp.substr(colon + 1)) ? Status::OK() : bad;
  }
  if (remote.rfind("file://", 0) == 0) return remote.size() > 8 && remote[7] == '/' ? Status::OK() : bad;
  if (remote.rfind("s3://", 0) == 0) {
    std::string_view rest = remote.substr(5);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) return bad;
    std::string_view host = rest.substr(0, slash);
    if (const size_t colon = host.rfind(':'); colon != std::string_view::npos && !ValidPort(host.substr(colon + 1)))
      return bad;
    return rest.find('/', slash + 1) == std::string_view::npos ? Status::OK() : bad;
  }
  return bad;
}

}  // namespace

Status ServiceConfig::Validate() const {
  CCOW_RETURN_IF_ERROR(ValidRemote(remote));
  if (direction == 0 || direction > (kSend | kReceive))
    return Status::InvalidArgument("direction must be send, receive or both");
  if (replication == 0 || replication > (kInitial | kContinuous))
    return Status::InvalidArgument("replication must be initial, continuous or both");
  if (static_cast<uint8_t>(metadata_only) > static_cast<uint8_t>(MetadataOnly::kAll))
    return Status::InvalidArgument("metadata-only must be off, versions or all");
  if (chunk_cache_bytes > kMaxChunkCacheBytes) return Status::InvalidArgument("chunk-cache-size is larger than 1 PiB");
  if (batch_interval_ns < kMinBatchNs || batch_interval_ns > kMaxBatchNs)
    return Status::InvalidArgument("batch-interval must be from 100ms to 1h");
  if (trusted_keys.size() > 1024) return Status::InvalidArgument("trusted-keys names more than 1024 sites");
  for (const auto& [site, key] : trusted_keys)
    if (site == 0 || key.size() != kSitePublicKeyBytes)
      return Status::InvalidArgument("trusted-keys: a site id of 0 or a key that is not 32 bytes");
  return Status::OK();
}

const std::vector<std::string>& ServiceSettingNames() {
  static const std::vector<std::string> names = {"remote",        "direction",        "replication",
                                                 "metadata-only", "chunk-cache-size", "batch-interval",
                                                 "trusted-keys"};
  return names;
}

Status ApplyServiceSetting(ServiceConfig* config, std::string_view key, std::string_view value) {
  ServiceConfig next = *config;
  auto choose = [&](std::initializer_list<std::pair<const char*, uint8_t>> choices, uint8_t* out) {
    std::string accepted;
    for (const auto& [word, v] : choices) {
      if (value == word) {
        *out = v;
        return Status::OK();
      }
      accepted += accepted.empty() ? word : std::string(", ") + word;
    }
    return Status::InvalidArgument(std::string(key) + " '" + std::string(value) + "': expected one of " + accepted);
  };
  if (key == "remote") {
    next.remote = std::string(value);
  } else if (key == "direction") {
    using C = ServiceConfig;
    CCOW_RETURN_IF_ERROR(choose({{"send", C::kSend}, {"receive", C::kReceive}, {"send+receive", C::kSend | C::kReceive}},
                                &next.direction));
  } else if (key == "replication") {
    using C = ServiceConfig;
    CCOW_RETURN_IF_ERROR(choose(
        {{"initial", C::kInitial}, {"continuous", C::kContinuous}, {"initial+continuous", C::kInitial | C::kContinuous}},
        &next.replication));
  } else if (key == "metadata-only") {
    uint8_t m = 0;
    CCOW_RETURN_IF_ERROR(choose({{"off", 0}, {"versions", 1}, {"all", 2}}, &m));
    next.metadata_only = static_cast<ServiceConfig::MetadataOnly>(m);
  } else if (key == "chunk-cache-size") {
    auto size = ParseSize(value);
    if (!size.ok()) return Status::InvalidArgument("chunk-cache-size " + size.status().message());
    next.chunk_cache_bytes = *size;
  } else if (key == "batch-interval") {
    auto d = ParseDuration(value);
    if (!d.ok()) return Status::InvalidArgument("batch-interval " + d.status().message());
    next.batch_interval_ns = *d;
  } else if (key == "trusted-keys") {
    next.trusted_keys.clear();
    if (value != "none" && !value.empty()) {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        uint32_t site = 0;
        std::string key_bytes;
        CCOW_RETURN_IF_ERROR(ParseSiteKeyText(value.substr(start, comma - start), &site, &key_bytes));
        if (!next.trusted_keys.emplace(site, std::move(key_bytes)).second)
          return Status::InvalidArgument("trusted-keys names site " + SiteKeyText(site, "").substr(0, 8) + " more than once");
        start = comma + 1;
      }
    }
  } else {
    std::string names;
    for (const auto& n : ServiceSettingNames()) names += (names.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("unknown service setting '" + std::string(key) + "' (" + names + ")");
  }
  CCOW_RETURN_IF_ERROR(next.Validate());
  *config = std::move(next);
  return Status::OK();
}

std::string ServiceSettingText(const ServiceConfig& config, std::string_view key) {
  using C = ServiceConfig;
  auto both = [](uint8_t bits, uint8_t one, const char* a, const char* b) -> std::string {
    if (bits == one) return a;
    if (bits == static_cast<uint8_t>(one << 1)) return b;
    return std::string(a) + "+" + b;
  };
  if (key == "remote") return config.remote;
  if (key == "direction") return both(config.direction, C::kSend, "send", "receive");
  if (key == "replication") return both(config.replication, C::kInitial, "initial", "continuous");
  if (key == "metadata-only") {
    switch (config.metadata_only) {
      case C::MetadataOnly::kOff: return "off";
      case C::MetadataOnly::kVersions: return "versions";
      case C::MetadataOnly::kAll: return "all";
    }
  }
  if (key == "chunk-cache-size") return std::to_string(config.chunk_cache_bytes);
  if (key == "batch-interval") return FormatDuration(config.batch_interval_ns);
  if (key == "trusted-keys") {
    std::string text;
    for (const auto& [site, pk] : config.trusted_keys) text += (text.empty() ? "" : ",") + SiteKeyText(site, pk);
    return text.empty() ? "none" : text;
  }
  return "";
}

Status ChangeServiceSetting(Registry& registry, const std::string& name, const std::string& key,
                            const std::string& value) {
  Status s;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto state = registry.current();
    auto it = state->services().find(name);
    if (it == state->services().end()) return Status::NotFound("no service " + name);
    command::ConfigureService c{name, it->second.config, it->second.revision};
    CCOW_RETURN_IF_ERROR(ApplyServiceSetting(&c.config, key, value));
    s = registry.Propose(c);
    if (s.code() != Code::kConflict) return s;  // else someone changed it meanwhile: again
  }
  return s;
}

BucketRecord LinkedBucketRecord(const BucketRecord& origin) {
  BucketRecord r = origin;
  r.replication_count = 0;
  r.erasure_code.clear();
  r.retention_ns = 0;
  r.logging_xml.clear();
  // A file volume's home is an internal object no link ships: the other site's bucket
  // holds the objects the link brings, not a volume.
  r.file_volume = false;
  r.revision = 0;
  return r;
}

namespace {

Result<uint32_t> EnsureSiteIdOnly(Registry& registry) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (uint32_t id = registry.current()->site_id()) return id;
    uint32_t id = 0;
    while (id == 0) {
      const std::string raw = RandomBytes(sizeof id);
      std::memcpy(&id, raw.data(), sizeof id);
    }
    Status s = registry.Propose(command::InitSite{id});
    if (s.ok() || s.code() == Code::kAlreadyExists) continue;  // read back what won
    return s;
  }
  return Status::Unavailable("the site id did not settle in the registry; try again");
}

}  // namespace

Result<uint32_t> EnsureSiteId(Registry& registry) {
  CCOW_ASSIGN_OR_RETURN(uint32_t id, EnsureSiteIdOnly(registry));
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (!registry.current()->site_key_seed().empty()) return id;
    Status s = registry.Propose(command::InitSiteKey{RandomBytes(kSiteKeySeedBytes)});
    if (s.ok() || s.code() == Code::kAlreadyExists) continue;
    return s;
  }
  return Status::Unavailable("the site's signing key did not settle in the registry; try again");
}

}  // namespace ccow
