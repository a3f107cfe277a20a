#include "isgw/isgw_wire.h"

#include "model/encoding.h"

namespace ccow::isgw {
namespace {

Encoder Start(RecordKind kind) {
  Encoder e;
  e.PutU8(static_cast<uint8_t>(kind));
  e.PutU8(kWireVersion);
  return e;
}

// A decoder positioned after the record header, which it checked.
Decoder Open(std::string_view bytes, RecordKind kind, const char* what) {
  Decoder d(bytes, what);
  if (bytes.size() > kMaxBodyBytes) d.Fail("larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  d.GetRecordHeader(kind, kWireVersion);
  return d;
}

uint64_t Count(Decoder& d, size_t min_item, size_t limit, const char* of) {
  const uint64_t n = d.GetCount(min_item);
  if (n > limit) d.Fail(std::string("more ") + of + " than " + std::to_string(limit));
  return d.status().ok() ? n : 0;
}

// (name, list digest) items, names strictly increasing: digests requests and names replies.
void PutItems(Encoder& e, const std::vector<DigestsRequest::Item>& items) {
  e.PutVarint(items.size());
  for (const auto& i : items) {
    e.PutBytes(i.name);
    e.PutHashId(i.digest);
  }
}
void GetItems(Decoder& d, std::vector<DigestsRequest::Item>* items) {
  const uint64_t n = Count(d, 2 + 17, kMaxNames, "names");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    DigestsRequest::Item item;
    item.name = d.GetBytes();
    item.digest = d.GetHashId();
    if (!items->empty() && !(items->back().name < item.name)) d.Fail("names out of order");
    items->push_back(std::move(item));
  }
}

template <typename T>
Result<T> Done(Decoder& d, T value) {
  CCOW_RETURN_IF_ERROR(d.Finish());
  return value;
}

}  // namespace

HashId ListDigest(const VersionList& list) {
  Encoder e;
  e.PutBytes(list.name());
  e.PutVarint(list.versions().size());
  for (const auto& v : list.versions()) e.PutHashId(v.vm_chid);
  e.PutVarint(list.quarantine().size());
  for (const auto& q : list.quarantine()) {
    e.PutHashId(q.version.vm_chid);
    e.PutVarint(q.deleted_at_ns);
  }
  e.PutVarint(list.snapshots().size());
  for (const auto& s : list.snapshots()) {
    e.PutBytes(s.name);
    e.PutVarint(s.created_ns);
    e.PutHashId(s.version.vm_chid);
  }
  // The tombstones of deleted snapshots, only when there are some (a list without keeps
  // the digest it had before they existed): two lists that differ only by one must still
  // differ, or the deletion would never travel on (a site that had the snapshot keeps it).
  if (!list.snapshot_tombstones().empty()) {
    e.PutVarint(list.snapshot_tombstones().size());
    for (const auto& t : list.snapshot_tombstones()) {
      e.PutBytes(t.name);
      e.PutVarint(t.created_ns);
    }
  }
  return HashBytes(HashAlgo::kSha256, e.data());
}

std::string Encode(const DigestsRequest& m) {
  Encoder e = Start(RecordKind::kIsgwDigestsRequest);
  e.PutBytes(m.service);
  e.PutBytes(m.bucket);
  PutItems(e, m.items);
  return e.Take();
}
Result<DigestsRequest> DecodeDigestsRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwDigestsRequest, "isgw digests request");
  DigestsRequest m;
  m.service = d.GetBytes();
  m.bucket = d.GetBytes();
  GetItems(d, &m.items);
  return Done(d, std::move(m));
}

std::string Encode(const DigestsReply& m) {
  Encoder e = Start(RecordKind::kIsgwDigestsReply);
  e.PutVarint(m.differ.size());
  for (uint32_t i : m.differ) e.PutVarint(i);
  e.PutU8(m.metadata_only);
  return e.Take();
}
Result<DigestsReply> DecodeDigestsReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwDigestsReply, "isgw digests reply");
  DigestsReply m;
  const uint64_t n = Count(d, 1, kMaxNames, "indexes");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    const uint64_t index = d.GetVarint();
    if (index >= kMaxNames || (!m.differ.empty() && index <= m.differ.back())) d.Fail("indexes out of order");
    m.differ.push_back(static_cast<uint32_t>(index));
  }
  m.metadata_only = d.GetU8();
  if (m.metadata_only > 2) d.Fail("unknown metadata-only mode " + std::to_string(m.metadata_only));
  return Done(d, std::move(m));
}

