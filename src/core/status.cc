#include "core/status.h"

#include <cerrno>
#include <cstring>

namespace ccow {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "I/O error";
    case Code::kNoSpace: return "no space";
    case Code::kBusy: return "busy";
    case Code::kConflict: return "conflict";
    case Code::kUnsupported: return "unsupported";
    case Code::kInternal: return "internal error";
    case Code::kUnavailable: return "unavailable";
    case Code::kFenced: return "fenced";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kLocked: return "locked";
    case Code::kPermissionDenied: return "permission denied";
  }
  return "unknown";
}

Status Status::FromErrno(int err, const std::string& context) {
  std::string msg = context + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return NoSpace(msg);
  if (err == ENOENT) return NotFound(msg);
  if (err == EEXIST) return AlreadyExists(msg);
  if (err == EWOULDBLOCK) return Busy(msg);
  return IOError(msg);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Posix(int err, std::string m) {
  Code code = Code::kInvalidArgument;
  switch (err) {
    case ENOENT: code = Code::kNotFound; break;
    case EEXIST: code = Code::kAlreadyExists; break;
    case ENOTEMPTY: code = Code::kConflict; break;
    case EACCES: case EPERM: code = Code::kPermissionDenied; break;
    case ENOSPC: code = Code::kNoSpace; break;
    default: break;
  }
  Status s(code, std::move(m));
  s.errno_ = err;
  return s;
}

int Status::posix_errno() const {
  if (errno_) return errno_;
  switch (code_) {
    case Code::kOk: return 0;
    case Code::kNotFound: return ENOENT;
    case Code::kAlreadyExists: return EEXIST;
    case Code::kInvalidArgument: return EINVAL;
    case Code::kNoSpace: return ENOSPC;
    case Code::kPermissionDenied: case Code::kLocked: return EACCES;
    case Code::kUnsupported: return ENOTSUP;
    case Code::kBusy: case Code::kConflict: return EBUSY;
    case Code::kUnavailable: return EAGAIN;
    default: return EIO;
  }
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  Status s(code_, context + ": " + message_);
  s.errno_ = errno_;
  return s;
}

}  // namespace ccow
