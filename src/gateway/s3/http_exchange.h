// One HTTP request and its response, as the S3 handlers see them: headers parsed, the body
// streamed on demand, the response sent whole or streamed. Keeps Beast out of every file
// but http_server.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/byte_stream.h"
#include "core/status.h"

namespace ccow::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // upper case as received
  std::string target;  // raw request-target
  std::string path;    // percent-decoded path, starting with '/'
  HeaderList query;    // percent-decoded query parameters in order ("uploads" -> "")
  HeaderList headers;  // names lower-cased
  std::optional<uint64_t> content_length;
  bool chunked_transfer = false;  // Transfer-Encoding: chunked (length unknown)

  const std::string* Header(std::string_view name) const;  // name in lower case
  const std::string* Query(std::string_view name) const;
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

}  // namespace ccow::s3
