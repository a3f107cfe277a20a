// S3 on a file volume bucket (BucketRecord::file_volume): its objects are its volume's
// files, read and listed from the last checkpoint through fs/volume_objects.h (no byte
// copied into an object). Writes go through the file gateways (NFS, FUSE) until S3 writes
// into a volume are built; S3 refuses them here with a message that says so.

#include "fs/volume_objects.h"
#include "gateway/s3/s3_handler.h"

namespace ccow::s3 {

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
  const HttpRequest& req = ctx.req;
  const bool read = (req.method == "GET" || req.method == "HEAD") && !ctx.key.empty();
  if (read) {
    bool plain = true;
    for (const char* sub : {"uploadId", "uploads", "tagging", "acl", "retention", "legal-hold", "attributes", "torrent"})
      plain = plain && !req.HasQuery(sub);
    if (plain) return false;
  }
  SendError(ctx, MakeError(405, "MethodNotAllowed",
                           "Bucket " + bucket.name +
                               " is a file volume: its objects are its files, written over NFS or FUSE "
                               "(ccow gateway nfs, ccow mount). S3 reads and lists them; writing them, and object "
                               "subresources, are not supported through S3 yet."));
  return true;
}

}  // namespace ccow::s3
