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

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace ccow
