#include "client/stripe_reader.h"

#include <algorithm>
#include <future>
#include <optional>
#include <vector>

#include "ec/stripe.h"

namespace ccow {

StripeReader::StripeReader(Backend* backend, std::string object_name, const Chid& vm_chid,
                           const Chid& ec_chid, bool parallel_io)
    : backend_(backend),
      name_(std::move(object_name)),
      vm_chid_(vm_chid),
      ec_chid_(ec_chid),
      parallel_io_(parallel_io) {}

Result<const StripeReader::Loaded*> StripeReader::Load() {
  // Held through the fetch: concurrent failed reads wait for one load instead of each
  // fetching the set.
  std::lock_guard lock(mu_);
  if (tried_) {
    if (!load_status_.ok()) return load_status_;
    return loaded_.get();
  }
  tried_ = true;
  auto fail = [&](Status st) {
    load_status_ = std::move(st);
    return load_status_;
  };
  const std::string what = "its stripe set " + ec_chid_.ToString();
  std::string bytes;
  Status st = backend_->GetChunk(ec_chid_, &bytes);
  // The version list names the set: its absence is damage, as a missing manifest is.
  if (st.IsNotFound()) return fail(Status::Corruption(what + " is missing"));
  if (!st.ok()) return fail(st.WithContext(what));
  auto set = StripeSet::Decode(bytes);
  if (!set.ok()) return fail(set.status().WithContext(what));
  if (set->vm_chid != vm_chid_)
    return fail(Status::Corruption(what + " encodes version " + set->vm_chid.ToString() + ", not " +
                                   vm_chid_.ToString()));
  auto loaded = std::make_unique<Loaded>();
  auto code = ErasureCode::Create(set->policy());
  if (!code.ok()) return fail(code.status().WithContext(what));
  loaded->code = std::move(*code);
  for (size_t s = 0; s < set->stripes.size(); ++s) {
    const auto& data = set->stripes[s].data;
    for (size_t i = 0; i < data.size(); ++i)
      loaded->where.try_emplace(data[i].chid, s, static_cast<int>(i));
  }
  loaded->set = std::move(*set);
  loaded_ = std::move(loaded);
  return loaded_.get();
}

Result<std::string> StripeReader::Rebuild(const Chid& chid, const Status& read_error) {
  const std::string failed = "object " + name_ + ": payload chunk " + chid.ToString() +
                             " could not be read (" + read_error.ToString() + ")";
  auto loaded = Load();
  if (!loaded.ok())
    return Status(loaded.status().code(), failed + " nor rebuilt: " + loaded.status().message());
  const Loaded& l = **loaded;
  auto it = l.where.find(chid);
  if (it == l.where.end())
    return Status(read_error.code(), failed + ", and no stripe of its stripe set " +
                                         ec_chid_.ToString() + " holds it");
  const auto [stripe_index, index] = it->second;
  const StripeManifest& stripe = l.set.stripes[stripe_index];
  const int k = stripe.policy.data, width = stripe.policy.width();

  // Absent members of a short stripe are zeros every rebuild has; the other sources are
  // fetched, data fragments first, only as many as are still needed, then more for each
  // one that fails.
  int usable = 0;
  std::vector<int> candidates;
  for (int i = 0; i < width; ++i) {
    if (!stripe.IsStored(i))
      ++usable;
    else if (i != index)
      candidates.push_back(i);
  }
  // One slot per fragment: the bytes, an empty string for a fragment that failed its CHID
  // (RebuildFragment takes a view of the wrong length as corrupt and names it so), or
  // nothing for one lost or never fetched.
  std::vector<std::optional<std::string>> bytes(width);
  size_t next = 0;
  while (usable < k && next < candidates.size()) {
    const size_t want = std::min(static_cast<size_t>(k - usable), candidates.size() - next);
    std::vector<std::pair<int, std::future<std::pair<Status, std::string>>>> fetches;
    for (size_t n = 0; n < want; ++n, ++next) {
      const int i = candidates[next];
      Backend* backend = backend_;
      const Chid fragment = stripe.FragmentChid(i);
      fetches.emplace_back(i, std::async(parallel_io_ ? std::launch::async : std::launch::deferred,
                                         [backend, fragment] {
                                           std::string out;
                                           Status st = backend->GetChunk(fragment, &out);
                                           return std::make_pair(st, std::move(out));
                                         }));
    }
    for (auto& [i, f] : fetches) {
      auto [st, out] = f.get();
      if (st.ok()) {
        bytes[i] = std::move(out);
        ++usable;
      } else if (st.IsCorruption()) {
        bytes[i] = std::string();
      }
    }
  }
  std::vector<std::optional<std::string_view>> views(width);
  for (int i = 0; i < width; ++i)
    if (bytes[i]) views[i] = *bytes[i];
  auto rebuilt = RebuildFragment(*l.code, stripe, index, views);
  if (!rebuilt.ok())
    return Status(rebuilt.status().code(),
                  failed + " nor rebuilt from stripe " + std::to_string(stripe_index) + " of " +
                      std::to_string(l.set.stripes.size()) + " (" + stripe.policy.ToString() +
                      ") of stripe set " + ec_chid_.ToString() + ": " + rebuilt.status().message());
  backend_->OnDegradedRead(stripe, chid);
  return rebuilt;
}

}  // namespace ccow
