// A VDEV's Replicast server: proposals and bids, trains, named puts, gets and scans.
#include "target/vdev_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "model/encoding.h"
#include "target/target_impl.h"

namespace ccow::target_internal {
namespace {

// The position of a VDEV in a row, or -1.
int PositionInRow(const FlexHashTable& table, uint32_t row, const std::string& vdev_id) {
  const auto& members = table.Row(row);
  for (size_t i = 0; i < members.size(); ++i)
    if (table.vdevs()[members[i]].id == vdev_id) return static_cast<int>(i);
  return -1;
}

// What a worker keeps of its chunk read buffer between fetches.
constexpr size_t kKeptReadBufferBytes = 4 << 20;

uint64_t NewIncarnation() {
  std::random_device random;
  uint64_t x = 0;
  while (x == 0) x = (uint64_t{random()} << 32) ^ random();
  return x;
}

}  // namespace

VdevServer::VdevServer(TargetImpl* target, TargetVdev vdev)
    : target_(target), vdev_(std::move(vdev)), incarnation_(NewIncarnation()) {}

Status VdevServer::Bind(Network* network) {
  CCOW_ASSIGN_OR_RETURN(owner_, network->Bind(vdev_.address, [this](const std::string& from,
                                                                     std::string_view bytes) {
                          ready_.wait(false, std::memory_order_acquire);
                          OnMessage(from, bytes);
                        }));
  ep_ = owner_.get();
  ready_.store(true, std::memory_order_release);
  ready_.notify_all();
  if (target_->options().multicast_base_port != 0) {
    auto table = target_->table();
    for (uint32_t row = 0; row < table->row_count(); ++row) {
      if (PositionInRow(*table, row, vdev_.id) < 0) continue;
      Status s = ep_->JoinGroup(MulticastGroupOf(row, target_->options().multicast_base_port));
      if (!s.ok()) return s.WithContext("joining the multicast group of row " + std::to_string(row));
    }
  }
  return Status::OK();
}

void VdevServer::Reply(const std::string& to, const Header& h, Body body) {
  Message m{h, std::move(body)};
  Status s = ep_->Send(to, m.Encode());
  if (!s.ok()) target_->LogRefusal("reply to " + to + " failed: " + s.ToString());
}

void VdevServer::OnMessage(const std::string& from, std::string_view bytes) {
  target_->Count([](TargetCounters& c) { ++c.messages; });
  std::string_view payload;  // a train piece's, viewed in place: copied once, into its train
  auto decoded = Message::DecodeView(bytes, &payload);
  if (!decoded.ok()) {
    target_->Count([](TargetCounters& c) { ++c.malformed; });
    target_->LogRefusal("dropped a datagram from " + from + ": " + decoded.status().ToString());
    return;
  }
  Message& m = *decoded;
  if (std::holds_alternative<ServerListGet>(m.body)) {
    Reply(from, m.header, ServerListResponse{target_->table_json()});
    return;
  }
  auto table = target_->table();
  if (m.header.generation != table->generation()) {
    target_->Count([](TargetCounters& c) { ++c.wrong_generation; });
    target_->LogRefusal("refused a message of FlexHash generation " +
                        std::to_string(m.header.generation) + " from " + from + " (current " +
                        std::to_string(table->generation()) + ")");
    Reply(from, m.header, GenerationMismatch{table->generation()});
    return;
  }
  // Row-addressed messages must name a row this VDEV serves, and ids must lie in it. Gets
  // are answered for any row: after a membership change a VDEV may still hold what its row
  // no longer names, until healing moves it.
  auto in_row = [&](const HashId* id, bool any_vdev = false) {
    bool ok = m.header.row < table->row_count() &&
              (any_vdev || PositionInRow(*table, m.header.row, vdev_.id) >= 0) &&
              (id == nullptr || table->RowOf(*id) == m.header.row);
    if (!ok) {
      target_->Count([](TargetCounters& c) { ++c.wrong_row; });
      target_->LogRefusal("dropped a message for row " + std::to_string(m.header.row) +
                          " from " + from + ": not this VDEV's row or id outside it");
    }
    return ok;
  };
  Sweep(target_->network()->NowNs());
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, UnnamedPutProposal>) {
          if (in_row(&body.chid)) OnUnnamedProposal(from, m.header, body);
        } else if constexpr (std::is_same_v<T, NamedPutProposal>) {
          if (body.nhid != NameHashOf(body.name)) {
            target_->Count([](TargetCounters& c) { ++c.wrong_row; });
            target_->LogRefusal("dropped a named put from " + from + " whose NHID is not its name's");
          } else if (in_row(&body.nhid)) {
            OnNamedProposal(from, m.header, body);
          }
        } else if constexpr (std::is_same_v<T, RendezvousTransfer>) {
          if (body.rendezvous_mask != 0) {
            // A multicast train: only the chosen VDEVs of the row take it; the others
            // learn from it that their bid was not chosen.
            int pos = PositionInRow(*table, m.header.row, vdev_.id);
            if (pos < 0 || pos >= 64 || !(body.rendezvous_mask & (1ull << pos))) {
              ReleaseBid(m.header.txid);
              return;
            }
          }
          if (in_row(nullptr)) OnTransfer(from, m.header, body, payload);
        } else if constexpr (std::is_same_v<T, UnnamedGet>) {
          if (in_row(&body.chid, true)) OnUnnamedGet(from, m.header, body);
        } else if constexpr (std::is_same_v<T, NamedGet>) {
          if (in_row(&body.nhid, true)) OnNamedGet(from, m.header, body);
        } else if constexpr (std::is_same_v<T, NameScan>) {
          OnNameScan(from, m.header, body);
        } else if constexpr (std::is_same_v<T, GcControl>) {
          OnGcControl(from, m.header, body);
        } else if constexpr (std::is_same_v<T, GcMark>) {
          Reply(from, m.header, gc_->OnMark(body));
        } else if constexpr (std::is_same_v<T, BidRelease>) {
          ReleaseBid(m.header.txid);
        } else if constexpr (std::is_same_v<T, SyncRequest>) {
          OnSyncRequest(from, m.header, body);
        } else {
          target_->Count([](TargetCounters& c) { ++c.unexpected; });
          target_->LogRefusal("dropped a reply-type message (opcode " +
                              std::to_string(static_cast<int>(m.opcode())) + ") from " + from);
        }
      },
      m.body);
}

