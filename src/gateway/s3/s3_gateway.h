// The S3 gateway: S3's REST API over the object API, so it runs unchanged on the local
// backend and on a cluster. Buckets are addressed path style, or virtual-hosted style
// (BUCKET.DOMAIN) for the configured domains (s3_addressing.h). Requests are authenticated
// with SigV4 (header, presigned query, aws-chunked bodies) or SigV2 (header, presigned
// query), s3_auth.h, against the key pairs of the registry of record;
// every tenant has its own bucket namespace under SEGMENT/TENANT/, and buckets with their
// settings live in that registry too, so any number of gateways serve one namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/object_api.h"
#include "cluster/registry.h"
#include "fs/volume_host.h"
#include "core/status.h"
#include "gateway/s3/sigv4.h"

namespace ccow::s3 {

struct S3GatewayOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;
  std::string tls_cert_file, tls_key_file;
  std::string region = "us-east-1";
  std::string segment = "ccow";        // where S3 tenants live
  // Host names whose subdomains are buckets (virtual-hosted style): with "s3.example.com",
  // Host b1.s3.example.com:9000 is bucket b1. Empty: path style only. Start refuses a
  // name that is not a host name (NormalizeDomains).
  std::vector<std::string> domains;
  Credentials default_credentials;     // the server's own pair (tenant "default" if empty)
  size_t max_connections = 1024;
  // Lifecycle rules run this often; a "day" in them lasts day_seconds (tests shorten it).
  int lifecycle_interval_seconds = 3600;
  int64_t lifecycle_day_seconds = 86400;
  // Server access logging (s3_access_log.h): where records wait for delivery (local disk;
  // "" disables PutBucketLogging), and how often they are delivered as log objects.
  std::string access_log_dir;
  int access_log_flush_seconds = 60;
  // The process's volumes (fs/volume_host.h): an S3 write into a file volume bucket goes
  // to the volume a gateway of the process serves (a mount, an NFS export), else is
  // refused; with open_volumes, one nothing serves is opened for the write. Set
  // open_volumes where the process holds the data directory: on a cluster another process
  // may serve the volume, and two serving it lose each other's checkpoints.
  std::shared_ptr<fs::VolumeHost> volumes;
  bool open_volumes = false;
};

struct S3GatewayStats {
  uint64_t requests = 0, errors = 0, bytes_in = 0, bytes_out = 0;
};

class S3Gateway {
 public:
  // Binds the listener (a port in use fails here) and starts serving on its own threads.
  static Result<std::unique_ptr<S3Gateway>> Start(std::shared_ptr<ObjectApi> api,
                                                  std::shared_ptr<Registry> registry,
                                                  S3GatewayOptions options);
  virtual ~S3Gateway() = default;
  virtual uint16_t port() const = 0;
  virtual bool tls() const = 0;
  virtual S3GatewayStats stats() const = 0;
  virtual void Stop() = 0;
};

}  // namespace ccow::s3
