// `ccow system ec --now --cluster DIR [--rest-age 1h] [--min-size 4M] [--json]`: one
// erasure-coding pass over a cluster, run from this process (gc/erasure_encoder.h):
// versions at rest in buckets with an erasure-code policy are encoded, and the stripes
// of versions encoded earlier are checked and their lost fragments rebuilt. The replicas
// the stripes make surplus are given back by the next garbage-collection pass.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/registry_access.h"
#include "core/config.h"
#include "gc/erasure_encoder.h"

namespace ccow::cli {
namespace {

struct EcFlags {
  bool now = false;
  std::string rest_age = "1h";
  std::string min_size = "4M";
};

int RunEc(const EcFlags& f) {
  if (ClusterDir().empty())
    return Fail(Status::Unsupported(
        "erasure coding places the fragments of a stripe on distinct failure domains: it runs on a cluster "
        "(--cluster DIR); one node keeps its replicas"));
  if (!f.now) {
    std::cout << "ec: a cluster encodes when asked: `ccow system ec --now --cluster " << ClusterDir()
              << "` runs a pass" << std::endl;
    return 0;
  }
  auto rest = ParseDurationFlag("--rest-age", f.rest_age);
  if (!rest.ok()) return Fail(rest.status());
  auto min = ParseSizeFlag("--min-size", f.min_size);
  if (!min.ok()) return Fail(min.status());
  auto registry = OpenRegistry();
  if (!registry.ok()) return Fail(registry.status());
  auto api = OpenApi();
  if (!api.ok()) return Fail(api.status());
  std::shared_ptr<Registry> reg = registry->registry;
  ErasureEncoderOptions o;
  o.rest_age_ns = *rest;
  o.min_object_bytes = *min;
  o.bucket_policy = [reg](const std::string& bucket_path) -> std::optional<ErasurePolicy> {
    const std::string ec = reg->current()->ErasureCodeOf(bucket_path);
    if (ec.empty()) return std::nullopt;
    auto p = ErasurePolicy::Parse(ec);
    if (!p.ok()) return std::nullopt;  // records are validated when committed
    return *p;
  };
  ErasureEncoder encoder(api->get(), o);
  auto r = encoder.RunPass();
  if (!r.ok()) return Fail(r.status());
  nlohmann::json j = {{"lists_scanned", r->lists_scanned},
                      {"versions_encoded", r->versions_encoded},
                      {"versions_too_small", r->versions_too_small},
                      {"versions_not_at_rest", r->versions_not_at_rest},
                      {"versions_failed", r->versions_failed},
                      {"stripes_written", r->stripes_written},
                      {"data_bytes_encoded", r->data_bytes_encoded},
                      {"parity_bytes_written", r->parity_bytes_written},
                      {"stripes_checked", r->stripes_checked},
                      {"fragments_moved", r->fragments_moved},
                      {"fragments_rebuilt", r->fragments_rebuilt},
                      {"stripes_unplaceable", r->stripes_unplaceable},
                      {"stripes_lost", r->stripes_lost},
                      {"seconds", r->seconds}};
  if (Globals().json) {
    std::cout << j.dump(2) << std::endl;
  } else {
    std::cout << "ec: " << r->versions_encoded << " versions encoded in " << r->stripes_written << " stripes ("
              << FormatSize(r->data_bytes_encoded) << " of data, " << FormatSize(r->parity_bytes_written)
              << " of parity); " << r->versions_too_small << " too small, " << r->versions_not_at_rest
              << " not at rest yet, " << r->versions_failed << " failed\n"
              << "  stripes checked: " << r->stripes_checked << ", fragments moved " << r->fragments_moved
              << ", rebuilt " << r->fragments_rebuilt << ", unplaceable " << r->stripes_unplaceable << ", lost "
              << r->stripes_lost << "\n";
  }
  if (r->stripes_lost)
    return Fail(Status::Unavailable(std::to_string(r->stripes_lost) +
                                 " stripes have fewer than K fragments left; the log names them"));
  return 0;
}

}  // namespace

void RegisterEcCommand(CLI::App* system, int* exit_code) {
  static EcFlags f;
  auto* ec = system->add_subcommand("ec", "erasure coding on a cluster: a pass now (--now)");
  ec->add_flag("--now", f.now, "run a pass now");
  ec->add_option("--rest-age", f.rest_age,
                 "encode versions written at least this long ago (default 1h)");
  ec->add_option("--min-size", f.min_size, "versions smaller than this stay replicated (default 4M)");
  ec->callback([exit_code] { *exit_code = RunEc(f); });
}

}  // namespace ccow::cli
