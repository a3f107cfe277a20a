// `ccow service verify` (IsgwLink::VerifyJson): both sites' served buckets compared name
// by name, by list digests, a page of names at a time from each side, merged in name order.
#include <nlohmann/json.hpp>

#include "isgw/isgw_link.h"
#include "isgw/isgw_wire.h"
#include "isgw/link_internal.h"

namespace ccow::isgw {
namespace {

constexpr uint32_t kPageNames = 1000;
constexpr size_t kExamples = 20;

// One side's names in order, read a page at a time by `fill`.
class NameStream {
 public:
  using Fill = std::function<Status(const std::string& after, std::vector<DigestsRequest::Item>* page, bool* more)>;
  explicit NameStream(Fill fill) : fill_(std::move(fill)) {}

  // The next item, or null at the end.
  Result<const DigestsRequest::Item*> Peek() {
    if (at_ == page_.size()) {
      if (!more_) return nullptr;
      page_.clear();
      at_ = 0;
      CCOW_RETURN_IF_ERROR(fill_(after_, &page_, &more_));
      if (page_.empty()) {
        more_ = false;
        return nullptr;
      }
      if (page_.front().name <= after_ && !after_.empty())
        return Status::Corruption("names out of order across pages (" + page_.front().name + ")");
      after_ = page_.back().name;
    }
    return &page_[at_];
  }
  void Next() { ++at_; }

 private:
  Fill fill_;
  std::vector<DigestsRequest::Item> page_;
  size_t at_ = 0;
  bool more_ = true;
  std::string after_;
};

}  // namespace

Result<std::string> IsgwLink::VerifyJson() {
  auto state = options_.state();
  auto svc = state->services().find(options_.service);
  if (svc == state->services().end()) return Status::NotFound("no ISGW service " + options_.service + " at this site");
  if (svc->second.config.remote.empty())
    return Status::FailedPrecondition("ISGW service " + options_.service + " has no remote to verify against");
  CCOW_ASSIGN_OR_RETURN(Remote remote, RemoteOf(svc->second.config.remote));
  if (remote.s3)
    return Status::Unsupported("service verify compares with ccow sites and export directories; an s3:// remote "
                               "holds plain objects (compare them with an S3 tool)");
  Backend& backend = api_->backend();
  nlohmann::json buckets = nlohmann::json::array();
  bool in_sync = true;
  for (const std::string& bucket : svc->second.serves) {
    NameStream here([&](const std::string& after, std::vector<DigestsRequest::Item>* page, bool* more) {
      Status s = backend.ScanVersionLists(bucket + "/", after, [&](const VersionList& vl) {
        page->push_back({vl.name(), ListDigest(vl)});
        return page->size() < kPageNames;
      });
      *more = page->size() == kPageNames;
      return s;
    });
    NameStream there([&](const std::string& after, std::vector<DigestsRequest::Item>* page, bool* more) {
      std::string bytes;
      CCOW_RETURN_IF_ERROR(Post(remote, "names", Encode(NamesRequest{options_.service, bucket, after, kPageNames}), &bytes));
      CCOW_ASSIGN_OR_RETURN(NamesReply reply, DecodeNamesReply(bytes));
      for (const auto& item : reply.items)
        if (item.name.compare(0, bucket.size() + 1, bucket + "/") != 0)
          return Status::Corruption("ISGW link to " + remote.url + ": names reply names " + item.name + ", not in " + bucket);
      *page = std::move(reply.items);
      *more = reply.more;
      return Status::OK();
    });
    uint64_t compared = 0, equal = 0;
    nlohmann::json differ = nlohmann::json::array(), only_here = nlohmann::json::array(),
                   only_there = nlohmann::json::array();
    uint64_t n_differ = 0, n_here = 0, n_there = 0;
    auto note = [](nlohmann::json& list, uint64_t& count, const std::string& name) {
      if (count++ < kExamples) list.push_back(name);
    };
    Status failed;
    while (failed.ok()) {
      if (stopping()) return Status::Unavailable("ISGW link stopping");
      auto h = here.Peek();
      if (!h.ok()) {
        failed = h.status().WithContext("reading " + bucket + " here");
        break;
      }
      auto t = there.Peek();
      if (!t.ok()) {
        failed = t.status();
        break;
      }
      if (!*h && !*t) break;
      ++compared;
      if (*h && (!*t || (*h)->name < (*t)->name)) {
        note(only_here, n_here, (*h)->name);
        here.Next();
      } else if (!*h || (*t)->name < (*h)->name) {
        note(only_there, n_there, (*t)->name);
        there.Next();
      } else {
        if ((*h)->digest == (*t)->digest) ++equal;
        else note(differ, n_differ, (*h)->name);
        here.Next();
        there.Next();
      }
    }
    nlohmann::json entry = {{"bucket", bucket},          {"compared", compared}, {"equal", equal},
                            {"differ", n_differ},        {"only_here", n_here},  {"only_there", n_there},
                            {"differ_names", differ},    {"only_here_names", only_here},
                            {"only_there_names", only_there}};
    if (!failed.ok()) entry["error"] = failed.ToString();
    in_sync = in_sync && failed.ok() && n_differ == 0 && n_here == 0 && n_there == 0;
    buckets.push_back(std::move(entry));
  }
  nlohmann::json j = {{"service", options_.service}, {"remote", remote.url}, {"buckets", std::move(buckets)},
                      {"in_sync", in_sync}};
  return j.dump();
}

}  // namespace ccow::isgw
