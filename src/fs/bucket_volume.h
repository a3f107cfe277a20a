// Opening a bucket's file layer volume to serve it (a mount, an NFS export): the one place
// a bucket becomes a file volume (BucketRecord::file_volume), after which the S3 gateway
// serves the volume's files as the bucket's objects (fs/volume_objects.h) and refuses to
// write objects there, so one namespace never hides another.
//
// - A bucket the registry knows, whose volume is new: it must hold no S3 object (they
//   would hide behind the files; importing objects as files is not built). The flag is
//   set first and the bucket looked at again, so an object an S3 PUT landed meanwhile is
//   seen: the flag is taken back and the open refused.
// - A bucket with a volume from before the flag existed: flagged if it holds no object,
//   else left as it was (its objects S3's, its files the mounts'), said in *note.
// - A bucket the registry does not know (S3 cannot name it), or no registry: the volume
//   opens as it always did.
// Errors: kFailedPrecondition naming an object the bucket holds; the registry's (a
// cluster without a leader: kUnavailable); Volume::Open's. Threads: any.
#pragma once

#include <memory>
#include <string>

#include "client/object_api.h"
#include "cluster/registry.h"
#include "fs/volume.h"

namespace ccow::fs {

Result<std::unique_ptr<Volume>> OpenBucketVolume(ObjectApi& api, Registry* registry, const std::string& bucket_path,
                                                 VolumeOptions options = {}, std::string* note = nullptr);

}  // namespace ccow::fs
