#include "cluster/cluster_fsm.h"

// libraft's headers have no extern "C" of their own.
extern "C" {
#include <raft.h>
}

#include <cstring>

namespace ccow {

namespace {

// A log entry is the command's length (4 bytes, little-endian), the command, and zeros up
// to a multiple of 8 bytes: raft_uv's segment reader assumes 8-byte aligned entries and
// cannot load a segment holding an entry of another length.
std::string FrameEntry(const std::string& command) {
  std::string entry(4, '\0');
  for (int i = 0; i < 4; ++i) entry[i] = static_cast<char>((command.size() >> (8 * i)) & 0xff);
  entry += command;
  entry.resize((entry.size() + 7) / 8 * 8, '\0');
  return entry;
}

// The command inside an entry; an entry whose length does not fit yields bytes that do
// not decode.
std::string_view UnframeEntry(const raft_buffer* buf) {
  const auto* p = static_cast<const unsigned char*>(buf->base);
  if (buf->len < 4) return {};
  size_t len = p[0] | (p[1] << 8) | (p[2] << 16) | (size_t{p[3]} << 24);
  if (len > buf->len - 4) return {};
  return std::string_view(reinterpret_cast<const char*>(p) + 4, len);
}

}  // namespace

struct FsmCallbacks {
  static int Apply(raft_fsm* fsm, const raft_buffer* buf, void** result) {
    auto* self = static_cast<ClusterFsm*>(fsm->data);
    auto command = DecodeCommand(UnframeEntry(buf));
    if (!command.ok()) {
      // Only our own proposals reach the log; an undecodable one is a bug or disk damage,
      // and stopping the replica is safer than applying something else.
      self->last_status_ = command.status();
      return RAFT_MALFORMED;
    }
    self->last_status_ = self->state_.Apply(*command);
    if (self->on_applied_) self->on_applied_(*command, self->last_status_);
    if (self->last_status_.ok() && self->on_changed_) self->on_changed_();
    *result = &self->last_status_;
    return 0;
  }
  static int Snapshot(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
    auto* self = static_cast<ClusterFsm*>(fsm->data);
    std::string bytes = self->state_.Snapshot();
    *bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
    if (*bufs == nullptr) return RAFT_NOMEM;
    (*bufs)[0].len = bytes.size();
    (*bufs)[0].base = raft_malloc(bytes.size());
    if ((*bufs)[0].base == nullptr) {
      raft_free(*bufs);
      return RAFT_NOMEM;
    }
    std::memcpy((*bufs)[0].base, bytes.data(), bytes.size());
    *n_bufs = 1;
    return 0;
  }
  static int Restore(raft_fsm* fsm, raft_buffer* buf) {
    auto* self = static_cast<ClusterFsm*>(fsm->data);
    auto state = ClusterState::Restore(std::string_view(static_cast<const char*>(buf->base), buf->len));
    if (!state.ok()) return RAFT_MALFORMED;
    self->state_ = std::move(*state);
    raft_free(buf->base);
    if (self->on_changed_) self->on_changed_();
    return 0;
  }
};

ClusterFsm::ClusterFsm() : fsm_(new raft_fsm{}) {
  fsm_->version = 1;
  fsm_->data = this;
  fsm_->apply = FsmCallbacks::Apply;
  fsm_->snapshot = FsmCallbacks::Snapshot;
  fsm_->restore = FsmCallbacks::Restore;
}

ClusterFsm::~ClusterFsm() { delete fsm_; }

namespace {

struct Proposal {
  struct raft_apply req;
  std::function<void(const Status&)> done;
};

void Applied(struct raft_apply* req, int status, void* result) {
  auto* p = static_cast<Proposal*>(req->data);
  if (status != 0) {
    p->done(Status::Unavailable(std::string("the command was not committed: ") + raft_strerror(status)));
  } else {
    p->done(result ? *static_cast<Status*>(result) : Status::OK());
  }
  delete p;
}

}  // namespace

Status ProposeCommand(raft* r, const ClusterCommand& command, std::function<void(const Status&)> done) {
  std::string bytes = FrameEntry(EncodeCommand(command));
  raft_buffer buf;
  buf.len = bytes.size();
  buf.base = raft_malloc(bytes.size());
  if (buf.base == nullptr) return Status::Internal("out of memory");
  std::memcpy(buf.base, bytes.data(), bytes.size());
  auto* p = new Proposal{};
  p->req.data = p;
  p->done = std::move(done);
  int rv = raft_apply(r, &p->req, &buf, 1, Applied);
  if (rv != 0) {
    raft_free(buf.base);
    delete p;
    if (rv == RAFT_NOTLEADER)
      return Status::Unavailable("this node is not the Raft leader (no quorum on this side, or the leader moved)");
    return Status::Internal(std::string("raft_apply: ") + raft_strerror(rv));
  }
  return Status::OK();
}

}  // namespace ccow