Body VdevServer::MakeBid(uint64_t txid, uint64_t size, uint64_t free_bytes, uint8_t replication_count) {
  const TargetOptions& o = target_->options();
  uint64_t now = target_->network()->NowNs();
  std::lock_guard lock(mu_);
  // Reservations are promises most of which go unused (R of a row's bidders are chosen);
  // only transfers under way fill the queue.
  if (trains_.size() >= o.max_queued_transfers) {
    target_->Count([](TargetCounters& c) { ++c.not_now; });
    return AcceptNotNow{10};
  }
  uint64_t queued = 0;
  for (const auto& [id, r] : reservations_) queued += r.bytes;
  for (const auto& [key, t] : trains_) queued += t.size - t.received;
  auto ns_for = [&](uint64_t bytes) {
    return static_cast<uint64_t>(static_cast<double>(bytes) * 1e9 / o.vdev_bytes_per_second);
  };
  Bid bid;
  bid.start_delay_ns = ns_for(queued);
  bid.duration_ns = ns_for(size);
  bid.queue_weight = static_cast<uint32_t>(trains_.size() + reservations_.size());
  bid.free_bytes = free_bytes;
  reservations_[txid] = {size, now + bid.start_delay_ns + bid.duration_ns + o.reservation_ns,
                         replication_count};
  target_->Count([](TargetCounters& c) { ++c.bids; });
  return bid;
}

