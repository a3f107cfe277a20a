#include "fs/bucket_volume.h"

namespace ccow::fs {
namespace {

// Some object of the bucket, if it holds any.
Result<std::optional<std::string>> AnyObject(ObjectApi& api, const std::string& bucket_path) {
  ListOptions o;
  o.prefix = bucket_path + "/";
  o.limit = 1;
  CCOW_ASSIGN_OR_RETURN(ListResult page, api.List(o));
  if (page.names.empty()) return std::optional<std::string>();
  return std::optional<std::string>(page.names.front());
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
        CCOW_ASSIGN_OR_RETURN(object, AnyObject(api, bucket_path));
        if (object) {
          (void)SetFlag(*registry, segment, tenant, bucket, false);
          return HoldsObjects(bucket_path, *object);
        }
      }
    }
  }
  return Volume::Open(api, home, std::move(options));
}

}  // namespace ccow::fs
