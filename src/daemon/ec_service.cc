#include "daemon/ec_service.h"

#include <nlohmann/json.hpp>

#include <chrono>

#include "daemon/metrics_text.h"

namespace ccow::daemon {
namespace {

uint64_t WallNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

nlohmann::json CountsJson(const EncodePassResult& r) {
  return {{"lists_scanned", r.lists_scanned},
          {"versions_encoded", r.versions_encoded},
          {"versions_too_small", r.versions_too_small},
          {"versions_not_at_rest", r.versions_not_at_rest},
          {"versions_standard_class", r.versions_standard_class},
          {"versions_failed", r.versions_failed},
          {"stripes_written", r.stripes_written},
          {"data_bytes_encoded", r.data_bytes_encoded},
          {"parity_bytes_written", r.parity_bytes_written},
          {"stripes_checked", r.stripes_checked},
          {"fragments_moved", r.fragments_moved},
          {"fragments_rebuilt", r.fragments_rebuilt},
          {"stripes_unplaceable", r.stripes_unplaceable},
          {"stripes_lost", r.stripes_lost},
          {"seconds", r.seconds}};
}

void Add(EncodePassResult* t, const EncodePassResult& r) {
  t->lists_scanned += r.lists_scanned;
  t->versions_encoded += r.versions_encoded;
  t->versions_too_small += r.versions_too_small;
  t->versions_not_at_rest += r.versions_not_at_rest;
  t->versions_standard_class += r.versions_standard_class;
  t->versions_failed += r.versions_failed;
  t->stripes_written += r.stripes_written;
  t->data_bytes_encoded += r.data_bytes_encoded;
  t->parity_bytes_written += r.parity_bytes_written;
  t->stripes_checked += r.stripes_checked;
  t->fragments_moved += r.fragments_moved;
  t->fragments_rebuilt += r.fragments_rebuilt;
  t->stripes_unplaceable += r.stripes_unplaceable;
  t->stripes_lost += r.stripes_lost;
  t->seconds += r.seconds;
}

}  // namespace

EcService::EcService(std::unique_ptr<ErasureEncoder> encoder, EcServiceOptions options)
    : encoder_(std::move(encoder)), options_(std::move(options)) {
  PassSchedulerOptions so;
  so.interval_ns = options_.interval_ns;
  so.may_drive = options_.may_drive;
  so.before_pass = options_.before_pass;
  so.job = "ec";
  scheduler_ = std::make_unique<PassScheduler>([this] { return RunPass(); }, std::move(so));
}

EcService::~EcService() { scheduler_.reset(); }

Status EcService::RunPass() {
  {
    std::lock_guard lock(mu_);
    running_ = true;
    last_started_ns_ = WallNs();
  }
  auto r = encoder_->RunPass();
  Status outcome = r.status();
  if (r.ok() && r->stripes_lost > 0)
    outcome = Status::Unavailable(std::to_string(r->stripes_lost) +
                                  " stripes have fewer than K fragments left (data lost unless their targets "
                                  "return); the targets' logs name each object, generation and stripe");
  std::lock_guard lock(mu_);
  running_ = false;
  last_finished_ns_ = WallNs();
  if (r.ok()) {
    last_ = std::move(*r);
    Add(&total_, last_);
  }
  if (outcome.ok()) {
    passes_completed_++;
  } else {
    passes_failed_++;
    last_error_ = outcome.ToString();
  }
  return outcome;
}

std::string EcService::StatusJson() const {
  Status may = scheduler_->MayDrive();
  nlohmann::json buckets = nlohmann::json::array();
  std::lock_guard lock(mu_);
  for (const auto& [path, b] : last_.buckets) {
    if (path.empty()) continue;  // names outside SEGMENT/TENANT/BUCKET/OBJECT
    buckets.push_back({{"bucket", path},
                       {"versions", b.versions},
                       {"encoded_versions", b.encoded_versions},
                       {"logical_bytes", b.logical_bytes},
                       {"raw_bytes", b.raw_bytes},
                       {"raw_per_logical", b.logical_bytes ? double(b.raw_bytes) / double(b.logical_bytes) : 0.0}});
  }
  nlohmann::json j = {{"running", running_},
                      {"passes_completed", passes_completed_},
                      {"passes_failed", passes_failed_},
                      {"last_started_ns", last_started_ns_},
                      {"last_finished_ns", last_finished_ns_},
                      {"last_pass", CountsJson(last_)},
                      {"total", CountsJson(total_)},
                      {"last_error", last_error_},
                      {"buckets", buckets},
                      {"interval_s", options_.interval_ns / 1'000'000'000},
                      {"rest_age_s", options_.rest_age_ns / 1'000'000'000},
                      {"min_object_bytes", options_.min_object_bytes},
                      {"passes_started", scheduler_->passes_started()},
                      {"driving", may.ok()}};
  if (!may.ok()) j["not_driving"] = may.message();
  if (!options_.name.empty()) j["target"] = options_.name;
  if (auto next = scheduler_->NextPassInSeconds()) j["next_pass_in_s"] = running_ ? 0.0 : *next;
  return j.dump();
}

std::string EcService::MetricsText() const {
  std::string out;
  auto line = [&](const char* name, const char* type, const char* help, double v) {
    out += MetricText(name, type, help, v);
  };
  std::lock_guard lock(mu_);
  line("ccow_ec_passes_total", "counter", "Erasure-coding passes completed.", double(passes_completed_));
  line("ccow_ec_passes_failed_total", "counter", "Passes that failed or found stripes lost.", double(passes_failed_));
  line("ccow_ec_versions_encoded_total", "counter", "Versions encoded into stripes.", double(total_.versions_encoded));
  line("ccow_ec_stripes_written_total", "counter", "Stripes written.", double(total_.stripes_written));
  line("ccow_ec_parity_bytes_total", "counter", "Parity bytes stored by the encoder.",
       double(total_.parity_bytes_written));
  line("ccow_ec_fragments_moved_total", "counter", "Fragments copied onto their keeper VDEV.",
       double(total_.fragments_moved));
  line("ccow_ec_fragments_rebuilt_total", "counter", "Fragments rebuilt from their stripe (no copy was left).",
       double(total_.fragments_rebuilt));
  line("ccow_ec_stripes_lost", "gauge", "Stripes the last pass found with fewer than K fragments.",
       double(last_.stripes_lost));
  line("ccow_ec_running", "gauge", "1 while a pass runs.", running_ ? 1.0 : 0.0);
  return out;
}

std::optional<AdminReply> EcService::Handle(const std::string& method, const std::string& path,
                                            const http::ParsedTarget& target) {
  if (path != "/admin/ec") return std::nullopt;
  if (method == "GET") return AdminReply{200, StatusJson()};
  if (method != "POST") return ReplyOf(Status::InvalidArgument("/admin/ec takes GET or POST"));
  return scheduler_->HandlePost(target, [this] { return StatusJson(); });
}

}  // namespace ccow::daemon
