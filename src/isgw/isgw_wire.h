// The bodies an Inter-Segment Gateway link exchanges (issue 14, docs/FORMAT.md "ISGW
// link"): HTTP POSTs to the receiving site's link endpoint, binary in the canonical
// encoding (model/encoding.h), each starting with a kind byte and a version byte. One
// parser for the whole wire format; it refuses what it cannot read with a Status, never
// allocates by a count it has not checked against the bytes, and re-encodes what it reads
// to the same bytes (a fuzz target holds it to that).
//
// A round of anti-entropy, per served bucket:
//  1. digests: the sender lists (name, ListDigest of its version list) in name order; the
//     receiver answers which differ from its own (or that it lacks).
//  2. have: the CHIDs of every manifest and chunk the differing lists reference; the
//     receiver answers which it lacks (a bitmap).
//  3. chunks: those chunks, manifests first; the receiver verifies each by its CHID.
//  4. merge: the differing lists; the receiver merges each (VersionList::MergeRemote) and
//     answers a status per list.
// Before its first round of a bucket, a sender offers the bucket (bucket): the receiver
// creates it where it is missing, with its own tenant's overrides, and serves it.
// A receiver that keeps only metadata says so in its digests reply: the sender then
// ships the version manifests (and with `all` the chunk manifests) but no payload, and
// the receiver reads the rest on demand (fetch: chunks by CHID, from the site that has
// them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "core/status.h"
#include "model/version_list.h"

