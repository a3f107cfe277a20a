// ObjectApi::Get: walks a version's merkle tree, reading only the chunks that overlap
// the requested range and verifying each one. A payload chunk of an erasure-coded version
// that cannot be read is rebuilt from its stripe (client/stripe_reader.h).
#include <deque>
#include <future>
#include <optional>

#include "client/object_api.h"
#include "client/stripe_reader.h"
#include "core/check.h"

namespace ccow {
namespace {

// Reads overlapping payload chunks a few ahead on worker threads, so that disk reads and
// hash verification of later chunks overlap with writing earlier ones to the sink.
class TreeReader {
 public:
  static constexpr size_t kReadAhead = 4;

  // stripes: the version's, when it is erasure coded; null otherwise.
  // cipher: opens the version's sealed payload chunks; null when it is not encrypted.
  TreeReader(Backend* backend, const std::string& name, ByteSink* sink, bool parallel_io,
             StripeReader* stripes, const ChunkCipher* cipher)
      : backend_(backend), name_(name), sink_(sink), stripes_(stripes), cipher_(cipher), parallel_io_(parallel_io) {}

  // Emits bytes [begin, end) of the object covered by refs.
  Status Read(const std::vector<ChunkRef>& refs, uint64_t begin, uint64_t end) {
    // A single-chunk object is read inline: a thread would only add latency.
    parallel_ = parallel_io_ && (refs.size() > 1 ||
                                 (!refs.empty() && refs[0].kind == ChunkKind::kChunkManifest));
    CCOW_RETURN_IF_ERROR(Walk(refs, begin, end, 0));
    while (!window_.empty()) CCOW_RETURN_IF_ERROR(Drain());
    return Status::OK();
  }

 private:
  struct Pending {
    ChunkRef ref;
    uint64_t from, to;  // slice of the chunk to emit
    std::future<std::pair<Status, std::string>> bytes;
  };

  Status Walk(const std::vector<ChunkRef>& refs, uint64_t begin, uint64_t end, int depth) {
    if (depth > 16) return Status::Corruption("object " + name_ + ": manifest tree too deep");
    for (const auto& ref : refs) {
      uint64_t ref_end = ref.offset + ref.length;
      if (ref_end <= begin) continue;
      if (ref.offset >= end) break;
      if (ref.kind == ChunkKind::kChunkManifest) {
        std::string buf;
        CCOW_RETURN_IF_ERROR(backend_->GetChunk(ref.chid, &buf));
        auto cm = ChunkManifest::Decode(buf);
        if (!cm.ok()) return cm.status().WithContext("chunk " + ref.chid.ToString());
        if (cm->refs.front().offset != ref.offset ||
            cm->refs.back().offset + cm->refs.back().length != ref_end)
          return Status::Corruption("chunk manifest " + ref.chid.ToString() +
                                    " does not cover the range its parent says");
        CCOW_RETURN_IF_ERROR(Walk(cm->refs, begin, end, depth + 1));
        continue;
      }
      if (window_.size() >= kReadAhead) CCOW_RETURN_IF_ERROR(Drain());
      Backend* backend = backend_;
      StripeReader* stripes = stripes_;
      const ChunkCipher* cipher = cipher_;
      Chid chid = ref.chid;
      window_.push_back({ref, std::max(begin, ref.offset) - ref.offset,
                         std::min(end, ref_end) - ref.offset,
                         std::async(parallel_ ? std::launch::async : std::launch::deferred,
                                    [backend, stripes, cipher, chid] {
                           std::string out;
                           Status st = backend->GetChunk(chid, &out);
                           // Any failure, not only a missing chunk: a replica failing its
                           // CHID or a target not answering is what parity is for.
                           if (!st.ok() && stripes) {
                             auto rebuilt = stripes->Rebuild(chid, st);
                             if (rebuilt.ok()) {
                               out = std::move(*rebuilt);
                               st = Status::OK();
                             } else {
                               st = rebuilt.status();
                             }
                           }
                           // Opened on the worker too: decryption overlaps the sink's writes.
                           if (st.ok() && cipher) {
                             std::string plain;
                             st = cipher->Open(out, &plain);
                             if (!st.ok()) st = st.WithContext("chunk " + chid.ToString());
                             out = std::move(plain);
                           }
                           return std::make_pair(st, std::move(out));
                         })});
    }
    return Status::OK();
  }

  // Writes the oldest chunk in the window to the sink.
  Status Drain() {
    Pending p = std::move(window_.front());
    window_.pop_front();
    auto [st, buf] = p.bytes.get();
    if (!st.ok()) {
      Abandon();
      return st;
    }
    if (buf.size() != p.ref.length) {
      Abandon();
      return Status::Corruption("chunk " + p.ref.chid.ToString() + " of " + name_ + " is " +
                                std::to_string(buf.size()) + " bytes, its reference says " +
                                std::to_string(p.ref.length));
    }
    Status wst = sink_->Write(std::string_view(buf).substr(p.from, p.to - p.from));
    if (!wst.ok()) Abandon();
    return wst;
  }

