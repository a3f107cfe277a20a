// S3 on a file volume bucket (BucketRecord::file_volume): its objects are its volume's
// files. Reads and listings come from the last checkpoint through fs/volume_objects.h (no
// byte copied into an object). A PUT stores its body as one chunk per block of the file
// without holding the volume, then takes the volume (shared with the process's mounts and
// NFS export: fs/volume_host.h) to lay them as the file in one step (Volume::PutFile, as
// ProxyFS's "put complete") and checkpoints before it answers; a DELETE removes the file.
// POST uploads, copies, multipart uploads and object subresources answer 405.

#include <cerrno>

#include "client/byte_stream.h"
#include "core/hash.h"
#include "fs/volume_objects.h"
#include "gateway/s3/s3_handler.h"

namespace ccow::s3 {
namespace {

// A write the volume refused: its checkpoint, when another process serving the volume
// checkpointed first (its message says so), is a conflict; the rest as any write's.
S3Error WriteError(const Status& st) {
  if (st.code() == Code::kFailedPrecondition) return MakeError(409, "OperationAborted", st.message());
  return ErrorFromStatus(st);
}

}  // namespace

Status S3Handler::ReadKey(RequestContext& ctx, const BucketInfo& bucket, const VersionSelector& which,
                          const ObjectApi::OpenCallback& on_open, ByteSink& sink, const KeyResolver* keys) {
  if (!bucket.record.file_volume) return api_->Read(ObjectName(ctx), which, on_open, sink, keys);
  if (which.generation) return Status::NotFound("a file has one version, \"null\"");
  CCOW_ASSIGN_OR_RETURN(auto view, fs::VolumeObjects::Open(*api_, buckets_.BucketPath(bucket.tenant, bucket.name)));
  return view->Read(ctx.key, on_open, sink);
}

Result<ListResult> S3Handler::ListKeys(const BucketInfo& bucket, const ListOptions& options) {
  if (!bucket.record.file_volume) return api_->List(options);
  CCOW_ASSIGN_OR_RETURN(auto view, fs::VolumeObjects::Open(*api_, buckets_.BucketPath(bucket.tenant, bucket.name)));
  return view->List(options);
}

bool S3Handler::RefusedByFileVolume(RequestContext& ctx, const BucketInfo& bucket) {
  if (!bucket.record.file_volume) return false;
  SendError(ctx, MakeError(405, "MethodNotAllowed",
                           "Bucket " + bucket.name +
                               " is a file volume: S3 reads, writes (PUT) and deletes its files; POST uploads, "
                               "copies, multipart uploads and object subresources are not supported there yet."));
  return true;
}

void S3Handler::FileObjectRequest(RequestContext& ctx, const BucketInfo& bucket) {
  const HttpRequest& req = ctx.req;
  const std::string& m = req.method;
  bool plain = true;
  for (const char* sub : {"uploadId", "uploads", "tagging", "acl", "retention", "legal-hold", "attributes", "torrent",
                          "restore", "select"})
    plain = plain && !req.HasQuery(sub);
  auto allowed = [&](AccessCheck check) {
    S3Error e = Authorize(ctx, bucket, check);
    if (!e.ok()) SendError(ctx, e);
    return e.ok();
  };
  const bool read = m == "GET" || m == "HEAD";
  if (plain && read) return GetObject(ctx, bucket, m == "HEAD");  // authorized there, the file known
  // Authorized before anything is said of the bucket.
  if (!allowed(read ? AccessCheck{"s3:GetObject", AclScope::kBucket, kPermRead}
                    : AccessCheck{m == "DELETE" ? "s3:DeleteObject" : "s3:PutObject", AclScope::kBucket, kPermWrite}))
    return;
  if (plain && m == "PUT" && !req.Header("x-amz-copy-source")) return PutFile(ctx, bucket);
  if (plain && m == "DELETE" && !req.HasQuery("versionId")) return DeleteFile(ctx, bucket);
  (void)RefusedByFileVolume(ctx, bucket);
}

Result<std::shared_ptr<fs::SharedVolume>> S3Handler::ServedVolume(const BucketInfo& bucket) {
  const std::string path = buckets_.BucketPath(bucket.tenant, bucket.name);
  std::shared_ptr<fs::SharedVolume> served;
  if (options_.volumes && options_.open_volumes) {
    CCOW_ASSIGN_OR_RETURN(served, options_.volumes->Open(path));
  } else if (options_.volumes) {
    served = options_.volumes->Find(path);
  }
  if (!served)
    return Status::Unsupported("bucket " + bucket.name +
                                      " is a file volume that no gateway of this process serves: write it through "
                                      "the one that does (its NFS export or mount), or S3 on a server that serves it");
  return served;
}

void S3Handler::PutFile(RequestContext& ctx, const BucketInfo& bucket) {
  const HttpRequest& req = ctx.req;
  // What a file cannot keep is refused rather than dropped without a word.
  for (const char* h : {"x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm",
                        "x-amz-object-lock-mode", "x-amz-object-lock-legal-hold", "x-amz-tagging", "if-match",
                        "if-none-match", "x-amz-website-redirect-location"})
    if (req.Header(h))
      return SendError(ctx, MakeError(501, "NotImplemented",
                                      std::string("A file of a file volume cannot keep ") + h +
                                          " (its user metadata and content type are not kept either)."));
  const std::string& key = ctx.key;
  const bool directory = key.back() == '/';
  if (directory && req.content_length.value_or(0) > 0)
    return SendError(ctx, MakeError(400, "InvalidArgument", "A key ending in '/' is a directory of a file volume: no bytes."));
  PutOptions checks;
  auto body = UploadBody(ctx, 5ull << 30, "Your proposed upload exceeds the maximum allowed size (5 GiB for one PUT).",
                         &checks);
  if (!body.ok()) return SendError(ctx, ErrorFromStatus(body.status()));
  auto served = ServedVolume(bucket);
  if (!served.ok()) return SendError(ctx, ErrorFromStatus(served.status()));
  fs::SharedVolume& shared = **served;
  fs::Volume& volume = *shared.volume;
  // The body's blocks become chunks before the volume is taken, so other gateways' calls
  // go on meanwhile; the scope keeps a collection pass from judging them until the
  // checkpoint below references them.
  ObjectApi::WriteScope scope(api_.get());
  WriteFence fence;
  const uint64_t bb = volume.block_bytes();
  std::string buf(bb, '\0');
  std::vector<std::pair<uint64_t, fs::FileBlock>> blocks;
  Md5 md5;
  uint64_t size = 0;
  for (;;) {
    auto n = ReadFull(**body, buf.data(), bb);
    if (!n.ok()) return SendError(ctx, ErrorFromStatus(n.status()));
    if (*n == 0) break;
    md5.Update(buf.data(), *n);
    auto piece = volume.StoreChunk(std::string_view(buf.data(), *n), &fence);
    if (!piece.ok()) return SendError(ctx, ErrorFromStatus(piece.status()));
    blocks.push_back({size / bb, fs::FileBlock{{*piece}}});
    size += *n;
    if (*n < bb) break;
  }
  // The length, Content-MD5 and x-amz-checksum-* checks of an object's PUT.
  VersionManifest vm;
  vm.size = size;
  vm.etag = md5.HexFinal();
  if (checks.before_commit) {
    Status verified = checks.before_commit(vm);
    if (!verified.ok()) return SendError(ctx, ErrorFromStatus(verified));
  }
  std::string etag;
  {
    std::lock_guard lock(shared.mu);
    Status st;
    if (directory) {
      auto dir = volume.MakeDirectories(std::string_view(key).substr(0, key.size() - 1));
      st = dir.status();
      if (dir.ok()) etag = fs::FileEtag(*dir);
    } else {
      auto file = volume.PutFile(key, blocks, size, 0644, fence);
      st = file.status();
      if (file.ok()) etag = fs::FileEtag(*file);
    }
    if (st.ok()) st = volume.Checkpoint().status();
    if (!st.ok()) return SendError(ctx, WriteError(st));
  }
  SendEmpty(ctx, 200, {{"ETag", Quoted(etag)}, {"Content-Length", "0"}});
}

Status S3Handler::RemoveFile(fs::SharedVolume& shared, const std::string& key, bool checkpoint) {
  std::lock_guard lock(shared.mu);
  Status st = shared.volume->RemovePath(key);
  // As S3: deleting what is not there succeeds; a directory that still holds files stays,
  // as the prefix of the keys it holds would.
  if (st.IsNotFound() || st.posix_errno() == ENOTEMPTY) st = Status::OK();
  if (st.ok() && checkpoint) st = shared.volume->Checkpoint().status();
  return st;
}

void S3Handler::DeleteFile(RequestContext& ctx, const BucketInfo& bucket) {
  auto served = ServedVolume(bucket);
  if (!served.ok()) return SendError(ctx, ErrorFromStatus(served.status()));
  Status st = RemoveFile(**served, ctx.key, /*checkpoint=*/true);
  if (!st.ok()) return SendError(ctx, WriteError(st));
  SendEmpty(ctx, 204);
}

}  // namespace ccow::s3
