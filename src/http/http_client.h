// A small blocking HTTP/1.1 client for the admin calls (`ccow system status`, `cluster ...`,
// `user create` against a running server), bounded in time: a daemon that is stopped
// (SIGSTOP), hung or behind a dead route cannot hang the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/http_exchange.h"

namespace ccow::http {

struct ClientTimeouts {
  // Reaching the peer (TCP connect).
  std::chrono::milliseconds connect{2000};
  // The whole request: connect, send and the complete response. Longer than the daemons'
  // own 5 s wait for a Raft commit, so a slow commit still gets its answer through.
  std::chrono::milliseconds total{8000};
};

// TLS for a request (an ISGW link's: mutual authentication). The peer's certificate must
// chain to ca_file and name the host asked for (a DNS name, or an IP address in its
// subjectAltName); this side presents cert_file (with key_file) when the peer asks.
struct ClientTls {
  std::string ca_file;    // PEM
  std::string cert_file;  // PEM chain; empty: none presented
  std::string key_file;
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;
};

// Sends one request to host:port (an IP address or a name) and reads the whole response
// (up to 64 MiB), over TLS when tls is given. Errors: kUnavailable naming host:port when
// a timeout expires, kIOError when the peer cannot be reached or the exchange fails (a
// TLS handshake refused either way among them), kInvalidArgument for a bad method or
// address, or TLS files that do not load.
Result<ClientResponse> Request(const std::string& host, uint16_t port, std::string_view method,
                               std::string_view target, const HeaderList& headers,
                               std::string_view body = {}, ClientTimeouts timeouts = {},
                               const ClientTls* tls = nullptr);

}  // namespace ccow::http
