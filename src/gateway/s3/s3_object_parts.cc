#include "gateway/s3/s3_object_parts.h"

#include <charconv>

#include "core/hash.h"

namespace ccow::s3 {
namespace {

// A decimal of at most 19 digits (no sign, no leading '+'), all of `text`.
bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string EncodePartSizes(const std::vector<uint64_t>& sizes) {
  std::string out;
  for (size_t i = 0; i < sizes.size();) {
    size_t j = i;
    while (j < sizes.size() && sizes[j] == sizes[i]) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sizes[i]);
    if (j - i > 1) out += "*" + std::to_string(j - i);
    i = j;
  }
  return out;
}

std::optional<std::vector<uint64_t>> DecodePartSizes(std::string_view text) {
  std::vector<uint64_t> sizes;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view run = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // trailing ','
    size_t star = run.find('*');
    uint64_t size = 0, count = 1;
    if (!ParseU64(run.substr(0, star), &size)) return std::nullopt;
    if (star != std::string_view::npos && (!ParseU64(run.substr(star + 1), &count) || count == 0))
      return std::nullopt;
    if (count > kMaxPartNumber - sizes.size()) return std::nullopt;
    sizes.insert(sizes.end(), count, size);
  }
  if (sizes.empty()) return std::nullopt;
  return sizes;
}

std::vector<uint64_t> PartSizesOf(const std::map<std::string, std::string>& user_metadata) {
  auto it = user_metadata.find(kPartSizesKey);
  if (it == user_metadata.end()) return {};
  auto sizes = DecodePartSizes(it->second);
  return sizes ? std::move(*sizes) : std::vector<uint64_t>();
}

std::optional<ObjectChecksum> PartChecksumOf(const std::map<std::string, std::string>& user_metadata,
                                             const ObjectChecksum& whole, uint32_t part_number) {
  const size_t digest_size = ObjectChecksum::DigestSize(whole.algo);
  auto it = user_metadata.find(kPartChecksumsKey);
  if (it == user_metadata.end() || digest_size == 0 || part_number < 1) return std::nullopt;
  const size_t hex = 2 * digest_size, at = (part_number - 1) * hex;
  if (it->second.size() % hex != 0 || at + hex > it->second.size()) return std::nullopt;
  auto raw = FromHex(std::string_view(it->second).substr(at, hex));
  if (!raw.ok()) return std::nullopt;
  return ObjectChecksum{whole.algo, false, 0, std::move(*raw)};
}

S3Error ParsePartNumber(std::string_view text, uint32_t* part_number) {
  uint64_t n = 0;
  if (!ParseU64(text, &n) || n < 1 || n > kMaxPartNumber)
    return MakeError(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
  *part_number = static_cast<uint32_t>(n);
  return S3Error::None();
}

S3Error PartOf(const std::vector<uint64_t>& sizes, uint64_t object_size, uint32_t part_number, PartSpan* out) {
  auto beyond = MakeError(416, "InvalidPartNumber", "The requested partnumber is not satisfiable");
  if (sizes.empty()) {
    if (part_number != 1) return beyond;
    *out = {0, object_size};
    return S3Error::None();
  }
  if (part_number < 1 || part_number > sizes.size()) return beyond;
  uint64_t offset = 0;
  for (uint32_t i = 0; i + 1 < part_number; ++i) offset += sizes[i];
  *out = {offset, sizes[part_number - 1]};
  return S3Error::None();
}

S3Error MultipartEtag(const std::vector<std::string>& part_etags, std::string* etag) {
  std::string md5s;
  for (const auto& e : part_etags) {
    auto raw = e.size() == 32 ? FromHex(e) : Result<std::string>(Status::InvalidArgument("not an MD5"));
    if (!raw.ok())
      return MakeError(400, "InvalidPart",
                       "One or more of the specified parts could not be found. The part may not have been "
                       "uploaded, or the specified entity tag may not match the part's entity tag.");
    md5s += *raw;
  }
  Md5 md5;
  md5.Update(md5s.data(), md5s.size());
  *etag = md5.HexFinal() + "-" + std::to_string(part_etags.size());
  return S3Error::None();
}

}  // namespace ccow::s3