namespace ccow::isgw {

// 2: digests replies say whether the receiver keeps only metadata; fetch. 3: a fetch
// says how many more sites the answerer may ask for what it lacks. A site of another
// version refuses every body ("unsupported format version").
inline constexpr uint8_t kWireVersion = 3;
// What one request may carry: its chunks batch stays well under the HTTP client's limit.
inline constexpr size_t kMaxBodyBytes = 48 << 20;
inline constexpr size_t kMaxNames = 10'000;
inline constexpr size_t kMaxChunksPerHave = 100'000;  // each is a probe at the receiver
inline constexpr size_t kMaxChunksPerFetch = 256;
// A fetch goes at most this many sites beyond the one asked (a loop of links costs a
// bounded number of requests, never a storm).
inline constexpr uint8_t kMaxFetchHops = 2;

struct DigestsRequest {
  std::string service, bucket;  // bucket: SEGMENT/TENANT/BUCKET
  struct Item {
    std::string name;  // the object's full name
    HashId digest;     // SHA-256 of its version list's encoding
    friend bool operator==(const Item&, const Item&) = default;
  };
  std::vector<Item> items;
  friend bool operator==(const DigestsRequest&, const DigestsRequest&) = default;
};
// Indexes (into the request's items) of the lists the receiver lacks or holds otherwise,
// and what of their trees it keeps (its service's metadata-only setting: 0 everything,
// 1 the version manifests, 2 every manifest).
struct DigestsReply {
  std::vector<uint32_t> differ;
  uint8_t metadata_only = 0;
  friend bool operator==(const DigestsReply&, const DigestsReply&) = default;
};

struct HaveRequest {
  std::string service;
  std::vector<HashId> chids;
  friend bool operator==(const HaveRequest&, const HaveRequest&) = default;
};
// want[i] set: the receiver lacks chids[i].
struct HaveReply {
  std::vector<bool> want;
  friend bool operator==(const HaveReply&, const HaveReply&) = default;
};

struct ChunksRequest {
  std::string service, bucket;  // the chunks are stored with the bucket's replication count
  struct Chunk {
    HashId chid;
    std::string bytes;
    friend bool operator==(const Chunk&, const Chunk&) = default;
  };
  std::vector<Chunk> chunks;
  friend bool operator==(const ChunksRequest&, const ChunksRequest&) = default;
};
struct ChunksReply {
  uint64_t stored_new = 0, deduplicated = 0;
  friend bool operator==(const ChunksReply&, const ChunksReply&) = default;
};

struct MergeRequest {
  std::string service, bucket;
  std::vector<std::string> lists;  // VersionList encodings
  friend bool operator==(const MergeRequest&, const MergeRequest&) = default;
};
struct MergeReply {
  struct Result {
    uint8_t code = 0;  // a Code (core/status.h); 0 OK
    bool changed = false;
    std::string message;
    friend bool operator==(const Result&, const Result&) = default;
  };
  std::vector<Result> results;  // one per list, in order
  friend bool operator==(const MergeReply&, const MergeReply&) = default;
};

// Chunks by CHID, for a site that keeps only metadata and reads a version's data.
struct FetchRequest {
  std::string service;
  std::vector<HashId> chids;  // at most kMaxChunksPerFetch
  // How many sites further the answerer may ask (through its other links) for the
  // chunks it lacks itself: 0 answers from what it holds; at most kMaxFetchHops.
  uint8_t hops = 0;
  friend bool operator==(const FetchRequest&, const FetchRequest&) = default;
};
// One per CHID asked, in order: its bytes, or empty when this site lacks it (or left it
// out to keep the reply under kMaxBodyBytes: ask again). The asker verifies each.
struct FetchReply {
  std::vector<std::string> chunks;
  friend bool operator==(const FetchReply&, const FetchReply&) = default;
};

// A page of a bucket's object names with their list digests, in name order, after
// start_after: what `service verify` compares with its own.
struct NamesRequest {
  std::string service, bucket, start_after;
  uint32_t limit = 0;  // 1 to kMaxNames
  friend bool operator==(const NamesRequest&, const NamesRequest&) = default;
};
struct NamesReply {
  std::vector<DigestsRequest::Item> items;  // names strictly increasing
  bool more = false;                        // another page follows the last item
  friend bool operator==(const NamesReply&, const NamesReply&) = default;
};

struct BucketRequest {
  std::string service;
  // A cluster state command (cluster/cluster_state.h EncodeCommand): the CreateBucket that
  // makes the bucket as the sender has it. The receiver reads it with the one command
  // parser and takes only what a bucket keeps at every site (LinkedBucketRecord,
  // cluster/service_config.h).
  std::string create_bucket;
  friend bool operator==(const BucketRequest&, const BucketRequest&) = default;
};
struct BucketReply {
  bool created = false;  // false: it existed
  friend bool operator==(const BucketReply&, const BucketReply&) = default;
};

// What a digests request compares: the SHA-256 of what a merge converges on at every site
// (the name; each active version's VM CHID; each quarantined one's VM CHID and deletion
// time; each snapshot's name, creation time and VM CHID; in the list's order), leaving out
// what each site keeps for itself (erasure coding, Object Lock, storage class), so that
// lists that merged equal compare equal and are not shipped again.
HashId ListDigest(const VersionList& list);

std::string Encode(const DigestsRequest& m);
std::string Encode(const DigestsReply& m);
std::string Encode(const HaveRequest& m);
std::string Encode(const HaveReply& m);
std::string Encode(const ChunksRequest& m);
std::string Encode(const ChunksReply& m);
std::string Encode(const MergeRequest& m);
std::string Encode(const MergeReply& m);
std::string Encode(const FetchRequest& m);
std::string Encode(const FetchReply& m);
std::string Encode(const NamesRequest& m);
std::string Encode(const NamesReply& m);
std::string Encode(const BucketRequest& m);
std::string Encode(const BucketReply& m);

// Each: kInvalidArgument (or kCorruption) naming what is wrong, for bytes of another kind,
// an unknown version, truncated or trailing bytes, or counts past the limits above.
Result<DigestsRequest> DecodeDigestsRequest(std::string_view bytes);
Result<DigestsReply> DecodeDigestsReply(std::string_view bytes);
Result<HaveRequest> DecodeHaveRequest(std::string_view bytes);
Result<HaveReply> DecodeHaveReply(std::string_view bytes);
Result<ChunksRequest> DecodeChunksRequest(std::string_view bytes);
Result<ChunksReply> DecodeChunksReply(std::string_view bytes);
Result<MergeRequest> DecodeMergeRequest(std::string_view bytes);
Result<MergeReply> DecodeMergeReply(std::string_view bytes);
Result<FetchRequest> DecodeFetchRequest(std::string_view bytes);
Result<FetchReply> DecodeFetchReply(std::string_view bytes);
Result<NamesRequest> DecodeNamesRequest(std::string_view bytes);
Result<NamesReply> DecodeNamesReply(std::string_view bytes);
Result<BucketRequest> DecodeBucketRequest(std::string_view bytes);
Result<BucketReply> DecodeBucketReply(std::string_view bytes);

}  // namespace ccow::isgw
