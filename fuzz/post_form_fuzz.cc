// Fuzz target for the browser POST upload's decoders: the multipart/form-data reader
// (gateway/s3/form_data.h) and the policy document (gateway/s3/post_policy.h). The first
// byte picks the decoder. A form that reads must round-trip: its fields and file written
// back with the same boundary read as exactly the same fields and file (the gateway
// stores what it read, so a reader that accepted bytes it misplaced would corrupt an
// upload). A policy that parses is checked against a small form; nothing may crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "client/byte_stream.h"
#include "fuzz_target.h"
#include "gateway/s3/base64.h"
#include "gateway/s3/form_data.h"
#include "gateway/s3/post_policy.h"

namespace ccow::fuzz {
namespace {

constexpr const char* kBoundary = "xYz";

// Hands out at most 7 bytes per read, so delimiters straddle reads.
class TrickleSource : public ByteSource {
 public:
  explicit TrickleSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, data_.size(), size_t{7}});
    std::memcpy(buf, data_.data(), k);
    data_.remove_prefix(k);
    return k;
  }

 private:
  std::string_view data_;
};

struct Form {
  std::vector<s3::FormField> fields;
  std::string filename, file_type, file;
};

bool ReadForm(std::string_view body, Form* out) {
  TrickleSource src(body);
  s3::FormDataReader reader(src, kBoundary);
  if (!reader.ReadFields(&out->fields, &out->filename, &out->file_type).ok()) return false;
  char buf[64];
  for (;;) {
    auto got = reader.file().Read(buf, sizeof buf);
    if (!got.ok()) return false;
    if (*got == 0) break;
    out->file.append(buf, *got);
    if (out->file.size() > body.size()) {
      std::fprintf(stderr, "post form: the file outgrew the body\n");
      std::abort();
    }
  }
  return true;
}

// As the reader takes a quoted parameter: as it stands, without escapes.
std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string WriteForm(const Form& f) {
  std::string out;
  for (const auto& field : f.fields)
    out += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=" + Quote(field.name) +
           "\r\n\r\n" + field.value + "\r\n";
  out += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=" +
         Quote(f.filename) + "\r\n";
  if (!f.file_type.empty()) out += "Content-Type: " + f.file_type + "\r\n";
  out += "\r\n" + f.file + "\r\n--" + kBoundary + "--\r\n";
  return out;
}

void CheckForm(std::string_view body) {
  Form form;
  if (!ReadForm(body, &form)) return;
  ++decoded;
  Form again;
  std::string written = WriteForm(form);
  // The bytes (file and values) must come back exactly; so must names, except those with a
  // '"' in them, which a quoted parameter cannot carry unambiguously without escapes that
  // browsers do not send.
  auto same_name = [](const std::string& a, const std::string& b) {
    return a.find('"') != std::string::npos || a == b;
  };
  bool same = ReadForm(written, &again) && again.fields.size() == form.fields.size() && again.file == form.file &&
              same_name(form.filename, again.filename) && again.file_type == form.file_type;
  for (size_t i = 0; same && i < form.fields.size(); ++i)
    same = same_name(form.fields[i].name, again.fields[i].name) && again.fields[i].value == form.fields[i].value;
  if (!same) {
    std::fprintf(stderr, "post form: a form read back differently once written again\n");
    std::abort();
  }
}

void CheckPolicy(std::string_view json) {
  s3::PostPolicy policy;
  if (!s3::ParsePostPolicy(s3::Base64Encode(json), &policy).ok()) return;
  ++decoded;
  std::vector<s3::FormField> fields{{"key", "a/b"}, {"Content-Type", "text/plain"}, {"x-ignore-me", ""}};
  std::optional<std::pair<uint64_t, uint64_t>> range;
  s3::S3Error e = s3::CheckPostPolicy(policy, fields, "bucket", "a/b", 0, &range);
  if (range && range->first > range->second) {
    std::fprintf(stderr, "post policy: a content-length-range with min > max was accepted\n");
    std::abort();
  }
  (void)e;
}

}  // namespace

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  Form f;
  f.fields = {{"key", "uploads/${filename}"}, {"policy", "eyJ9"}, {"x-amz-meta-a", "line1\r\nline2"}};
  f.filename = "cat.png";
  f.file_type = "image/png";
  f.file = std::string("\x89PNG\r\n--xY\r\n-", 14);
  seeds.push_back(std::string(1, '\0') + WriteForm(f));
  seeds.push_back(std::string(1, '\0') + "--xYz\r\nContent-Disposition: form-data; name=file\r\n\r\n\r\n--xYz--");
  seeds.push_back(std::string(1, '\1') +
                  R"({"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"bucket"},)"
                  R"(["starts-with","$key","a/"],["eq","$Content-Type","text/plain"],["content-length-range",1,"10"]]})");
  return seeds;
}

}  // namespace ccow::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ccow::fuzz;
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) CheckForm(rest);
  else CheckPolicy(rest);
  return 0;
}