  void Abandon() {
    for (auto& p : window_) p.bytes.wait();
    window_.clear();
  }

  Backend* backend_;
  const std::string& name_;
  ByteSink* sink_;
  StripeReader* stripes_;
  const ChunkCipher* cipher_;
  std::deque<Pending> window_;
  bool parallel_io_;
  bool parallel_ = false;
};

// The cipher that opens an encrypted version's chunks (null when it is not encrypted).
Result<std::shared_ptr<const ChunkCipher>> CipherFor(const VersionManifest& vm, const KeyResolver* keys) {
  if (vm.encryption.empty()) return std::shared_ptr<const ChunkCipher>();
  if (!keys || !*keys)
    return Status::InvalidArgument("object " + vm.name + " is encrypted (" +
                                   (vm.encryption.source == ObjectEncryption::KeySource::kCustomerKey
                                        ? "with a customer key, SSE-C: give that key to read it"
                                        : "with a master key of the segment, which this process does not hold") +
                                   ")");
  CCOW_ASSIGN_OR_RETURN(auto cipher, (*keys)(vm.encryption));
  CCOW_CHECK(cipher != nullptr);
  return cipher;
}

// Streams bytes [begin, end) of the version `entry` names (vm) into sink.
Status ReadVersion(Backend* backend, const VersionManifest& vm, const VersionEntry& entry,
                   uint64_t begin, uint64_t end, ByteSink& sink, bool parallel_io, const KeyResolver* keys) {
  if (begin >= end) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(auto cipher, CipherFor(vm, keys));
  // A small object is inside its manifest, verified with it when it was read.
  if (vm.is_inline()) {
    if (!cipher) return sink.Write(std::string_view(vm.inline_payload).substr(begin, end - begin));
    std::string plain;
    Status opened = cipher->Open(vm.inline_payload, &plain);
    if (!opened.ok()) return opened.WithContext("object " + vm.name);
    return sink.Write(std::string_view(plain).substr(begin, end - begin));
  }
  // Declared before the tree reader: its workers use it until the reader is gone.
  std::optional<StripeReader> stripes;
  if (entry.erasure_coded())
    stripes.emplace(backend, vm.name, entry.vm_chid, entry.ec_chid, parallel_io);
  TreeReader reader(backend, vm.name, &sink, parallel_io, stripes ? &*stripes : nullptr, cipher.get());
  return reader.Read(vm.root_refs, begin, end);
}

}  // namespace

Status ObjectApi::Get(const std::string& name, const VersionSelector& which,
                      const std::optional<ByteRange>& range, ByteSink& sink, ObjectInfo* info,
                      const KeyResolver* keys) {
  VersionEntry entry;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(name, which, &entry));
  if (vm.flags & VersionManifest::kFlagDeleteMarker)
    return Status::NotFound("object " + vm.name + " generation " + std::to_string(vm.generation) +
                            " is a delete marker");
  uint64_t begin = 0, end = vm.size;
  if (range) {
    if (range->offset > vm.size || (range->offset == vm.size && vm.size > 0))
      return Status::InvalidArgument("range starts at " + std::to_string(range->offset) +
                                     ", beyond the object's " + std::to_string(vm.size) +
                                     " bytes");
    begin = range->offset;
    if (range->length) end = begin + std::min(*range->length, vm.size - begin);
  }
  if (info) {
    *info = InfoFromManifest(vm, entry.vm_chid);
    info->lock = entry.lock;
    info->storage_class = entry.storage_class;
    info->null_version = entry.is_null_version();
  }
  return ReadVersion(backend_.get(), vm, entry, begin, end, sink, options_.parallel_io, keys ? keys : &options_.keys);
}

Status ObjectApi::Read(const std::string& name, const VersionSelector& which,
                       const OpenCallback& on_open, ByteSink& sink, const KeyResolver* keys) {
  VersionEntry entry;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(name, which, &entry));
  ObjectInfo opened = InfoFromManifest(vm, entry.vm_chid);
  opened.lock = entry.lock;
  opened.storage_class = entry.storage_class;
  opened.null_version = entry.is_null_version();
  CCOW_ASSIGN_OR_RETURN(std::optional<ByteRange> range, on_open(opened));
  if (range && range->length && *range->length == 0) return Status::OK();
  if (vm.flags & VersionManifest::kFlagDeleteMarker)
    return Status::NotFound("object " + vm.name + " generation " + std::to_string(vm.generation) +
                            " is a delete marker");
  uint64_t begin = 0, end = vm.size;
  if (range) {
    if (range->offset > vm.size || (range->offset == vm.size && vm.size > 0))
      return Status::InvalidArgument("range starts beyond the object's end");
    begin = range->offset;
    if (range->length) end = begin + std::min(*range->length, vm.size - begin);
  }
  return ReadVersion(backend_.get(), vm, entry, begin, end, sink, options_.parallel_io, keys ? keys : &options_.keys);
}

}  // namespace ccow
