// Status and Result<T>: errors as values, the only way errors cross a layer boundary.
//
// A Status carries a code that callers branch on and a message written for the person
// who will read it (what failed, on which object or chunk, and what to do about it).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/check.h"

namespace ccow {

enum class Code : int {
  kOk = 0,
  kNotFound = 1,
  kAlreadyExists = 2,
  kInvalidArgument = 3,
  kCorruption = 4,   // stored bytes do not match their hash, or a decoder found bad input
  kIOError = 5,
  kNoSpace = 6,      // the medium is full; nothing was acknowledged
  kBusy = 7,         // a resource (a data directory) is held by another process
  kConflict = 8,     // an optimistic update lost a race; retrying may succeed
  kUnsupported = 9,
  kInternal = 10,
  kUnavailable = 11,  // not enough peers answered in time; retrying later may succeed
  // A version-list write refused by a garbage-collection fence: the chunks it references
  // were answered before a pass began pinning; touch them again (pinning them) and retry.
  kFenced = 12,
  // A write's condition on the current version (S3 If-Match / If-None-Match) did not
  // hold when it committed; nothing was written. Retrying as is fails the same way.
  kFailedPrecondition = 13,
  // The version is under Object Lock (a retention period or a legal hold, model/
  // version_list.h ObjectLock): it may not be deleted, and its lock not shortened, until
  // the retention passes or the hold is lifted. S3 answers 403 AccessDenied.
  kLocked = 14,
  // The caller may not do this: a wrong or missing credential (an inter-segment link's
  // token), or a resource not offered to it.
  kPermissionDenied = 15,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status NoSpace(std::string m) { return {Code::kNoSpace, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Fenced(std::string m) { return {Code::kFenced, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Locked(std::string m) { return {Code::kLocked, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  // Maps an errno from a failed system call; ENOSPC and EDQUOT become kNoSpace.
  static Status FromErrno(int err, const std::string& context);
  // A POSIX refusal of the file layer (ENOTDIR, EISDIR, ENOTEMPTY...): the code is the
  // nearest general one (ENOENT kNotFound, EEXIST kAlreadyExists, ENOTEMPTY kConflict,
  // EACCES/EPERM kPermissionDenied, ENOSPC kNoSpace, others kInvalidArgument), and
  // posix_errno() gives the exact errno for the file gateways (a sub-code, as RocksDB's).
  static Status Posix(int err, std::string m);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  // The errno a file gateway answers: the one Posix() was given, else the code's nearest
  // (kNotFound ENOENT, kAlreadyExists EEXIST, kNoSpace ENOSPC, kPermissionDenied EACCES,
  // kInvalidArgument EINVAL, kUnsupported ENOTSUP, kBusy/kConflict EBUSY... others EIO);
  // 0 when OK.
  int posix_errno() const;
  bool IsCorruption() const { return code_ == Code::kCorruption; }

  // "not found: object Hawaii/Cola/bk1/x has no versions"
  std::string ToString() const;

  // Prefixes the message with context, keeping the code.
  Status WithContext(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  int errno_ = 0;  // set by Posix()
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    CCOW_CHECK_MSG(!status_.ok(), "a Result built from an OK status carries no value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Reading the value of an error is a bug in the caller (it must test ok() first).
  T& value() & {
    CCOW_CHECK_MSG(ok(), status_.ToString().c_str());
    return *value_;
  }
  const T& value() const& {
    CCOW_CHECK_MSG(ok(), status_.ToString().c_str());
    return *value_;
  }
  T&& value() && {
    CCOW_CHECK_MSG(ok(), status_.ToString().c_str());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ccow

// Returns early from the enclosing function when a Status is not OK.
#define CCOW_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::ccow::Status _st = (expr);              \
    if (!_st.ok()) return _st;                \
  } while (0)

#define CCOW_CONCAT_INNER(a, b) a##b
#define CCOW_CONCAT(a, b) CCOW_CONCAT_INNER(a, b)
// Binds the value of a Result to `lhs` or returns its Status.
#define CCOW_ASSIGN_OR_RETURN(lhs, expr)                          \
  auto CCOW_CONCAT(_res_, __LINE__) = (expr);                     \
  if (!CCOW_CONCAT(_res_, __LINE__).ok())                         \
    return CCOW_CONCAT(_res_, __LINE__).status();                 \
  lhs = std::move(CCOW_CONCAT(_res_, __LINE__)).value()
