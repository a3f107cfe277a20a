#include "fs/bucket_volume.h"

namespace ccow::fs {
namespace {

// Something of the bucket's S3 namespace, if it holds any: an object, one whose newest
// version is a delete marker, a system key (a snapview), or a multipart upload under way
// (what DeleteBucket counts, so that a flagged bucket never holds what S3 could no longer
// reach).
Result<std::optional<std::string>> AnyObject(ObjectApi& api, const std::string& bucket_path) {
  ListOptions o;
  o.prefix = bucket_path + "/";
  o.limit = 1;
  o.include_delete_markers = true;
  o.include_system_keys = true;
  CCOW_ASSIGN_OR_RETURN(ListResult page, api.List(o));
  if (!page.names.empty()) return std::optional<std::string>(page.names.front());
  // A tenant's uploads under way: SEG/TEN/.uploads/BKT/UPLOAD (s3_handler.h UploadRecordName).
  const size_t b = bucket_path.rfind('/');
  o.prefix = bucket_path.substr(0, b) + "/.uploads/" + bucket_path.substr(b + 1) + "/";
  o.include_system_keys = false;
  CCOW_ASSIGN_OR_RETURN(page, api.List(o));
  if (!page.names.empty()) return std::optional<std::string>("a multipart upload under way (" + page.names.front() + ")");
  return std::optional<std::string>();
}

Status HoldsObjects(const std::string& bucket_path, const std::string& object) {
  return Status::FailedPrecondition("bucket " + bucket_path + " holds S3 objects (" + object +
                                    "): a file volume is made on an empty bucket (importing objects as files "
                                    "is not built yet); use another bucket, or move its objects out first");
}

// Sets the bucket's flag (a read-modify-write on its revision, retried when another
// change got in first).
Status SetFlag(Registry& registry, const std::string& segment, const std::string& tenant, const std::string& bucket,
               bool on) {
  Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto state = registry.current();  // keeps the record alive
    CCOW_ASSIGN_OR_RETURN(const BucketRecord* record, state->FindBucket(segment, tenant, bucket));
    if (record->file_volume == on) return Status::OK();
    BucketRecord next = *record;
    next.file_volume = on;
    last = registry.Propose(command::UpdateBucket{segment, tenant, bucket, next, record->revision});
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

}  // namespace

Result<std::unique_ptr<Volume>> OpenBucketVolume(ObjectApi& api, Registry* registry, const std::string& bucket_path,
                                                 VolumeOptions options, std::string* note) {
  CCOW_ASSIGN_OR_RETURN(std::string home, Volume::HomeOf(bucket_path));
  if (registry) {
    const size_t a = bucket_path.find('/'), b = bucket_path.find('/', a + 1);
    const std::string segment = bucket_path.substr(0, a), tenant = bucket_path.substr(a + 1, b - a - 1),
                      bucket = bucket_path.substr(b + 1);
    auto state = registry->current();
    auto record = state->FindBucket(segment, tenant, bucket);
    if (record.ok() && !(*record)->file_volume) {
      auto vm = api.Stat(home, {});
      if (!vm.ok() && !vm.status().IsNotFound()) return vm.status().WithContext("volume home " + home);
      const bool made = vm.ok() && !(vm->flags & VersionManifest::kFlagDeleteMarker);
      CCOW_ASSIGN_OR_RETURN(auto object, AnyObject(api, bucket_path));
      if (object && !made) return HoldsObjects(bucket_path, *object);
      if (object) {
        if (note)
          *note = "bucket " + bucket_path + " holds S3 objects besides its volume (made before file volumes were " +
                  "S3's view): S3 shows its objects, not its files";
      } else {
        CCOW_RETURN_IF_ERROR(SetFlag(*registry, segment, tenant, bucket, true).WithContext("bucket " + bucket_path));
        auto again = AnyObject(api, bucket_path);
        if (!again.ok() || *again) {
          // Taken back: the bucket stays S3's (a failure to take it back is said with the refusal).
          Status back = SetFlag(*registry, segment, tenant, bucket, false);
          Status why = again.ok() ? HoldsObjects(bucket_path, **again) : again.status();
          return back.ok() ? why : why.WithContext("(the bucket's file volume flag stays set: " + back.ToString() + ")");
        }
      }
    }
  }
  return Volume::Open(api, home, std::move(options));
}

}  // namespace ccow::fs
