// The Inter-Segment Gateway link ends one process runs (`ccow server --isgw A --isgw B`, or
// a cluster's S3 gateway): one IsgwLink per service (a site linked with several others
// runs a service per link), all receiving on one HTTP endpoint that routes each request
// by its kServiceHeader (the only service when a request names none). Reads of chunks the
// segment lacks (a metadata-only link) ask each link's remote in turn.
//
// Errors (Start): kInvalidArgument for a service named twice or half of the TLS files;
// what drawing the site id or binding the endpoint answers.
// Threads: Of/links/MetricsText from any thread; Stop once, after the S3 gateway stopped.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/fetching_backend.h"
#include "client/object_api.h"
#include "cluster/registry.h"
#include "http/http_server.h"
#include "isgw/isgw_link.h"

namespace ccow::isgw {

struct EndpointOptions {
  std::vector<std::string> services;  // at least one
  bool listen = false;  // false: send only
  std::string listen_host;
  uint16_t listen_port = 0;  // 0: any free port
  std::string token;                  // shared with the other ends; "" for a lab
  // Mutual TLS, all three files or none (plain HTTP, for a lab): this end's certificate
  // and key, and the CA the other ends' certificates must chain to.
  std::string tls_cert, tls_key, tls_ca;
  std::shared_ptr<Registry> registry;
  std::shared_ptr<FetchingBackend> on_demand;  // may be null
};

class LinkEndpoint {
 public:
  // Draws the segment's site id and key when it has none (versions written from now on
  // carry them), makes the links, binds the endpoint and starts each link's sender.
  static Result<std::unique_ptr<LinkEndpoint>> Start(std::shared_ptr<ObjectApi> api, EndpointOptions options);
  ~LinkEndpoint();

  // The link of `service`, or the first when null; null when this process runs no such.
  IsgwLink* Of(const std::string* service) const;
  const std::vector<std::shared_ptr<IsgwLink>>& links() const { return links_; }
  bool listening() const { return server_ != nullptr; }
  uint16_t port() const { return server_ ? server_->port() : 0; }
  bool tls() const { return server_ && server_->tls(); }
  std::string MetricsText() const;  // every link's ccow_isgw_*, each family once
  // Detaches the fetch source, stops the endpoint (no request reaches a link any more),
  // then each link's sender (the round under way ends at its next request).
  void Stop();

 private:
  LinkEndpoint() = default;
  std::vector<std::shared_ptr<IsgwLink>> links_;
  // The same links, for the fetches they forward to each other (weak: a link does not
  // keep the others alive).
  std::shared_ptr<std::vector<std::weak_ptr<IsgwLink>>> all_ = std::make_shared<std::vector<std::weak_ptr<IsgwLink>>>();
  std::shared_ptr<FetchingBackend> on_demand_;
  std::unique_ptr<http::HttpServer> server_;
  bool stopped_ = false;
};

}  // namespace ccow::isgw