std::string Encode(const HaveRequest& m) {
  Encoder e = Start(RecordKind::kIsgwHaveRequest);
  e.PutBytes(m.service);
  e.PutVarint(m.chids.size());
  for (const auto& c : m.chids) e.PutHashId(c);
  return e.Take();
}
Result<HaveRequest> DecodeHaveRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwHaveRequest, "isgw have request");
  HaveRequest m;
  m.service = d.GetBytes();
  const uint64_t n = Count(d, 17, kMaxChunksPerHave, "chunks");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) m.chids.push_back(d.GetHashId());
  return Done(d, std::move(m));
}

std::string Encode(const HaveReply& m) {
  Encoder e = Start(RecordKind::kIsgwHaveReply);
  e.PutVarint(m.want.size());
  std::string bits((m.want.size() + 7) / 8, '\0');
  for (size_t i = 0; i < m.want.size(); ++i)
    if (m.want[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
  e.PutRaw(bits);
  return e.Take();
}
Result<HaveReply> DecodeHaveReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwHaveReply, "isgw have reply");
  HaveReply m;
  const uint64_t n = d.GetVarint();
  if (n > kMaxChunksPerHave) d.Fail("more chunks than " + std::to_string(kMaxChunksPerHave));
  const uint64_t nbytes = d.status().ok() ? (n + 7) / 8 : 0;
  if (d.status().ok() && d.remaining() < nbytes) d.Fail("truncated bitmap");
  if (d.status().ok()) {
    m.want.resize(n);
    for (uint64_t b = 0; b < nbytes; ++b) {
      const uint8_t byte = d.GetU8();
      for (int bit = 0; bit < 8; ++bit) {
        const uint64_t i = b * 8 + bit;
        if (i < n) m.want[i] = (byte >> bit) & 1;
        else if ((byte >> bit) & 1) d.Fail("bits set past the last chunk");
      }
    }
  }
  return Done(d, std::move(m));
}

std::string Encode(const ChunksRequest& m) {
  Encoder e = Start(RecordKind::kIsgwChunksRequest);
  e.PutBytes(m.service);
  e.PutBytes(m.bucket);
  e.PutVarint(m.chunks.size());
  for (const auto& c : m.chunks) {
    e.PutHashId(c.chid);
    e.PutBytes(c.bytes);
  }
  return e.Take();
}
Result<ChunksRequest> DecodeChunksRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwChunksRequest, "isgw chunks request");
  ChunksRequest m;
  m.service = d.GetBytes();
  m.bucket = d.GetBytes();
  const uint64_t n = Count(d, 18, 100'000, "chunks");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    ChunksRequest::Chunk c;
    c.chid = d.GetHashId();
    c.bytes = d.GetBytes();
    m.chunks.push_back(std::move(c));
  }
  return Done(d, std::move(m));
}

std::string Encode(const ChunksReply& m) {
  Encoder e = Start(RecordKind::kIsgwChunksReply);
  e.PutVarint(m.stored_new);
  e.PutVarint(m.deduplicated);
  return e.Take();
}
Result<ChunksReply> DecodeChunksReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwChunksReply, "isgw chunks reply");
  ChunksReply m;
  m.stored_new = d.GetVarint();
  m.deduplicated = d.GetVarint();
  return Done(d, std::move(m));
}

std::string Encode(const MergeRequest& m) {
  Encoder e = Start(RecordKind::kIsgwMergeRequest);
  e.PutBytes(m.service);
  e.PutBytes(m.bucket);
  e.PutVarint(m.lists.size());
  for (const auto& l : m.lists) e.PutBytes(l);
  return e.Take();
}
Result<MergeRequest> DecodeMergeRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwMergeRequest, "isgw merge request");
  MergeRequest m;
  m.service = d.GetBytes();
  m.bucket = d.GetBytes();
  const uint64_t n = Count(d, 1, kMaxNames, "lists");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) m.lists.push_back(d.GetBytes());
  return Done(d, std::move(m));
}

