// A VDEV's version lists (named values): named put proposals, judged by their per-name
// sequence and stored under the collector's admission; named gets and name scans.
#include "target/vdev_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "target/target_impl.h"

namespace ccow::target_internal {
namespace {

// Whether a named put may apply over what the VDEV holds; equal sequence and content is a
// retransmission of a put already applied, acked again.
enum class NamedVerdict { kApply, kAlreadyApplied, kConflict };
NamedVerdict Judge(const NamedPutProposal& p, const std::optional<NamedValue>& current) {
  uint64_t seq = current ? current->seq : 0;
  if (current && seq == p.new_seq && current->ValueChid() == p.chid)
    return NamedVerdict::kAlreadyApplied;
  if (p.mode == NamedPutMode::kCompareAndSwap) return seq <= p.expected_seq ? NamedVerdict::kApply : NamedVerdict::kConflict;
  return seq < p.new_seq ? NamedVerdict::kApply : NamedVerdict::kConflict;
}

}  // namespace

Result<std::optional<NamedValue>> VdevServer::ReadNamed(const std::string& name) {
  CCOW_ASSIGN_OR_RETURN(auto raw, vdev_.store->GetVersionList(name));
  if (!raw) return std::optional<NamedValue>();
  CCOW_ASSIGN_OR_RETURN(NamedValue v, NamedValue::Decode(*raw));
  return std::optional<NamedValue>(std::move(v));
}

void VdevServer::OnNamedProposal(const std::string& from, const Header& h,
                                 const NamedPutProposal& p) {
  if (p.size > kMaxMessageBytes || p.new_seq <= p.expected_seq) {
    Reply(from, h, PayloadNack{p.chid, NackReason::kInternal});
    return;
  }
  auto current = ReadNamed(p.name);
  if (!current.ok()) {
    Reply(from, h, PayloadNack{p.chid, NackReason::kInternal});
    return;
  }
  switch (Judge(p, *current)) {
    case NamedVerdict::kAlreadyApplied: Reply(from, h, PayloadAck{p.chid}); return;
    case NamedVerdict::kConflict:
      target_->Count([](TargetCounters& c) { ++c.named_conflicts; });
      Reply(from, h, PayloadNack{p.chid, NackReason::kConflict});
      return;
    case NamedVerdict::kApply: break;
  }
  if (!p.value.empty()) {
    // The value came in the proposal: stored now (on a worker: it is fsynced) and acked,
    // within the bound on what trains hold, as the first piece of a train would be.
    Train t;
    if (!TakeBuffer(p.size, "a version list", from, &t.bytes)) {
      Reply(from, h, PayloadNack{p.chid, NackReason::kNotProposed});
      return;
    }
    t.from = from;
    t.size = p.size;
    std::memcpy(t.bytes.data(), p.value.data(), p.size);
    t.received = p.size;
    t.named = p;
    t.named->value = {};  // its bytes are in the buffer now
    Complete(h, p.chid, std::move(t));
    return;
  }
  {
    // The train that follows is matched to this proposal by txid and CHID.
    std::lock_guard lock(mu_);
    Train& t = trains_[{h.txid, p.chid}];
    if (!t.named && t.received == 0) {
      t.from = from;
      t.size = p.size;
      t.named = p;
      t.last_activity_ns = target_->network()->NowNs();
    }
  }
  if (p.size == 0) {  // a tombstone has no train
    Train t;
    {
      std::lock_guard lock(mu_);
      auto it = trains_.find({h.txid, p.chid});
      if (it == trains_.end()) return;
      t = std::move(it->second);
      trains_.erase(it);
    }
    CompleteTrain(h, p.chid, std::move(t));
    return;
  }
  Reply(from, h, MakeBid(h.txid, p.size, vdev_.store->Capacity().free_bytes));
}

void VdevServer::CompleteNamed(const Header& h, const HashId& chid, const Train& train) {
  const NamedPutProposal& p = *train.named;
  std::lock_guard lock(named_mu_);
  // Committed under the admission: a GC fence waits for it, or refused it.
  VdevGc::Admission admitted = gc_->AdmitNamedPut(p.min_pin_epoch);
  if (!admitted.allowed()) {
    Reply(train.from, h, PayloadNack{chid, NackReason::kFenced});
    return;
  }
  auto current = ReadNamed(p.name);
  if (!current.ok()) {
    Reply(train.from, h, PayloadNack{chid, NackReason::kInternal});
    return;
  }
  NamedVerdict verdict = Judge(p, *current);
  if (verdict == NamedVerdict::kConflict) {
    target_->Count([](TargetCounters& c) { ++c.named_conflicts; });
    Reply(train.from, h, PayloadNack{chid, NackReason::kConflict});
    return;
  }
  if (verdict == NamedVerdict::kApply) {
    NamedValue v{p.new_seq, std::string(train.bytes.view())};
    Status s = vdev_.store->PutVersionList(p.name, v.Encode());
    if (!s.ok()) {
      spdlog::error("VDEV {}: storing the version list of {} failed: {}", vdev_.id, p.name,
                    s.ToString());
      Reply(train.from, h, PayloadNack{chid, s.code() == Code::kNoSpace ? NackReason::kNoSpace
                                                                       : NackReason::kInternal});
      return;
    }
    target_->Count([](TargetCounters& c) { ++c.named_puts; });
  }
  Reply(train.from, h, PayloadAck{chid});
}

void VdevServer::OnNamedGet(const std::string& from, const Header& h, const NamedGet& g) {
  auto current = ReadNamed(g.name);
  if (!current.ok()) {
    spdlog::error("VDEV {}: version list of {}: {}", vdev_.id, g.name, current.status().ToString());
    Reply(from, h, GetResponse{g.nhid, GetStatus::kCorrupt});
  } else if (!*current) {
    Reply(from, h, GetResponse{g.nhid, GetStatus::kNotFound});
  } else {
    SendValue(from, h, (*current)->ValueChid(), (*current)->seq, (*current)->value);
  }
}

void VdevServer::OnNameScan(const std::string& from, const Header& h, const NameScan& scan) {
  NameScanResponse response;
  size_t budget = PieceSize(target_->network()) - scan.prefix.size() - 64;
  uint32_t max_entries = std::clamp<uint32_t>(scan.max_entries, 1, 1000);
  Status decode_error;
  Status s = vdev_.store->ScanVersionLists(
      scan.prefix, scan.start_after, [&](std::string_view name, std::string_view raw) {
        auto v = NamedValue::Decode(raw);
        if (!v.ok()) {
          decode_error = v.status().WithContext(std::string(name));
          return false;
        }
        size_t cost = name.size() + 24;
        if (response.entries.size() >= max_entries || cost > budget) {
          response.more = true;
          return false;
        }
        NameScanEntry e{std::string(name), v->seq, false, ""};
        if (cost + v->value.size() <= budget && budget - cost - v->value.size() >= budget / 4) {
          e.has_value = true;
          e.value = std::move(v->value);
          cost += e.value.size();
        }
        budget -= cost;
        response.entries.push_back(std::move(e));
        return true;
      });
  if (!s.ok() || !decode_error.ok()) {
    spdlog::error("VDEV {}: name scan failed: {}", vdev_.id,
                  (s.ok() ? decode_error : s).ToString());
    return;  // the initiator times out on this VDEV and counts it as not answering
  }
  Reply(from, h, std::move(response));
}

}  // namespace ccow::target_internal
