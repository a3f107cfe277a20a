#include "isgw/export_site.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "isgw/isgw_link.h"

namespace ccow::isgw {

namespace {
constexpr const char* kStateFile = "/export.state";

Result<ClusterState> LoadState(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ClusterState();  // a new export
    return Status::FromErrno(errno, "reading " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto state = ClusterState::Restore(bytes.str());
  if (!state.ok()) return Status::Corruption(path + " is not an export's state: " + state.status().message());
  return state;
}
}  // namespace

Result<std::shared_ptr<ExportSite>> ExportSite::Open(const std::string& dir, const std::string& service,
                                                     const std::string& cursor_key, IsgwLink* into) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
  std::shared_ptr<ExportSite> site(new ExportSite());
  site->dir_ = dir;
  site->service_ = service;
  // The store first: its lock makes the directory this process's before the state is
  // read or written (a process refused as busy must not rewrite it).
  CCOW_ASSIGN_OR_RETURN(auto backend, OpenLocalBackend(dir));
  CCOW_ASSIGN_OR_RETURN(ClusterState state, LoadState(dir + kStateFile));
  // This service uses the export, sending and receiving, and serves every bucket in it.
  std::vector<ClusterCommand> setup;
  if (!state.services().count(service)) setup.push_back(command::CreateService{service, "isgw"});
  for (const auto& cmd : setup) CCOW_RETURN_IF_ERROR(state.Apply(cmd));
  for (const auto& [seg, segment] : state.segments())
    for (const auto& [ten, tenant] : segment.tenants)
      for (const auto& [bkt, bucket] : tenant.buckets) {
        const std::string path = seg + "/" + ten + "/" + bkt;
        const auto& serves = state.services().at(service).serves;
        if (!std::binary_search(serves.begin(), serves.end(), path))
          CCOW_RETURN_IF_ERROR(state.Apply(command::ServiceServe{service, path}));
      }
  site->state_ = std::make_shared<const ClusterState>(std::move(state));
  CCOW_RETURN_IF_ERROR(WriteFileAtomically(dir + kStateFile, site->state_->Snapshot()));

  ApiOptions options;
  ExportSite* self = site.get();
  // Every change merged into the export goes to its trlog, which the importers read.
  options.trlog_records = [self](const std::string& bucket) { return self->state()->TrlogRecords(bucket); };
  site->api_ = std::make_shared<ObjectApi>(std::shared_ptr<Backend>(std::move(backend)), options);

  LinkOptions end;
  end.service = service;
  end.state = [self] { return self->state(); };
  end.propose = [self](const ClusterCommand& c) { return self->Propose(c); };
  site->end_ = std::make_unique<IsgwLink>(site->api_, std::move(end));

  LinkOptions import;
  import.service = service;
  import.state = [self] { return self->state(); };
  import.cursor_key = cursor_key;
  import.transport = [into, dir](const std::string& op, std::string body) {
    return into->Answer(op, std::move(body), "export " + dir);
  };
  site->import_ = std::make_unique<IsgwLink>(site->api_, std::move(import));
  return site;
}

ExportSite::~ExportSite() {
  // The links before the object API they use.
  import_.reset();
  end_.reset();
}

std::shared_ptr<const ClusterState> ExportSite::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

Status ExportSite::Propose(const ClusterCommand& command) {
  std::lock_guard lock(mu_);
  ClusterState next = *state_;
  CCOW_RETURN_IF_ERROR(next.Apply(command));
  CCOW_RETURN_IF_ERROR(WriteFileAtomically(dir_ + kStateFile, next.Snapshot()));
  state_ = std::make_shared<const ClusterState>(std::move(next));
  return Status::OK();
}

std::pair<int, std::string> ExportSite::Answer(const std::string& op, std::string body) {
  return end_->Answer(op, std::move(body), "this segment");
}

Status ExportSite::ImportRound() { return import_->RunRound(); }

}  // namespace ccow::isgw