std::string Encode(const MergeReply& m) {
  Encoder e = Start(RecordKind::kIsgwMergeReply);
  e.PutVarint(m.results.size());
  for (const auto& r : m.results) {
    e.PutU8(r.code);
    e.PutU8(r.changed ? 1 : 0);
    e.PutBytes(r.message);
  }
  return e.Take();
}
Result<MergeReply> DecodeMergeReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwMergeReply, "isgw merge reply");
  MergeReply m;
  const uint64_t n = Count(d, 3, kMaxNames, "results");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) {
    MergeReply::Result r;
    r.code = d.GetU8();
    const uint8_t changed = d.GetU8();
    if (changed > 1) d.Fail("bad changed flag");
    r.changed = changed == 1;
    r.message = d.GetBytes();
    m.results.push_back(std::move(r));
  }
  return Done(d, std::move(m));
}

std::string Encode(const FetchRequest& m) {
  Encoder e = Start(RecordKind::kIsgwFetchRequest);
  e.PutBytes(m.service);
  e.PutVarint(m.chids.size());
  for (const auto& c : m.chids) e.PutHashId(c);
  e.PutU8(m.hops);
  return e.Take();
}
Result<FetchRequest> DecodeFetchRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwFetchRequest, "isgw fetch request");
  FetchRequest m;
  m.service = d.GetBytes();
  const uint64_t n = Count(d, 17, kMaxChunksPerFetch, "chunks");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) m.chids.push_back(d.GetHashId());
  m.hops = d.GetU8();
  if (d.status().ok() && m.hops > kMaxFetchHops)
    return Status::InvalidArgument("isgw fetch request: " + std::to_string(m.hops) + " hops (at most " +
                                   std::to_string(kMaxFetchHops) + ")");
  return Done(d, std::move(m));
}

std::string Encode(const FetchReply& m) {
  Encoder e = Start(RecordKind::kIsgwFetchReply);
  e.PutVarint(m.chunks.size());
  for (const auto& c : m.chunks) e.PutBytes(c);
  return e.Take();
}
Result<FetchReply> DecodeFetchReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwFetchReply, "isgw fetch reply");
  FetchReply m;
  const uint64_t n = Count(d, 1, kMaxChunksPerFetch, "chunks");
  for (uint64_t i = 0; i < n && d.status().ok(); ++i) m.chunks.push_back(d.GetBytes());
  return Done(d, std::move(m));
}

std::string Encode(const NamesRequest& m) {
  Encoder e = Start(RecordKind::kIsgwNamesRequest);
  e.PutBytes(m.service);
  e.PutBytes(m.bucket);
  e.PutBytes(m.start_after);
  e.PutVarint(m.limit);
  return e.Take();
}
Result<NamesRequest> DecodeNamesRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwNamesRequest, "isgw names request");
  NamesRequest m;
  m.service = d.GetBytes();
  m.bucket = d.GetBytes();
  m.start_after = d.GetBytes();
  const uint64_t limit = d.GetVarint();
  if (limit == 0 || limit > kMaxNames) d.Fail("a page limit of " + std::to_string(limit) + " names");
  m.limit = static_cast<uint32_t>(limit);
  return Done(d, std::move(m));
}

std::string Encode(const NamesReply& m) {
  Encoder e = Start(RecordKind::kIsgwNamesReply);
  PutItems(e, m.items);
  e.PutU8(m.more ? 1 : 0);
  return e.Take();
}
Result<NamesReply> DecodeNamesReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwNamesReply, "isgw names reply");
  NamesReply m;
  GetItems(d, &m.items);
  const uint8_t more = d.GetU8();
  if (more > 1) d.Fail("bad more flag");
  m.more = more == 1;
  return Done(d, std::move(m));
}

std::string Encode(const BucketRequest& m) {
  Encoder e = Start(RecordKind::kIsgwBucketRequest);
  e.PutBytes(m.service);
  e.PutBytes(m.create_bucket);
  return e.Take();
}
Result<BucketRequest> DecodeBucketRequest(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwBucketRequest, "isgw bucket request");
  BucketRequest m;
  m.service = d.GetBytes();
  m.create_bucket = d.GetBytes();
  return Done(d, std::move(m));
}

std::string Encode(const BucketReply& m) {
  Encoder e = Start(RecordKind::kIsgwBucketReply);
  e.PutU8(m.created ? 1 : 0);
  return e.Take();
}
Result<BucketReply> DecodeBucketReply(std::string_view bytes) {
  Decoder d = Open(bytes, RecordKind::kIsgwBucketReply, "isgw bucket reply");
  BucketReply m;
  const uint8_t created = d.GetU8();
  if (created > 1) d.Fail("bad created flag");
  m.created = created == 1;
  return Done(d, std::move(m));
}

}  // namespace ccow::isgw
