// Listing at scale: one bucket grows to 10k, 100k and 1M objects; at each size the whole
// bucket is listed in 1000-key pages, directly through the object API and through the S3
// gateway (ListObjectsV2 over HTTP on loopback, SigV4-signed), and pages/s are printed.
// The limit beside it: RocksDB iteration alone (a raw scan of the same names).
//
// usage: s3_list_bench DATA_DIR [max_objects=1000000] [writer_threads=8]
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <thread>
#include <vector>

#include "client/backend.h"
#include "client/object_api.h"
#include "daemon/node_registry.h"
#include "gateway/s3/bucket_registry.h"
#include "gateway/s3/s3_gateway.h"
#include "gateway/s3/sigv4.h"
#include "gateway/s3/user_registry.h"

using namespace ccow;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string KeyName(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "dir%03llu/key-%08llu", static_cast<unsigned long long>(i % 100),
                static_cast<unsigned long long>(i));
  return buf;
}

// Lists the bucket through HTTP; returns the number of pages and keys.
std::pair<size_t, size_t> ListOverHttp(uint16_t port) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  s3::Credentials creds{s3::kDefaultAccessKey, s3::kDefaultSecretKey, s3::kDefaultTenant};
  std::string token;
  size_t pages = 0, keys = 0;
  beast::flat_buffer buffer;
  for (;;) {
    std::string target = "/lst?list-type=2&max-keys=1000";
    if (!token.empty()) target += "&continuation-token=" + s3::UriEncode(token, true);
    s3::SignedRequest req{"GET", target, {{"host", "127.0.0.1:" + std::to_string(port)}}};
    s3::SignRequest(req, creds, "us-east-1", s3::Sha256Hex(""), std::time(nullptr));
    bhttp::request<bhttp::empty_body> hr{bhttp::verb::get, target, 11};
    for (const auto& [k, v] : req.headers) hr.set(k, v);
    bhttp::write(socket, hr);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    if (res.result_int() != 200) {
      std::fprintf(stderr, "list failed: %d %s\n", res.result_int(), res.body().c_str());
      std::exit(1);
    }
    ++pages;
    const std::string& body = res.body();
    for (size_t pos = 0; (pos = body.find("<Key>", pos)) != std::string::npos; pos += 5) ++keys;
    size_t t = body.find("<NextContinuationToken>");
    if (t == std::string::npos) break;
    t += 23;
    token = body.substr(t, body.find('<', t) - t);
  }
  return {pages, keys};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [max_objects] [writer_threads]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  uint64_t max_objects = argc > 2 ? std::stoull(argv[2]) : 1000000;
  int writers = argc > 3 ? std::stoi(argv[3]) : 8;
  std::filesystem::remove_all(dir);
  auto backend = OpenLocalBackend(dir);
  if (!backend.ok()) {
    std::fprintf(stderr, "%s\n", backend.status().ToString().c_str());
    return 1;
  }
  auto api = std::make_shared<ObjectApi>(std::shared_ptr<Backend>(std::move(*backend)), ApiOptions{});
  // The one-member registry of a single node, as `ccow server` runs it.
  auto server = daemon::OpenServerRegistry(dir);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::shared_ptr<Registry> registry(server->registry.get(), [](Registry*) {});
  s3::BucketRegistry buckets(*registry, s3::kDefaultSegment);
  if (!buckets.Create(s3::kDefaultTenant, "lst", BucketRecord()).ok()) return 1;
  s3::S3GatewayOptions gw;
  gw.port = 0;
  auto gateway = s3::S3Gateway::Start(api, registry, gw);
  if (!gateway.ok()) {
    std::fprintf(stderr, "%s\n", gateway.status().ToString().c_str());
    return 1;
  }
  std::string base = std::string(s3::kDefaultSegment) + "/" + s3::kDefaultTenant + "/lst/";

  std::printf("| objects | fill objects/s | object API pages/s | S3 ListObjectsV2 pages/s | raw name-index scan pages/s (limit) |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  uint64_t have = 0;
  for (uint64_t target : {10000ull, 100000ull, 1000000ull}) {
    if (target > max_objects) break;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    std::atomic<uint64_t> next{have};
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&] {
        for (uint64_t i; (i = next.fetch_add(1)) < target;) {
          StringSource src("x");
          auto put = api->Put(base + KeyName(i), src, {});
          if (!put.ok()) {
            std::fprintf(stderr, "put: %s\n", put.status().ToString().c_str());
            std::exit(1);
          }
        }
      });
    for (auto& t : threads) t.join();
    double fill = (target - have) / Seconds(t0);
    have = target;

    t0 = std::chrono::steady_clock::now();
    size_t pages = 0, keys = 0;
    ListOptions opts;
    opts.prefix = base;
    for (;;) {
      auto page = api->List(opts);
      if (!page.ok()) return 1;
      ++pages;
      keys += page->names.size();
      if (!page->truncated) break;
      opts.start_after = page->next_start_after;
    }
    double api_rate = pages / Seconds(t0);
    if (keys != target) std::fprintf(stderr, "object API listed %zu of %llu\n", keys, (unsigned long long)target);

    t0 = std::chrono::steady_clock::now();
    auto [http_pages, http_keys] = ListOverHttp((*gateway)->port());
    double http_rate = http_pages / Seconds(t0);
    if (http_keys != target) std::fprintf(stderr, "S3 listed %zu of %llu\n", http_keys, (unsigned long long)target);

    t0 = std::chrono::steady_clock::now();
    size_t scanned = 0;
    Status st = api->backend().ScanVersionLists(base, "", [&](const VersionList&) {
      ++scanned;
      return true;
    });
    double raw_rate = (scanned / 1000.0) / Seconds(t0);
    std::printf("| %llu | %.0f | %.1f | %.1f | %.1f |\n", (unsigned long long)target, fill, api_rate,
                http_rate, raw_rate);
    std::fflush(stdout);
  }
  (*gateway)->Stop();
  return 0;
}