void VdevServer::OnUnnamedProposal(const std::string& from, const Header& h,
                                   const UnnamedPutProposal& p) {
  // Pinned before the store is asked: a sweep either removed it already (it is stored
  // again) or keeps it for this pass.
  const uint64_t pin_epoch = gc_->Pin(p.chid);
  auto have = vdev_.store->Contains(p.chid);
  if (have.ok() && *have) {
    target_->Count([](TargetCounters& c) { ++c.dedup_accepts; });
    const HashId chid = p.chid;
    AnswerStoredAt(from, h, chid, p.replication_count, p.defer_sync, [chid, pin_epoch](uint64_t incarnation) -> Body {
      return AcceptContentStored{chid, pin_epoch, incarnation};
    });
    return;
  }
  if (p.size > kMaxMessageBytes) {
    Reply(from, h, PayloadNack{p.chid, NackReason::kInternal});
    return;
  }
  const uint64_t free_bytes = vdev_.store->Capacity().free_bytes;
  if (free_bytes < p.size + (64 << 20)) {
    Reply(from, h, PayloadNack{p.chid, NackReason::kNoSpace});
    return;
  }
  Reply(from, h, MakeBid(h.txid, p.size, free_bytes, p.replication_count));
}

void VdevServer::OnTransfer(const std::string& from, const Header& h, const RendezvousTransfer& t,
                             std::string_view payload) {
  Train done;
  {
    std::lock_guard lock(mu_);
    auto key = std::make_pair(h.txid, t.chid);
    auto it = trains_.find(key);
    if (it == trains_.end()) {
      if (t.named) {
        // A version list's train with no proposal here: its value cannot be applied
        // (nor ever stored as a chunk); the initiator retries the named put.
        Reply(from, h, PayloadNack{t.chid, NackReason::kNotProposed});
        return;
      }
      // A chunk already stored (a retransmitted train whose ack was lost, or another put
      // stored it since the bid) is acked again, once the R this put asks is recorded.
      const uint64_t pin_epoch = gc_->Pin(t.chid);
      auto have = vdev_.store->Contains(t.chid);
      if (have.ok() && *have && t.rendezvous_mask == 0) {
        const HashId chid = t.chid;
        AnswerStoredAt(from, h, chid, t.replication_count, t.defer_sync,
                       [chid, pin_epoch](uint64_t incarnation) -> Body { return PayloadAck{chid, pin_epoch, incarnation}; });
        return;
      }
      if (t.total_size > kMaxMessageBytes) {  // no chunk is that large: refuse, never allocate
        target_->Count([](TargetCounters& c) { ++c.dropped_trains; });
        target_->LogRefusal("refused a train of " + std::to_string(t.total_size) + " bytes from " + from);
        Reply(from, h, PayloadNack{t.chid, NackReason::kInternal});
        return;
      }
      if (target_->table()->RowOf(t.chid) != h.row) {
        // Not a chunk of this row: a version list's train whose proposal this VDEV lost
        // (it restarted) must not be stored as a chunk.
        target_->Count([](TargetCounters& c) { ++c.dropped_trains; });
        Reply(from, h, PayloadNack{t.chid, NackReason::kNotProposed});
        return;
      }
      // No bid for it (this target restarted, or the bid expired): take it anyway, the
      // hash check decides whether it is stored.
      it = trains_.emplace(key, Train{}).first;
      it->second.from = from;
      // The train says what its put asked; a bid still held says the same.
      it->second.replication_count = t.replication_count;
      if (auto r = reservations_.find(h.txid); r != reservations_.end())
        it->second.replication_count = std::max(it->second.replication_count, r->second.replication_count);
      it->second.size = t.total_size;
      it->second.defer_sync = t.defer_sync && !t.named;
    }
    reservations_.erase(h.txid);
    Train& train = it->second;
    train.last_activity_ns = target_->network()->NowNs();
    if (t.total_size != train.size) {
      Reply(from, h, PayloadNack{t.chid, NackReason::kInternal});
      return;
    }
    if (train.bytes.empty() && train.size > 0) {
      // The first piece: the buffer, within the bound on what all trains hold. Over it,
      // the train is refused and its initiator tries again (a named put anew).
      if (!TakeBuffer(train.size, "a train", from, &train.bytes)) {
        trains_.erase(it);
        Reply(from, h, PayloadNack{t.chid, NackReason::kNotProposed});
        return;
      }
    }
    if (!payload.empty() && !train.pieces.count(t.offset)) {
      std::memcpy(train.bytes.data() + t.offset, payload.data(), payload.size());
      train.pieces[t.offset] = payload.size();
      train.received += payload.size();
      if (!train.hasher) train.hasher = Hasher::Create(t.chid.algo());
      for (auto next = train.pieces.find(train.hashed); train.hasher && next != train.pieces.end();
           next = train.pieces.find(train.hashed)) {
        train.hasher->Update(train.bytes.data() + train.hashed, next->second);
        train.hashed += next->second;
      }
    }
    if (train.received < train.size) return;
    done = std::move(train);
    trains_.erase(it);
  }
  done.from = from;
  Complete(h, t.chid, std::move(done));
}

