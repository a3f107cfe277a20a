// One HTTP request and its response, as a handler sees them: headers parsed, the target
// split by the one query parser (query_string.h), the body streamed on demand, the
// response sent whole or streamed. Keeps Beast out of every file but the server's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_stream.h"
#include "core/status.h"
#include "http/query_string.h"

namespace ccow::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // upper case as received
  std::string target;  // raw request-target
  // ParseTarget(target): the path (raw and percent-decoded, starting with '/' for an
  // origin-form target) and the query parameters in order, raw and decoded ("uploads"
  // -> name "uploads", value ""). The signature check reads these same pairs.
  ParsedTarget parsed;
  std::string path;    // parsed.path, for the handlers
  HeaderList headers;  // names lower-cased
  std::optional<uint64_t> content_length;
  bool chunked_transfer = false;  // Transfer-Encoding: chunked (length unknown)
  // The peer's address ("192.0.2.1", "2001:db8::1"; "" when unknown) and whether the
  // connection is TLS: what policies condition on (aws:SourceIp, aws:SecureTransport).
  std::string remote_address;
  bool secure = false;

  const std::string* Header(std::string_view name) const;  // name in lower case
  // The decoded value of the first query parameter with this decoded name.
  const std::string* Query(std::string_view name) const { return parsed.Find(name); }
  bool HasQuery(std::string_view name) const { return Query(name) != nullptr; }
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual const HttpRequest& request() const = 0;
  // The request body. Sends "100 Continue" first when the client asked for it, so a
  // request refused before its body is read never makes the client send the body.
  virtual ByteSource& body() = 0;
  // Sends a whole response. For HEAD, pass the Content-Length header the GET would have
  // had and an empty body.
  virtual Status Respond(int status, const HeaderList& headers, std::string_view body) = 0;
  // Starts a response of exactly content_length bytes, to be written through the sink;
  // FinishResponse completes it. A failure mid-way closes the connection, which is how
  // HTTP/1.1 tells the client the body is incomplete.
  virtual Result<ByteSink*> StartResponse(int status, const HeaderList& headers,
                                          uint64_t content_length) = 0;
  virtual Status FinishResponse() = 0;
  virtual bool responded() const = 0;
};

}  // namespace ccow::http
