// `ccow isgw`: a segment's Inter-Segment Gateway link ends as their own daemon (issue 14).
// On a cluster the links need not ride on an S3 gateway: this process opens the cluster
// as a client, runs one link per --service on one receiving endpoint, and serves
// /health, /metrics and GET /admin/isgw[/verify] on its admin endpoint, which the CLI
// finds through CLUSTER/isgw/SERVICE.json (`ccow service show NAME -s`, `service verify`).
// Every gateway of the segment records its changes in the bucket's trlog, so whichever
// process ships them sees all. On one node the link runs inside `ccow server --isgw`
// (the server holds the data directory).
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/serving.h"
#include "daemon/admin_api.h"
#include "server/admin_http.h"

namespace ccow::cli {
namespace {

struct IsgwDaemonFlags {
  IsgwFlags isgw;
  std::string admin_listen = "127.0.0.1:0";
  std::string quarantine_retention = "7d";
};

int RunIsgw(const IsgwDaemonFlags& flags) {
  if (ClusterDir().empty())
    return Fail(Status::InvalidArgument(
        "`ccow isgw` runs a cluster's link ends (--cluster DIR); on one node the link runs inside the server: "
        "`ccow server --isgw SERVICE --isgw-listen HOST:PORT`"));
  TuneAllocatorForServing();
  auto hp = ParseHostPort(flags.admin_listen);
  if (!hp.ok()) return Fail(hp.status().WithContext("--admin-listen"));
  auto retention = ParseDurationFlag("--quarantine-retention", flags.quarantine_retention);
  if (!retention.ok()) return Fail(retention.status());
  auto locks = LinkEndLocks::Take(flags.isgw.services);
  if (!locks.ok()) return Fail(locks.status());
  // The chunk cache of on-demand reads is this daemon's (CLUSTER/isgw-cache/SERVICE-isgw).
  auto opened = OpenServing(*retention, flags.isgw.services, "isgw");
  if (!opened.ok()) return Fail(opened.status());
  std::unique_ptr<Serving> serving = std::move(*opened);
  auto started = StartLinkEnds(flags.isgw, *serving);
  if (!started.ok()) return Fail(started.status());
  std::unique_ptr<isgw::LinkEndpoint> ends = std::move(*started);

  // Status only: the cluster is administered through its targets.
  const std::string token = RandomToken();
  isgw::LinkEndpoint* e = ends.get();
  daemon::AdminApi admin(
      token, nullptr,
      [e]() -> std::string {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& l : e->links()) j["isgw_links"][l->service()] = nlohmann::json::parse(l->StatusJson());
        return j.dump();
      },
      [e](const std::string& method, const std::string& path, const http::ParsedTarget& target) {
        if (auto r = LinkEndsAdmin(e, method, path, target)) return *r;
        return daemon::ReplyOf(Status::NotFound("no admin call " + method + " " + path + " on a link end daemon"));
      });
  Backend& backend = serving->api->backend();
  AdminHttpOptions opts;
  opts.host = hp->first;
  opts.port = hp->second;
  opts.metrics = [&backend, e] { return MetricsText(backend) + e->MetricsText(); };
  opts.health = [] { return Status::OK(); };
  opts.admin = [&admin](const std::string& method, const std::string& target,
                        const std::string& auth) -> std::pair<int, std::string> {
    daemon::AdminReply r = admin.Handle(method, target, auth);
    return {r.http_status, std::move(r.body)};
  };
  auto server = AdminHttpServer::Bind(opts);
  if (!server.ok()) {
    ends->Stop();
    return Fail(server.status());
  }
  Status registered = RegisterLinkEnds(*ends, hp->first, (*server)->port(), token);
  if (!registered.ok()) {
    ends->Stop();
    return Fail(registered.WithContext("registering the link ends in the cluster directory"));
  }
  const std::string base = "http://" + hp->first + ":" + std::to_string((*server)->port());
  std::cout << "ccow isgw: cluster " << ClusterDir() << "\n"
            << LinkEndsBanner(*ends, flags.isgw.listen.substr(0, flags.isgw.listen.rfind(':')))
            << "  health   " << base << "/health\n"
            << "  metrics  " << base << "/metrics\n"
            << "Stop with Ctrl-C (SIGINT) or SIGTERM." << std::endl;
  int sig = (*server)->RunUntilSignal();
  UnregisterLinkEnds(*ends);
  ends->Stop();
  std::cout << "ccow isgw: stopping on signal " << sig << std::endl;
  return 0;
}

}  // namespace

void RegisterIsgwCommand(CLI::App& app, int* exit_code) {
  static IsgwDaemonFlags flags;
  auto* cmd = app.add_subcommand(
      "isgw", "run a cluster's inter-segment gateway link ends as their own daemon (one per segment)");
  AddIsgwFlags(cmd, &flags.isgw, true);
  cmd->add_option("--admin-listen", flags.admin_listen,
                  "HOST:PORT for /health, /metrics and GET /admin/isgw (default: any free port on loopback)");
  cmd->add_option("--quarantine-retention", flags.quarantine_retention,
                  "how long versions the other site deleted stay restorable here unless the bucket or tenant says "
                  "otherwise (default 7d)");
  cmd->callback([exit_code] { *exit_code = RunIsgw(flags); });
}

}  // namespace ccow::cli