bool VdevServer::TakeBuffer(uint64_t size, const char* what, const std::string& from, PooledBuffer* out) {
  const uint64_t limit = target_->options().max_buffered_bytes;
  if (target_->buffered_bytes() + size > limit) {
    target_->Count([](TargetCounters& c) { ++c.dropped_trains; });
    target_->LogRefusal(std::string("refused ") + what + " of " + std::to_string(size) + " bytes from " + from +
                        ": trains already hold " + std::to_string(target_->buffered_bytes().load()) +
                        " bytes of at most " + std::to_string(limit));
    return false;
  }
  *out = target_->pool().Get(size);
  target_->buffered_bytes() += size;
  return true;
}

void VdevServer::Complete(const Header& h, const HashId& chid, Train train) {
  // Its bytes stay counted in buffered_bytes until stored: a train waiting for a worker
  // holds its buffer as much as one still arriving.
  const uint64_t held = train.bytes.size();
  auto shared = std::make_shared<Train>(std::move(train));
  target_->Run([this, h, chid, shared, held] {
    CompleteTrain(h, chid, std::move(*shared));
    target_->buffered_bytes() -= held;
  });
}

void VdevServer::CompleteTrain(const Header& h, const HashId& chid, Train train) {
  // Hashed on arrival when the pieces covered the value end to end without overlap; else
  // (pieces of a resent train cut differently) hashed whole now.
  const HashId got = train.hasher && train.hashed == train.size ? train.hasher->Final()
                                                                : HashBytes(chid.algo(), train.bytes.view());
  if (got != chid) {
    target_->Count([](TargetCounters& c) { ++c.hash_mismatches; });
    target_->LogRefusal("a train from " + train.from + " does not hash to " + chid.ToString());
    Reply(train.from, h, PayloadNack{chid, NackReason::kHashMismatch});
    return;
  }
  if (train.named) {
    CompleteNamed(h, chid, train);
    return;
  }
  bool stored_new = false;
  const uint64_t pin_epoch = gc_->Pin(chid);  // a train without a proposal here (a restart)
  Status s = vdev_.store->Put(chid, train.bytes.view(), &stored_new);
  if (s.ok() && train.replication_count > 0)
    s = vdev_.store->RecordReplicationCount(chid, train.replication_count).status();
  // Acked means durable (DESIGN.md invariant 3): now, or for a deferred put once its
  // writer's SyncRequest to this incarnation succeeds, before it commits.
  if (s.ok() && !train.defer_sync) s = vdev_.store->Sync();
  if (!s.ok()) {
    spdlog::error("VDEV {}: storing chunk {} failed: {}", vdev_.id, chid.ToString(), s.ToString());
    Reply(train.from, h, PayloadNack{chid, s.code() == Code::kNoSpace ? NackReason::kNoSpace
                                                                     : NackReason::kInternal});
    return;
  }
  if (stored_new) {
    uint64_t n = train.bytes.size();
    target_->Count([n](TargetCounters& c) {
      ++c.chunks_stored;
      c.payload_bytes_stored += n;
    });
  }
  Reply(train.from, h, PayloadAck{chid, pin_epoch, train.defer_sync ? incarnation_ : 0});
}

