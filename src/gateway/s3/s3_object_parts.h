// What a version remembers of the multipart upload that made it, so that S3 can address
// its parts after the upload is gone: GetObject/HeadObject ?partNumber=, GetObjectAttributes'
// ObjectParts, and a repeated CompleteMultipartUpload of the same upload.
//
// The parts' sizes are kept in the version manifest's user metadata (kPartSizesKey) as
// runs, "SIZE*COUNT,SIZE" (most uploads have equal parts but the last, so 10,000 parts
// take a few bytes), and the upload id under kUploadIdKey; both are ccow's own keys
// ("x-ccow-"), never returned as headers. Stateless; nothing throws.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/s3/s3_error.h"
#include "model/version_manifest.h"

namespace ccow::s3 {

inline constexpr const char* kPartSizesKey = "x-ccow-parts";
inline constexpr const char* kUploadIdKey = "x-ccow-upload-id";
// The parts' checksums (all of the version's algorithm), their raw digests in part order,
// in hex: GetObjectAttributes' per-part checksums and a ?partNumber= GET's.
inline constexpr const char* kPartChecksumsKey = "x-ccow-part-sums";
inline constexpr uint32_t kMaxPartNumber = 10000;

std::string EncodePartSizes(const std::vector<uint64_t>& sizes);
// The sizes, or nothing for text that is not such a list (more than kMaxPartNumber parts,
// a zero count, a malformed number): a version without a usable list has one part.
std::optional<std::vector<uint64_t>> DecodePartSizes(std::string_view text);

// The part sizes a version's user metadata holds; empty when it was no multipart upload
// (or the list is unusable).
std::vector<uint64_t> PartSizesOf(const std::map<std::string, std::string>& user_metadata);

// The checksum of part `part_number` (1-based) of a version whose own checksum is `whole`:
// of whole's algorithm, from kPartChecksumsKey; nothing when the version keeps none, the
// text is damaged, or the part is beyond them.
std::optional<ObjectChecksum> PartChecksumOf(const std::map<std::string, std::string>& user_metadata,
                                             const ObjectChecksum& whole, uint32_t part_number);

// ?partNumber=N: 1..10000, else InvalidArgument as AWS words it.
S3Error ParsePartNumber(std::string_view text, uint32_t* part_number);

struct PartSpan {
  uint64_t offset = 0, length = 0;
};
// Part `part_number` (1-based) of an object of `object_size` bytes with these part sizes
// (empty: a single part, the whole object). 416 InvalidPartNumber beyond the last part.
S3Error PartOf(const std::vector<uint64_t>& sizes, uint64_t object_size, uint32_t part_number, PartSpan* out);

// The ETag AWS gives a completed multipart upload: the MD5 of the parts' binary MD5s,
// "-" and the number of parts. part_etags are hex (unquoted); InvalidPart for one that is
// not 32 hex digits.
S3Error MultipartEtag(const std::vector<std::string>& part_etags, std::string* etag);

}  // namespace ccow::s3
