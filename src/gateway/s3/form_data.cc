#include "gateway/s3/form_data.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "gateway/s3/auth_common.h"

namespace ccow::s3 {

using namespace auth;

namespace {

constexpr size_t kReadSize = 256 << 10;
constexpr size_t kMaxPartHeaderBytes = 8 << 10;

S3Error Malformed(std::string why) {
  return MakeError(400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed multipart/form-data: " + why);
}

// A parameter of a header value such as `form-data; name="key"; filename="a.txt"`.
bool HeaderParam(std::string_view value, std::string_view param, std::string* out) {
  size_t i = 0;
  while (i < value.size()) {
    // A ';' inside quotes (a file named "a;b.png") does not end the parameter.
    size_t semi = i;
    for (bool quoted = false; semi < value.size() && (quoted || value[semi] != ';'); ++semi)
      if (value[semi] == '"') quoted = !quoted;
    std::string_view item = Trim(value.substr(i, semi - i));
    i = semi + 1;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || !IEquals(Trim(item.substr(0, eq)), param)) continue;
    std::string_view v = Trim(item.substr(eq + 1));
    // Browsers do not backslash-escape (HTML's form encoding writes '"' as %22 and keeps
    // backslashes, as in a Windows path), so a quoted value is taken as it stands.
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    *out = std::string(v);
    return true;
  }
  return false;
}

}  // namespace

std::string FormBoundary(std::string_view content_type) {
  size_t semi = content_type.find(';');
  if (!IEquals(Trim(content_type.substr(0, semi)), "multipart/form-data") || semi == std::string_view::npos) return "";
  std::string boundary;
  if (!HeaderParam(content_type.substr(semi + 1), "boundary", &boundary)) return "";
  // RFC 2046: 1 to 70 characters, not ending in a space.
  if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return "";
  return boundary;
}

class FormDataReader::FileSource : public ByteSource {
 public:
  explicit FileSource(FormDataReader* r) : r_(r) {}
  Result<size_t> Read(char* out, size_t n) override {
    if (done_ || n == 0) return size_t{0};
    const std::string& d = r_->delimiter_;
    for (;;) {
      std::string_view u = r_->Unread();
      size_t at = u.find(d);
      if (at != std::string_view::npos) {
        if (at == 0) {
          done_ = true;
          return size_t{0};
        }
        size_t k = std::min(n, at);
        std::memcpy(out, u.data(), k);
        r_->Consume(k);
        return k;
      }
      // Bytes that cannot begin the delimiter are file bytes for sure.
      size_t safe = u.size() >= d.size() ? u.size() - (d.size() - 1) : 0;
      if (safe > 0) {
        size_t k = std::min(n, safe);
        std::memcpy(out, u.data(), k);
        r_->Consume(k);
        return k;
      }
      CCOW_ASSIGN_OR_RETURN(bool more, r_->Fill(d.size()));
      if (!more && r_->Unread().find(d) == std::string_view::npos)
        return Status::InvalidArgument("IncompleteBody: the POST body ended inside the file, before its delimiter");
    }
  }

 private:
  FormDataReader* r_;
  bool done_ = false;
};

FormDataReader::FormDataReader(ByteSource& body, std::string boundary)
    : body_(body), delimiter_("\r\n--" + boundary), file_(std::make_unique<FileSource>(this)) {}

Result<bool> FormDataReader::Fill(size_t want) {
  while (Unread().size() < want && !body_ended_) {
    if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + kReadSize);
    auto got = body_.Read(buf_.data() + old, kReadSize);
    if (!got.ok()) {
      buf_.resize(old);
      return got.status();
    }
    buf_.resize(old + *got);
    if (*got == 0) body_ended_ = true;
  }
  return Unread().size() >= want;
}

void FormDataReader::Consume(size_t n) { pos_ += n; }

ByteSource& FormDataReader::file() { return *file_; }

FormDataReader::~FormDataReader() = default;

S3Error FormDataReader::ReadFields(std::vector<FormField>* fields, std::string* filename,
                                   std::string* file_content_type) {
  auto io = [](const Status& st) { return MakeError(400, "IncompleteBody", st.message()); };
  // The first delimiter has no CRLF before it (a preamble, which S3 forms never send, is
  // not accepted).
  std::string_view first = std::string_view(delimiter_).substr(2);
  auto filled = Fill(first.size() + 2);
  if (!filled.ok()) return io(filled.status());
  if (!Unread().starts_with(first)) return Malformed("it does not begin with the boundary");
  Consume(first.size());
  size_t field_bytes = 0;
  for (;;) {
    // After a delimiter: "--" closes the form, else CRLF and the part's headers.
    filled = Fill(2);
    if (!filled.ok()) return io(filled.status());
    if (Unread().starts_with("--"))
      return MakeError(400, "InvalidArgument", "POST requires exactly one file upload per request.");
    if (!Unread().starts_with("\r\n")) return Malformed("a boundary is not followed by a line end");
    Consume(2);
    size_t end;
    for (;;) {
      end = Unread().find("\r\n\r\n");
      if (end != std::string_view::npos) break;
      if (Unread().size() > kMaxPartHeaderBytes) return Malformed("a part's headers are too long");
      auto more = Fill(Unread().size() + 1);
      if (!more.ok()) return io(more.status());
      if (!*more) return Malformed("the body ends inside a part's headers");
    }
    std::string_view headers = Unread().substr(0, end + 2);
    std::string name, part_filename, part_type;
    bool named = false;
    while (!headers.empty()) {
      size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Malformed("a part header has no ':'");
      std::string_view hname = Trim(line.substr(0, colon)), hvalue = Trim(line.substr(colon + 1));
      if (IEquals(hname, "content-disposition")) {
        named = HeaderParam(hvalue, "name", &name);
        HeaderParam(hvalue, "filename", &part_filename);
      } else if (IEquals(hname, "content-type")) {
        part_type = std::string(hvalue);
      }
    }
    if (!named || name.empty()) return Malformed("a part has no Content-Disposition name");
    Consume(end + 4);
    if (IEquals(name, "file")) {
      *filename = std::move(part_filename);
      *file_content_type = std::move(part_type);
      return S3Error::None();
    }
    size_t at;
    for (;;) {
      at = Unread().find(delimiter_);
      if (at != std::string_view::npos) break;
      if (field_bytes + name.size() + Unread().size() > kMaxFieldBytes + delimiter_.size())
        return MakeError(400, "MaxPostPreDataLengthExceededError",
                         "Your POST request fields preceding the upload file were too large.");
      auto more = Fill(Unread().size() + 1);
      if (!more.ok()) return io(more.status());
      if (!*more) return Malformed("the body ends inside a field");
    }
    field_bytes += name.size() + at;
    if (field_bytes > kMaxFieldBytes)
      return MakeError(400, "MaxPostPreDataLengthExceededError",
                       "Your POST request fields preceding the upload file were too large.");
    fields->push_back({std::move(name), std::string(Unread().substr(0, at))});
    Consume(at + delimiter_.size());
  }
}

}  // namespace ccow::s3