void VdevServer::AnswerStoredAt(const std::string& from, const Header& h, const HashId& chid,
                                uint8_t replication_count, bool defer_sync, std::function<Body(uint64_t)> answer) {
  // A higher count than recorded is recorded first and is durable with the answer (the
  // raise is unsynced until then): the healer keeps that many replicas even if this
  // target restarts right after answering.
  auto raised = vdev_.store->RecordReplicationCount(chid, replication_count);
  if (!raised.ok()) {
    spdlog::error("VDEV {}: recording R={} for chunk {} failed: {}", vdev_.id, replication_count, chid.ToString(),
                  raised.status().ToString());
    Reply(from, h, PayloadNack{chid, NackReason::kInternal});
    return;
  }
  AnswerStored(from, h, defer_sync, PayloadNack{chid, NackReason::kInternal}, std::move(answer));
}

void VdevServer::AnswerStored(const std::string& from, const Header& h, bool defer_sync,
                              std::optional<Body> failure, std::function<Body(uint64_t)> answer) {
  if (!vdev_.store->HasUnsynced()) {
    Reply(from, h, answer(0));
  } else if (defer_sync) {
    Reply(from, h, answer(incarnation_));
  } else {
    // Synced on a worker: a receive thread that waited for an fdatasync would stop
    // answering every other proposal meanwhile.
    target_->Run([this, from, h, failure = std::move(failure), answer = std::move(answer)] {
      Status s = vdev_.store->Sync();
      if (s.ok()) {
        Reply(from, h, answer(0));
        return;
      }
      spdlog::error("VDEV {}: sync before answering 'stored' failed: {}", vdev_.id, s.ToString());
      if (failure) Reply(from, h, *failure);
    });
  }
}

void VdevServer::OnSyncRequest(const std::string& from, const Header& h, const SyncRequest& s) {
  target_->Count([](TargetCounters& c) { ++c.sync_requests; });
  if (s.incarnation != incarnation_) {
    // Restarted since it answered: what it took without a sync may be lost.
    target_->LogRefusal("refused a sync of incarnation " + std::to_string(s.incarnation) + " from " + from +
                        ": this VDEV restarted since (now " + std::to_string(incarnation_) + ")");
    Reply(from, h, SyncReply{incarnation_, SyncStatus::kRestarted});
    return;
  }
  target_->Run([this, from, h] {
    Status st = vdev_.store->Sync();
    if (!st.ok()) spdlog::error("VDEV {}: a writer's sync failed: {}", vdev_.id, st.ToString());
    Reply(from, h, SyncReply{incarnation_, st.ok()                        ? SyncStatus::kOk
                                           : st.code() == Code::kNoSpace ? SyncStatus::kNoSpace
                                                                         : SyncStatus::kFailed});
  });
}

void VdevServer::SendValue(const std::string& to, const Header& h, const HashId& chid,
                           uint64_t seq, const std::string& value) {
  size_t piece = PieceSize(target_->network());
  uint64_t offset = 0;
  const std::string_view all(value);
  do {
    size_t n = std::min<uint64_t>(piece, value.size() - offset);
    // The piece's payload is gathered from `value` by the send, never copied.
    Message::Frame f = Message{h, GetResponse{chid, GetStatus::kOk, seq, value.size(), offset, {}}}
                           .EncodeFrame(all.substr(offset, n));
    const std::string_view parts[3] = {f.head, all.substr(offset, n), f.tail};
    Status s = ep_->SendParts(to, parts);
    if (!s.ok()) target_->LogRefusal("reply to " + to + " failed: " + s.ToString());
    offset += n;
  } while (offset < value.size());
  target_->Count([](TargetCounters& c) { ++c.gets_served; });
}

