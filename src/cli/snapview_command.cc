// `ccow snapview create|ls|show|rm|clone|restore`: bucket views (client/snapview.h). Each
// runs the admin API's SnapView call (daemon/snapview_admin.h): in this process on a
// cluster or an idle data directory, else on the `ccow server` holding the data directory.
#include <time.h>

#include <ctime>
#include <functional>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "daemon/snapview_admin.h"
#include "http/query_string.h"
#include "model/object_name.h"

namespace ccow::cli {
namespace {

using nlohmann::json;

struct SnapViewFlags {
  std::string bucket, name, dest, at;
  size_t limit = 0;
};

SnapViewFlags& Flags() {
  static SnapViewFlags f;
  return f;
}

std::string Query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + std::string(k) + "=" + http::PercentEncode(v, true);
  }
  return q;
}

// The call here when this process can open the store, else on the server that holds it.
Result<json> Call(const std::string& method, const std::string& path, const std::string& query) {
  auto api = OpenApi();
  if (!api.ok() && api.status().code() == Code::kBusy && ClusterDir().empty())
    return CallServerAdmin(method, path + query, 600'000'000'000ull);
  if (!api.ok()) return api.status();
  auto reply = daemon::HandleSnapViewAdmin(**api, method, path, http::ParseTarget(path + query));
  if (!reply) return Status::Internal("no snapview call " + path);
  if (reply->http_status != 200) return daemon::StatusOfReply(reply->http_status, reply->body);
  return json::parse(reply->body);
}

// --at: a time the view shows: "-10m" (that long ago), seconds since the epoch, or
// YYYY-MM-DDTHH:MM:SSZ (UTC). Nanoseconds since the epoch; 0 when not given (now).
Result<uint64_t> ParseAt(const std::string& text) {
  if (text.empty()) return 0;
  auto bad = Status::InvalidArgument("--at '" + text + "': expected -DURATION (ago), seconds since the epoch or YYYY-MM-DDTHH:MM:SSZ");
  if (text.front() == '-') {
    CCOW_ASSIGN_OR_RETURN(uint64_t ago, ParseDurationFlag("--at", text.substr(1)));
    const uint64_t now = static_cast<uint64_t>(std::time(nullptr)) * 1'000'000'000ull;
    if (ago >= now) return bad;
    return now - ago;
  }
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 12)
    return std::stoull(text) * 1'000'000'000ull;
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end || !(std::string_view(end) == "Z" || std::string_view(end).empty())) return bad;
  time_t t = timegm(&tm);
  if (t < 0) return bad;
  return static_cast<uint64_t>(t) * 1'000'000'000ull;
}

std::string TimeText(uint64_t ns) {
  time_t t = static_cast<time_t>(ns / 1'000'000'000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string State(const json& v) {
  if (v.value("complete", false)) return "complete";
  if (!v.contains("members")) return "no record (being removed, or arriving)";
  if (v.value("created_ns", 0ull) == 0) return "being taken (or its taking was interrupted: snapview rm)";
  return "incomplete: " + std::to_string(v.value("present", 0)) + " of " + std::to_string(v.value("members", 0)) +
         " objects here";
}

int Print(const Result<json>& j, const std::function<void(const json&)>& text) {
  if (!j.ok()) return Fail(j.status());
  if (Globals().json)
    std::cout << j->dump(2) << std::endl;
  else
    text(*j);
  return 0;
}

void PrintView(const json& v) {
  std::cout << v.value("name", "") << "\t";
  if (v.contains("at_ns")) std::cout << TimeText(v["at_ns"].get<uint64_t>()) << "\t" << v.value("members", 0) << " objects\t";
  std::cout << State(v) << "\n";
}

int RunCreate() {
  auto at = ParseAt(Flags().at);
  if (!at.ok()) return Fail(at.status());
  return Print(Call("POST", "/admin/snapview",
                    Query({{"bucket", Flags().bucket}, {"name", Flags().name}, {"at_ns", *at ? std::to_string(*at) : ""}})),
               [](const json& v) {
                 std::cout << "snapview " << v.value("name", "") << " of " << Flags().bucket << " taken: "
                           << v.value("members", 0) << " objects as at " << TimeText(v.value("at_ns", 0ull)) << std::endl;
               });
}

}  // namespace

