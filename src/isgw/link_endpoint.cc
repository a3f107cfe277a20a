#include "isgw/link_endpoint.h"

#include <set>

#include "cluster/service_config.h"

namespace ccow::isgw {

namespace {
// Asks each link's remote in turn (but the link of service `except`) for the chunks not
// fetched yet, letting it ask `hops` sites further, until every one is here. OK when
// chids[0] is; the last error otherwise.
Status FetchThrough(const std::vector<std::weak_ptr<IsgwLink>>& links, const std::vector<Chid>& chids, uint8_t hops,
                    const std::string* except, std::vector<std::string>* out) {
  out->assign(chids.size(), std::string());
  Status last = Status::NotFound("no other ISGW link to fetch " + chids[0].ToString() + " through");
  for (const auto& w : links) {
    auto l = w.lock();
    if (!l) {
      last = Status::Unavailable("the ISGW links have stopped");
      continue;
    }
    if (except && l->service() == *except) continue;
    std::vector<Chid> ask;
    std::vector<size_t> at;
    for (size_t i = 0; i < chids.size(); ++i)
      if ((*out)[i].empty()) {
        ask.push_back(chids[i]);
        at.push_back(i);
      }
    if (ask.empty()) break;
    std::vector<std::string> got;
    Status s = l->FetchChunks(ask, &got, hops);
    if (!s.ok() && !s.IsNotFound()) {
      last = s;
      continue;
    }
    if (!s.ok() && at[0] == 0) last = s;
    for (size_t k = 0; k < got.size() && k < at.size(); ++k)
      if (!got[k].empty()) (*out)[at[k]] = std::move(got[k]);
  }
  return (*out)[0].empty() ? last : Status::OK();
}
}  // namespace

Result<std::unique_ptr<LinkEndpoint>> LinkEndpoint::Start(std::shared_ptr<ObjectApi> api, EndpointOptions o) {
  if (o.services.empty()) return Status::InvalidArgument("an ISGW link endpoint needs a service");
  if (std::set<std::string>(o.services.begin(), o.services.end()).size() != o.services.size())
    return Status::InvalidArgument("--isgw names a service more than once");
  const int tls_files = !o.tls_cert.empty() + !o.tls_key.empty() + !o.tls_ca.empty();
  if (tls_files != 0 && tls_files != 3)
    return Status::InvalidArgument("mutual TLS of the ISGW link needs --isgw-tls-cert, --isgw-tls-key and "
                                   "--isgw-tls-ca together");
  // Versions written here from now on carry the segment's site id and signature (a
  // service created by an older release may have left them unset).
  if (auto site = EnsureSiteId(*o.registry); !site.ok())
    return site.status().WithContext("drawing this segment's site id for the ISGW link");
  std::unique_ptr<LinkEndpoint> e(new LinkEndpoint());
  e->on_demand_ = o.on_demand;
  std::shared_ptr<Registry> registry = o.registry;
  for (const std::string& service : o.services) {
    LinkOptions lo{service,
                   o.token,
                   [registry] { return registry->current(); },
                   tls_files ? std::optional<http::ClientTls>(http::ClientTls{o.tls_ca, o.tls_cert, o.tls_key})
                             : std::nullopt,
                   [registry](const ClusterCommand& c) { return registry->Propose(c); },
                   o.on_demand};
    lo.sizes_cache = e->links_.empty();  // the first service's chunk-cache-size bounds the one cache
    // A fetch for a chunk this site lacks goes on through the site's other links.
    lo.forward = [weak_links = std::weak_ptr<std::vector<std::weak_ptr<IsgwLink>>>(e->all_)](
                     const std::vector<Chid>& chids, uint8_t hops, const std::string& from,
                     std::vector<std::string>* out) {
      auto all = weak_links.lock();
      if (!all) return Status::Unavailable("the ISGW links have stopped");
      return FetchThrough(*all, chids, hops, &from, out);
    };
    e->links_.push_back(std::make_shared<IsgwLink>(api, std::move(lo)));
  }
  e->all_->assign(e->links_.begin(), e->links_.end());
  if (o.on_demand) {
    // Each link's remote in turn, until one has the chunk; once the links are gone,
    // reads fail as unavailable.
    std::vector<std::weak_ptr<IsgwLink>> weak(e->links_.begin(), e->links_.end());
    o.on_demand->SetSource([weak](const std::vector<Chid>& chids, std::vector<std::string>* out) {
      return FetchThrough(weak, chids, 1, nullptr, out);
    });
  }
  if (o.listen) {
    http::HttpServerOptions so;
    so.host = o.listen_host;
    so.port = o.listen_port;
    if (tls_files) {
      so.tls_cert_file = o.tls_cert;
      so.tls_key_file = o.tls_key;
      so.tls_client_ca_file = o.tls_ca;
    }
    // Shared with the connection threads: one still in a request when the endpoint's
    // stop gives up waiting keeps its link alive.
    auto started = http::HttpServer::Start(so, [links = e->links_](http::HttpExchange& ex) {
      IsgwLink* to = links.size() == 1 ? links.front().get() : nullptr;
      if (const std::string* named = ex.request().Header(kServiceHeader)) {
        to = nullptr;
        for (const auto& l : links)
          if (l->service() == *named) to = l.get();
        if (!to) {
          (void)ex.Respond(404, {{"content-type", "text/plain"}}, "no link of service " + *named + " at this site\n");
          return;
        }
      }
      if (!to) {
        (void)ex.Respond(400, {{"content-type", "text/plain"}},
                         std::string("this site runs several services: name one in ") + kServiceHeader + "\n");
        return;
      }
      to->Handle(ex);
    });
    if (!started.ok()) return started.status().WithContext("the ISGW link endpoint");
    e->server_ = std::move(*started);
  }
  for (const auto& l : e->links_) l->Start();
  return e;
}

LinkEndpoint::~LinkEndpoint() { Stop(); }

IsgwLink* LinkEndpoint::Of(const std::string* service) const {
  if (!service) return links_.empty() ? nullptr : links_.front().get();
  for (const auto& l : links_)
    if (l->service() == *service) return l.get();
  return nullptr;
}

std::string LinkEndpoint::MetricsText() const {
  MetricFamilies families;
  for (const auto& l : links_) l->AddMetrics(&families);
  return RenderMetrics(families);
}

void LinkEndpoint::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // A read still running past the S3 gateway's bounded stop must not start a fetch
  // through a link (and a registry) about to go.
  if (on_demand_) on_demand_->SetSource({});
  all_.reset();  // and no fetch is forwarded through them
  if (server_) server_->Stop();
  for (const auto& l : links_) l->Stop();
}

}  // namespace ccow::isgw