void VdevServer::OnUnnamedGet(const std::string& from, const Header& h, const UnnamedGet& g) {
  if (g.mode == GetMode::kProbe || g.mode == GetMode::kTouch) {
    // A touch pins first, like a put proposal, and answers the pin epoch in seq.
    const uint64_t pin_epoch = g.mode == GetMode::kTouch ? gc_->Pin(g.chid) : 0;
    auto have = vdev_.store->Contains(g.chid);
    bool present = have.ok() && *have;
    if (present && g.mode == GetMode::kTouch && g.replication_count > 0) {
      // The touching version's R, recorded durably before the answer (as a put's "stored";
      // AnswerStored syncs it): a sweep may have lowered the count before this pin.
      auto raised = vdev_.store->RecordReplicationCount(g.chid, g.replication_count);
      if (!raised.ok()) {
        // No answer: the initiator counts this VDEV as not answering and the touch fails
        // unless another holder answers.
        spdlog::error("VDEV {}: recording R={} for touched chunk {} failed: {}", vdev_.id, g.replication_count,
                      g.chid.ToString(), raised.status().ToString());
        return;
      }
    }
    GetResponse probe{g.chid, present ? GetStatus::kOk : GetStatus::kNotFound};
    if (present) probe.seq = pin_epoch;
    if (present) {
      auto r = vdev_.store->ReplicationCount(g.chid);
      probe.replication_count = static_cast<uint8_t>(std::min<uint32_t>(r.ok() ? *r : 0, 255));
    }
    if (present && g.mode == GetMode::kTouch) {
      // A touched chunk is about to be referenced by a commit: durable first (it may be a
      // deferred write's, not synced yet). On a failed sync no answer goes back.
      AnswerStored(from, h, false, std::nullopt, [probe](uint64_t) -> Body { return probe; });
      return;
    }
    Reply(from, h, std::move(probe));
    return;
  }
  target_->Run([this, from, h, g] {
    // Kept per worker thread: its capacity is reused, so a read faults no new pages in.
    thread_local std::string bytes;
    Status s = vdev_.store->Get(g.chid, &bytes);
    if (s.ok()) {
      SendValue(from, h, g.chid, 0, bytes);
    } else if (s.code() == Code::kNotFound) {
      Reply(from, h, GetResponse{g.chid, GetStatus::kNotFound});
    } else {
      target_->Count([](TargetCounters& c) { ++c.corrupt_reads; });
      spdlog::error("VDEV {}: {}", vdev_.id, s.ToString());
      Reply(from, h, GetResponse{g.chid, GetStatus::kCorrupt});
      if (target_->options().on_corrupt_read) target_->options().on_corrupt_read(vdev_.id, g.chid);
    }
    if (bytes.capacity() > kKeptReadBufferBytes) bytes = std::string();  // rare large chunks: not kept
  });
}

void VdevServer::OnGcControl(const std::string& from, const Header& h, const GcControl& c) {
  auto in_rows = [this](const HashId& chid) {
    auto table = target_->table();
    return PositionInRow(*table, table->RowOf(chid), vdev_.id) >= 0;
  };
  // A sweep reads and removes for a while: it runs on a worker, and the coordinator asks
  // again until the reply says it has finished.
  Reply(from, h, gc_->OnControl(c, in_rows, [this](std::function<void()> job) { target_->Run(std::move(job)); }));
}

void VdevServer::Sweep(uint64_t now) {
  std::lock_guard lock(mu_);
  if (now - last_sweep_ns_ < 100'000'000) return;
  last_sweep_ns_ = now;
  for (auto it = reservations_.begin(); it != reservations_.end();)
    it = it->second.expires_ns < now ? reservations_.erase(it) : std::next(it);
  for (auto it = trains_.begin(); it != trains_.end();) {
    if (now - it->second.last_activity_ns > target_->options().train_timeout_ns) {
      target_->Count([](TargetCounters& c) { ++c.dropped_trains; });
      target_->buffered_bytes() -= it->second.bytes.size();
      it = trains_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ccow::target_internal
