#include "model/object_name.h"

#include <cctype>

namespace ccow {
namespace {

constexpr size_t kMaxObjectKey = 1024;

Status ValidateComponent(std::string_view part, const char* what, std::string_view full) {
  if (part.empty() || part.size() > 255)
    return Status::InvalidArgument(std::string(what) + " in '" + std::string(full) +
                                   "' must be 1..255 characters");
  for (char c : part) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return Status::InvalidArgument(std::string(what) + " '" + std::string(part) +
                                     "' may only contain letters, digits, '.', '_' and '-'");
  }
  return Status::OK();
}

}  // namespace

Status ValidateBucketPath(std::string_view path) {
  std::string_view parts[3];
  std::string_view rest = path;
  for (int i = 0; i < 3; ++i) {
    size_t slash = rest.find('/');
    if ((i < 2) == (slash == std::string_view::npos))
      return Status::InvalidArgument("bucket path '" + std::string(path) +
                                     "' must be SEGMENT/TENANT/BUCKET");
    parts[i] = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  const char* what[3] = {"segment", "tenant", "bucket"};
  for (int i = 0; i < 3; ++i) CCOW_RETURN_IF_ERROR(ValidateComponent(parts[i], what[i], path));
  return Status::OK();
}

Result<ObjectName> ObjectName::Parse(std::string_view full) {
  ObjectName n;
  std::string_view rest = full;
  std::string* parts[3] = {&n.segment, &n.tenant, &n.bucket};
  for (auto* p : parts) {
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
      return Status::InvalidArgument("object name '" + std::string(full) +
                                     "' must be SEGMENT/TENANT/BUCKET/OBJECT");
    *p = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  CCOW_RETURN_IF_ERROR(ValidateBucketPath(n.BucketPath()));
  if (rest.empty() || rest.size() > kMaxObjectKey)
    return Status::InvalidArgument("object key in '" + std::string(full) + "' must be 1.." +
                                   std::to_string(kMaxObjectKey) + " bytes");
  if (rest.find('\0') != std::string_view::npos)
    return Status::InvalidArgument("object key may not contain NUL");
  n.object = std::string(rest);
  return n;
}

}  // namespace ccow
