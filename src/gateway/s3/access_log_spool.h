// The queue of S3 server access log records between a request and the log object that
// holds it (s3_access_log.h): a spool file on the gateway's local disk, then, in batches,
// objects put into each record's target bucket.
//
// Why a spool: a record must outlive the request's answer even when the gateway dies
// right after it, and writing an object per request would cost more than the request.
// Append writes the record to the spool file (write(2), no fsync) before the answer goes
// out, so a killed gateway loses none; Flush seals the file (fsync, then a rename) and
// delivers sealed batches. A batch's objects are named by the batch, so delivering it again
// after a crash rewrites the same keys with the same bytes: records arrive at least once
// and are never duplicated in two objects. What a power loss can still take: records
// appended since the last Flush.
//
// Errors: Append fails (kIOError, kNoSpace) when the record cannot be written: the caller
// must not answer the request as if it were logged. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"

namespace ccow::s3 {

class AccessLogSpool {
 public:
  // Where a record goes: the target bucket (its owner's tenant) and the key prefix of its
  // log objects (s3_access_log.h AccessLogPrefix: the time and unique parts follow).
  struct Destination {
    std::string tenant, bucket, prefix;
    bool partitioned = false;
  };
  // Stores one log object; a failure keeps the batch for the next Flush.
  // batch_ns: when the batch was sealed; unique: 16 characters the batch and destination
  // determine (s3_access_log.h AccessLogObjectKey).
  using Deliver = std::function<Status(const Destination& to, uint64_t batch_ns, const std::string& unique,
                                       const std::string& body)>;

  // Opens (creating) the spool directory, locked for this process (flock): a second
  // gateway given the same directory takes DIR.1, DIR.2... instead, so two processes never
  // seal each other's files. Batches left by an earlier run (whose lock died with it) are
  // delivered by the first Flush. kBusy when DIR..DIR.15 are all held.
  static Result<std::unique_ptr<AccessLogSpool>> Open(const std::string& dir);
  const std::string& dir() const { return dir_; }
  ~AccessLogSpool();

  Status Append(const Destination& to, const std::string& record_line);
  // Seals what was appended and delivers every sealed batch, oldest first.
  Status Flush(const Deliver& deliver);

 private:
  explicit AccessLogSpool(std::string dir) : dir_(std::move(dir)) {}
  Status OpenActive();
  Status Seal();
  Status DeliverBatch(const std::string& file, const Deliver& deliver);

  std::string dir_;
  std::mutex mu_;  // fd_, appended_, sequence_
  int fd_ = -1;
  int lock_fd_ = -1;  // the directory's LOCK file, flock()ed while this spool lives
  uint64_t appended_ = 0;  // records in the active file
  uint64_t sequence_ = 0;
  std::mutex flush_mu_;    // one Flush at a time
};

}  // namespace ccow::s3