void RegisterSnapViewCommands(CLI::App& app, int* exit_code) {
  SnapViewFlags& f = Flags();
  auto* sv = app.add_subcommand("snapview", "bucket snapshots: a bucket as it was at one time");
  sv->require_subcommand(1);
  const char* kBucket = "SEGMENT/TENANT/BUCKET";
  auto bucket_and_name = [&](CLI::App* cmd) {
    AddDataOption(cmd);
    cmd->add_option("bucket", f.bucket, kBucket)->required();
    cmd->add_option("name", f.name, "snapview name ([A-Za-z0-9._-], up to 200)")->required();
  };

  auto* create = sv->add_subcommand("create", "take a view of the bucket (pins every object current then)");
  bucket_and_name(create);
  create->add_option("--at", f.at, "the time it shows: -DURATION (ago), epoch seconds or YYYY-MM-DDTHH:MM:SSZ");
  create->callback([exit_code] { *exit_code = RunCreate(); });

  auto* ls = sv->add_subcommand("ls", "the bucket's views and whether each is complete here");
  AddDataOption(ls);
  ls->add_option("bucket", f.bucket, kBucket)->required();
  ls->callback([exit_code] {
    *exit_code = Print(Call("GET", "/admin/snapview", Query({{"bucket", Flags().bucket}})), [](const json& j) {
      for (const auto& v : j["snapviews"]) PrintView(v);
    });
  });

  auto* show = sv->add_subcommand("show", "the objects of a view (key, generation, size, ETag)");
  bucket_and_name(show);
  show->add_option("-n,--limit", f.limit, "at most this many");
  show->callback([exit_code] {
    *exit_code = Print(Call("GET", "/admin/snapview/members",
                            Query({{"bucket", Flags().bucket},
                                   {"name", Flags().name},
                                   {"limit", Flags().limit ? std::to_string(Flags().limit) : ""}})),
                       [](const json& j) {
                         for (const auto& m : j["members"])
                           std::cout << m.value("key", "") << "\tgen " << m.value("generation", 0) << "\t"
                                     << m.value("size", 0) << "\t" << m.value("etag", "") << "\n";
                         if (j.value("truncated", false)) std::cout << "(more)\n";
                       });
  });

  auto* rm = sv->add_subcommand("rm", "remove a view (its versions become collectable)");
  bucket_and_name(rm);
  rm->callback([exit_code] {
    *exit_code = Print(Call("DELETE", "/admin/snapview", Query({{"bucket", Flags().bucket}, {"name", Flags().name}})),
                       [](const json&) { std::cout << "snapview " << Flags().name << " removed" << std::endl; });
  });

  auto* clone = sv->add_subcommand("clone", "make a view's objects those of another bucket (no data copied)");
  bucket_and_name(clone);
  clone->add_option("dest", f.dest, "SEGMENT/TENANT/BUCKET to clone into")->required();
  clone->callback([exit_code] {
    *exit_code = Print(Call("POST", "/admin/snapview/clone",
                            Query({{"bucket", Flags().bucket}, {"name", Flags().name}, {"dest", Flags().dest}})),
                       [](const json& j) {
                         std::cout << "cloned " << j.value("cloned", 0) << " objects into " << Flags().dest << std::endl;
                       });
  });

  auto* restore = sv->add_subcommand(
      "restore", "make the bucket show the view again (new versions and delete markers: nothing is lost)");
  bucket_and_name(restore);
  restore->callback([exit_code] {
    *exit_code = Print(Call("POST", "/admin/snapview/restore", Query({{"bucket", Flags().bucket}, {"name", Flags().name}})),
                       [](const json& j) {
                         std::cout << "restored " << j.value("restored", 0) << ", unchanged " << j.value("unchanged", 0)
                                   << ", hidden " << j.value("hidden", 0) << std::endl;
                       });
  });
}

}  // namespace ccow::cli
