// `ccow cluster up|down`: a local multi-process cluster on loopback for development and
// tests. `up` makes a FlexHash over N targets x M VDEVs, writes each target's
// configuration, starts `ccow target` processes and waits until every VDEV answers;
// DIR/cluster.json then tells every `--cluster DIR` command where the cluster is. Run on a
// directory that already holds a cluster, `up` restarts the targets that are not running.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <openssl/rand.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/cli_common.h"
#include "cli/cluster_admin.h"
#include "cli/cluster_from.h"
#include "core/atomic_file.h"
#include "client/cluster_backend.h"
#include "cluster/cluster_node.h"
#include "core/hash.h"
#include "flexhash/flexhash.h"
#include "replicast/message.h"
#include "replicast/network.h"
#include "target/target_config.h"

namespace ccow::cli {
namespace {

namespace fs = std::filesystem;

struct UpFlags {
  int targets = 5, vdevs = 2;
  std::string dir;
  std::string transport = "udp";
  uint32_t replicas = 3;
  std::string failure_domain = "server";
  std::string select_policy = "queue-latency";
  int add = 0;                    // targets to add to an existing cluster
  uint64_t dead_timeout_ms = 5000;  // heartbeat silence before a target is declared dead
  uint64_t heal_rate_mb = 100;    // MB/s of repair traffic per target
  std::string from;               // a single-node data directory to grow from
  // Background jobs of every target (durations as ParseDurationFlag reads them, a rate as
  // ParseSizeFlag): garbage collection (the Raft leader drives it) and scrub.
  std::string gc_interval = "1h", gc_fence_grace = "5m", quarantine_retention = "7d";
  std::string scrub_interval = "7d";
  std::string scrub_rate;  // "": the target's default (25 MB/s)
  std::string gc_rate;     // "": the target's default (16 MB/s)
  std::string ec_interval = "1h", ec_rest_age = "1h", ec_min_size = "4M";
};

// A rate flag (a size per second, as ParseSizeFlag reads it) as a target counts rates:
// whole MB/s (10^6 bytes), the nearest, at least 1 (0 stays 0: unlimited).
Result<uint64_t> WholeMbPerSecond(const std::string& flag, const std::string& text) {
  CCOW_ASSIGN_OR_RETURN(uint64_t bytes, ParseSizeFlag(flag, text));
  return bytes == 0 ? 0 : std::max<uint64_t>(1, (bytes + 500'000) / 1'000'000);
}

// The flags of the targets' background jobs into a target configuration.
Status ApplyJobFlags(const UpFlags& f, TargetConfig* config) {
  constexpr uint64_t kNsPerSecond = 1'000'000'000;
  CCOW_ASSIGN_OR_RETURN(uint64_t interval, ParseDurationFlag("--gc-interval", f.gc_interval));
  CCOW_ASSIGN_OR_RETURN(uint64_t grace, ParseDurationFlag("--gc-fence-grace", f.gc_fence_grace));
  CCOW_ASSIGN_OR_RETURN(uint64_t retention, ParseDurationFlag("--quarantine-retention", f.quarantine_retention));
  CCOW_ASSIGN_OR_RETURN(uint64_t scrub_interval, ParseDurationFlag("--scrub-interval", f.scrub_interval));
  config->gc_interval_s = interval / kNsPerSecond;
  config->gc_fence_grace_s = grace / kNsPerSecond;
  config->quarantine_retention_s = retention / kNsPerSecond;
  config->scrub_interval_s = scrub_interval / kNsPerSecond;
  CCOW_ASSIGN_OR_RETURN(uint64_t ec_interval, ParseDurationFlag("--ec-interval", f.ec_interval));
  CCOW_ASSIGN_OR_RETURN(uint64_t ec_rest_age, ParseDurationFlag("--ec-rest-age", f.ec_rest_age));
  CCOW_ASSIGN_OR_RETURN(config->ec_min_object_bytes, ParseSizeFlag("--ec-min-size", f.ec_min_size));
  config->ec_interval_s = ec_interval / kNsPerSecond;
  config->ec_rest_age_s = ec_rest_age / kNsPerSecond;
  if (!f.scrub_rate.empty()) {
    CCOW_ASSIGN_OR_RETURN(config->scrub_rate_mb, WholeMbPerSecond("--scrub-rate", f.scrub_rate));
  }
  if (!f.gc_rate.empty()) {
    CCOW_ASSIGN_OR_RETURN(config->gc_rate_mb, WholeMbPerSecond("--gc-rate", f.gc_rate));
  }
  return Status::OK();
}

// A port free for both UDP and TCP on 127.0.0.1. The sockets stay open in `held` so that
// ports handed out in one run are distinct; the caller closes them before the targets bind.
Result<uint16_t> FreePort(std::vector<int>* held) {
  for (int tries = 0; tries < 50; ++tries) {
    int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (tcp < 0 || ::bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(tcp, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return Status::FromErrno(errno, "finding a free port");
    int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (udp >= 0 && ::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      held->push_back(tcp);
      held->push_back(udp);
      return ntohs(a.sin_port);
    }
    ::close(tcp);
    if (udp >= 0) ::close(udp);
  }
  return Status::Unavailable("no port free for both UDP and TCP on 127.0.0.1");
}

bool Alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  return args.find("target") != std::string::npos;  // not a recycled pid
}

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + " cannot be read");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::Corruption(path + " is not JSON");
  return j;
}

Status WriteFile(const std::string& path, const std::string& text) {
  return WriteFileAtomically(path, text + "\n", 0600);  // cluster.json holds the admin token
}

// Starts `ccow target --config CONFIG` detached, its output in LOG; returns its pid.
Result<int> Spawn(const std::string& config, const std::string& log) {
  int pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) {
    ::setsid();
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    // info: target.log is where an operator reads FlexHash generations being published
    // and installed and the healer's passes.
    ::execl("/proc/self/exe", "ccow", "--log-level", "info", "target", "--config", config.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

// Waits until every address answers a server list get (bounded).
Status WaitUntilServing(const std::string& transport, const std::vector<std::string>& addresses,
                        const std::vector<std::pair<int, std::string>>& pids_and_logs) {
  auto kind = replicast::ParseTransportKind(transport);
  if (!kind.ok()) return kind.status();
  auto network = replicast::NewNetwork(*kind == replicast::TransportKind::kTcp
                                           ? replicast::TransportKind::kTcp
                                           : replicast::TransportKind::kUdp);
  std::mutex mu;
  std::set<std::string> answered;
  auto endpoint = network->Bind("127.0.0.1:0", [&](const std::string& from, std::string_view m) {
    auto msg = replicast::Message::Decode(m);
    if (msg.ok() && std::holds_alternative<replicast::ServerListResponse>(msg->body)) {
      std::lock_guard lock(mu);
      answered.insert(from);
    }
    network->Wake();
  });
  if (!endpoint.ok()) return endpoint.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& [pid, log] : pids_and_logs) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        std::ifstream in(log);
        std::stringstream ss;
        ss << in.rdbuf();
        return Status::Internal("target process " + std::to_string(pid) + " exited; its log " +
                                log + " says:\n" + ss.str());
      }
    }
    size_t done = 0;
    for (const auto& a : addresses) {
      std::lock_guard lock(mu);
      if (answered.count(a)) {
        ++done;
        continue;
      }
      (void)(*endpoint)->Send(a, replicast::Message{{1, 0, 0}, replicast::ServerListGet{}}.Encode());
    }
    if (done == addresses.size()) return Status::OK();
    network->SleepFor(100'000'000);
  }
  return Status::Unavailable("targets did not answer within 20 s");
}

// `cluster up --add N` on an existing cluster: N more targets like the first one, joining
// the Raft group as they are added (no bootstrap configuration of their own).
Status AddTargets(const std::string& dir, const UpFlags& f, nlohmann::json* cluster) {
  auto& targets = (*cluster)["targets"];
  CCOW_ASSIGN_OR_RETURN(TargetConfig model, TargetConfig::Load(targets[0]["config"].get<std::string>()));
  uint64_t next_raft_id = 0;
  for (const auto& t : targets) {
    auto c = TargetConfig::Load(t["config"].get<std::string>());
    if (c.ok()) next_raft_id = std::max(next_raft_id, c->raft_id);
  }
  std::vector<int> held;
  for (int k = 0; k < f.add; ++k) {
    std::string name = "target" + std::to_string(targets.size());
    fs::create_directories(dir + "/" + name);
    TargetConfig config = model;
    config.server = name;
    config.zone = "zone" + std::to_string(targets.size() % 3);
    config.raft_id = ++next_raft_id;
    CCOW_ASSIGN_OR_RETURN(uint16_t raft_port, FreePort(&held));
    config.raft_address = "127.0.0.1:" + std::to_string(raft_port);
    config.raft_dir = dir + "/" + name + "/raft";
    config.gc_scratch_dir = dir + "/" + name + "/gc";
    config.raft_members.clear();
    CCOW_ASSIGN_OR_RETURN(uint16_t metrics, FreePort(&held));
    config.metrics_listen = "127.0.0.1:" + std::to_string(metrics);
    config.vdevs.clear();
    nlohmann::json entry = {{"name", name}, {"pid", 0}, {"joining", true},
                            {"config", dir + "/" + name + "/target.json"},
                            {"log", dir + "/" + name + "/target.log"},
                            {"metrics", "http://" + config.metrics_listen + "/metrics"},
                            {"raft_id", config.raft_id}, {"raft_address", config.raft_address},
                            {"vdevs", nlohmann::json::array()}};
    for (size_t v = 0; v < model.vdevs.size(); ++v) {
      CCOW_ASSIGN_OR_RETURN(uint16_t port, FreePort(&held));
      TargetVdevConfig vc{name + "/vdev" + std::to_string(v), dir + "/" + name + "/vdev" + std::to_string(v),
                          "127.0.0.1:" + std::to_string(port)};
      config.vdevs.push_back(vc);
      entry["vdevs"].push_back({{"id", vc.id}, {"address", vc.address}, {"path", vc.path}});
    }
    CCOW_RETURN_IF_ERROR(WriteFile(entry["config"].get<std::string>(), config.ToJson()));
    targets.push_back(entry);
  }
  for (int fd : held) ::close(fd);
  return Status::OK();
}

// Asks the leader to take each target marked "joining" into Raft, the membership and a
// new FlexHash generation (its VDEVs weighted like those already there).
Status JoinAdded(const std::string& dir, nlohmann::json& cluster) {
  CCOW_ASSIGN_OR_RETURN(ClusterAdmin admin, ClusterAdmin::Load(dir));
  CCOW_ASSIGN_OR_RETURN(ClusterFile file, ClusterFile::Load(dir));
  CCOW_ASSIGN_OR_RETURN(FlexHashTable table, FlexHashTable::FromJson(file.flexhash_json));
  std::map<std::string, std::string> admin_address(admin.targets().begin(), admin.targets().end());
  const uint64_t capacity = table.vdevs().empty() ? 1ull << 40 : table.vdevs()[0].capacity_bytes;
  for (auto& t : cluster["targets"]) {
    if (!t.value("joining", false)) continue;
    TargetRecord r;
    r.name = t["name"];
    r.zone = "zone" + r.name.substr(6);
    auto c = TargetConfig::Load(t["config"].get<std::string>());
    if (c.ok()) r.zone = c->zone;
    r.address = admin_address[r.name];
    for (const auto& v : t["vdevs"])
      r.vdevs.push_back({v["id"], r.name, r.zone, capacity, 0, v["address"]});
    std::string bytes = EncodeCommand(command::AddTarget{r});
    CCOW_RETURN_IF_ERROR(admin.CallLeader("/admin/join?raft_id=" + std::to_string(t.value("raft_id", 0)) +
                                          "&raft_address=" + t.value("raft_address", "") +
                                          "&hex=" + ToHex(bytes.data(), bytes.size()))
                             .WithContext("joining " + r.name));
    t.erase("joining");
  }
  return WriteFile(dir + "/cluster.json", cluster.dump(2));
}

int RunUp(const UpFlags& f) {
  if (f.dir.empty()) return Fail(Status::InvalidArgument("--dir is required"));
  fs::create_directories(f.dir);
  std::string dir = fs::absolute(f.dir).lexically_normal().string();
  std::string cluster_path = dir + "/cluster.json";
  nlohmann::json cluster;
  ClusterState adopted;  // --from: the single node's registry
  if (!f.from.empty()) {
    if (fs::exists(cluster_path))
      return Fail(Status::InvalidArgument("--from makes a new cluster, and " + dir + " holds one already"));
    auto read = ReadSingleNodeRegistry(f.from);
    if (!read.ok()) return Fail(read.status().WithContext("growing from " + f.from));
    adopted = std::move(*read);
  }
  if (fs::exists(cluster_path)) {
    auto existing = ReadJson(cluster_path);
    if (!existing.ok()) return Fail(existing.status());
    cluster = *existing;
    if (f.add > 0) {
      Status s = AddTargets(dir, f, &cluster);
      if (!s.ok()) return Fail(s);
    }
  } else {
    if (f.targets < 1 || f.vdevs < 1) return Fail(Status::InvalidArgument("--targets and --vdevs must be at least 1"));
    if (f.replicas < 1 || f.replicas > static_cast<uint32_t>(f.targets))
      return Fail(Status::InvalidArgument("--replicas must be between 1 and the number of targets (" +
                                          std::to_string(f.targets) + ")"));
    auto kind = replicast::ParseTransportKind(f.transport);
    if (!kind.ok()) return Fail(kind.status());
    struct statvfs sv {};
    ::statvfs(dir.c_str(), &sv);
    uint64_t capacity = static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize / (f.targets * f.vdevs);
    std::vector<int> held;
    auto base = FreePort(&held);
    if (!base.ok()) return Fail(base.status());
    std::vector<VdevInfo> infos;
    cluster = {{"transport", f.transport}, {"replication_count", f.replicas},
               {"multicast_base_port", *base}, {"select_policy", f.select_policy},
               {"flexhash", "flexhash-checkpoint.json"}, {"targets", nlohmann::json::array()}};
    unsigned char token[16];
    RAND_bytes(token, sizeof token);
    cluster["admin_token"] = ToHex(token, sizeof token);
    // Raft: every initial target is a member; the first 3 or 5 vote.
    std::vector<TargetConfig::RaftMemberConfig> members;
    for (int t = 0; t < f.targets; ++t) {
      auto port = FreePort(&held);
      if (!port.ok()) return Fail(port.status());
      members.push_back({static_cast<uint64_t>(t + 1), "127.0.0.1:" + std::to_string(*port),
                         static_cast<size_t>(t) < VoterCount(f.targets)});
    }
    for (int t = 0; t < f.targets; ++t) {
      std::string name = "target" + std::to_string(t);
      fs::create_directories(dir + "/" + name);
      TargetConfig config;
      config.server = name;
      config.zone = "zone" + std::to_string(t % 3);
      config.transport = f.transport;
      config.multicast_base_port = *base;
      config.flexhash_path = dir + "/flexhash-checkpoint.json";
      config.replication_count = f.replicas;
      config.dead_timeout_ms = f.dead_timeout_ms;
      config.heal_rate_mb = f.heal_rate_mb;
      config.admin_token = cluster["admin_token"];
      config.raft_id = members[t].id;
      config.raft_address = members[t].address;
      config.raft_dir = dir + "/" + name + "/raft";
      config.gc_scratch_dir = dir + "/" + name + "/gc";
      config.raft_members = members;
      if (Status s = ApplyJobFlags(f, &config); !s.ok()) return Fail(s);
      auto metrics = FreePort(&held);
      if (!metrics.ok()) return Fail(metrics.status());
      config.metrics_listen = "127.0.0.1:" + std::to_string(*metrics);
      nlohmann::json entry = {{"name", name}, {"pid", 0},
                              {"config", dir + "/" + name + "/target.json"},
                              {"log", dir + "/" + name + "/target.log"},
                              {"metrics", "http://" + config.metrics_listen + "/metrics"},
                              {"vdevs", nlohmann::json::array()}};
      for (int v = 0; v < f.vdevs; ++v) {
        auto port = FreePort(&held);
        if (!port.ok()) return Fail(port.status());
        TargetVdevConfig vc{name + "/vdev" + std::to_string(v), dir + "/" + name + "/vdev" + std::to_string(v),
                            "127.0.0.1:" + std::to_string(*port)};
        config.vdevs.push_back(vc);
        infos.push_back({vc.id, name, config.zone, capacity, 0, vc.address});
        entry["vdevs"].push_back({{"id", vc.id}, {"address", vc.address}, {"path", vc.path}});
      }
      Status s = WriteFile(entry["config"].get<std::string>(), config.ToJson());
      if (!s.ok()) return Fail(s);
      cluster["targets"].push_back(entry);
    }
    for (int fd : held) ::close(fd);
    FlexHashOptions fo;
    fo.failure_domain = f.failure_domain == "zone" ? FailureDomain::kZone
                        : f.failure_domain == "any" ? FailureDomain::kAny
                                                    : FailureDomain::kServer;
    auto table = FlexHashTable::Build(infos, 1, fo);
    if (!table.ok()) return Fail(table.status());
    if (!f.from.empty()) {
      // The single node's VDEV becomes the first VDEV of the first target.
      Status moved = AdoptVdev(f.from, cluster["targets"][0]["vdevs"][0]["path"].get<std::string>(), dir);
      if (!moved.ok()) return Fail(moved);
    }
    Status s = WriteFile(dir + "/flexhash-checkpoint.json", table->ToJson());
    if (!s.ok()) return Fail(s);
  }
  // Start every target that is not running.
  std::vector<std::string> addresses;
  std::vector<std::pair<int, std::string>> started;
  for (auto& t : cluster["targets"]) {
    for (const auto& v : t["vdevs"]) addresses.push_back(v["address"].get<std::string>());
    if (Alive(t.value("pid", 0))) continue;
    auto pid = Spawn(t["config"].get<std::string>(), t["log"].get<std::string>());
    if (!pid.ok()) return Fail(pid.status());
    t["pid"] = *pid;
    started.emplace_back(*pid, t["log"].get<std::string>());
  }
  Status s = WriteFile(cluster_path, cluster.dump(2));
  if (!s.ok()) return Fail(s);
  s = WaitUntilServing(cluster["transport"].get<std::string>(), addresses, started);
  if (!s.ok()) return Fail(s);
  // A new cluster: register its targets and first FlexHash generation in the cluster state.
  s = InitCluster(dir);
  if (!s.ok() && s.code() != Code::kAlreadyExists) return Fail(s.WithContext("initialising the cluster state"));
  if (!f.from.empty()) {
    auto admin = ClusterAdmin::Load(dir);
    if (!admin.ok()) return Fail(admin.status());
    for (const ClusterCommand& c : RegistryCommands(adopted)) {
      s = admin->Propose(c);
      if (!s.ok() && s.code() != Code::kAlreadyExists) return Fail(s.WithContext("copying the registry of " + f.from));
    }
  }
  if (f.add > 0) {
    s = JoinAdded(dir, cluster);
    if (!s.ok()) return Fail(s);
  }
  if (Globals().json) {
    std::cout << cluster.dump(2) << std::endl;
    return 0;
  }
  size_t vdevs = addresses.size();
  std::cout << "ccow cluster: " << cluster["targets"].size() << " targets, " << vdevs << " VDEVs, R="
            << cluster["replication_count"] << ", " << cluster["transport"].get<std::string>() << " on 127.0.0.1"
            << " (" << started.size() << " started now)\n"
            << "  " << dir << "/cluster.json\n"
            << "  use it with --cluster " << dir << " or CCOW_CLUSTER=" << dir << "\n"
            << "  stop it with: ccow cluster down --dir " << dir << std::endl;
  return 0;
}

int RunDown(const std::string& dir_flag) {
  if (dir_flag.empty()) return Fail(Status::InvalidArgument("--dir is required"));
  std::string path = dir_flag + "/cluster.json";
  auto cluster = ReadJson(path);
  if (!cluster.ok()) return Fail(cluster.status());
  int stopped = 0;
  for (auto& t : (*cluster)["targets"]) {
    int pid = t.value("pid", 0);
    if (Alive(pid)) {
      ::kill(pid, SIGTERM);
      ++stopped;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& t : (*cluster)["targets"]) {
    int pid = t.value("pid", 0);
    while (Alive(pid) && std::chrono::steady_clock::now() < deadline) {
      ::waitpid(pid, nullptr, WNOHANG);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (Alive(pid)) ::kill(pid, SIGKILL);
    t["pid"] = 0;
  }
  Status s = WriteFile(path, cluster->dump(2));
  if (!s.ok()) return Fail(s);
  std::cout << "ccow cluster: stopped " << stopped << " targets; data kept in " << dir_flag
            << " (`ccow cluster up --dir " << dir_flag << "` starts them again)" << std::endl;
  return 0;
}

// `ccow system fhtable`: the FlexHash table the cluster runs, from a target.
int RunFhtable() {
  std::string dir = ClusterDir();
  if (dir.empty())
    return Fail(Status::InvalidArgument(
        "`ccow system fhtable` needs a cluster (--cluster DIR or CCOW_CLUSTER); one `ccow server` has no FlexHash"));
  auto file = ClusterFile::Load(dir);
  if (!file.ok()) return Fail(file.status());
  auto table = FlexHashTable::FromJson(file->flexhash_json);
  if (!table.ok()) return Fail(table.status());
  if (Globals().json) {
    std::cout << table->ToJson() << std::endl;
    return 0;
  }
  std::cout << "FlexHash generation " << table->generation() << ": " << table->row_count() << " rows, "
            << table->vdevs().size() << " VDEVs, failure domain "
            << (table->failure_domain() == FailureDomain::kZone ? "zone"
                : table->failure_domain() == FailureDomain::kAny ? "any" : "server")
            << "\n";
  for (const VdevInfo& v : table->vdevs())
    std::cout << "  " << v.id << "  " << v.address << "  server " << v.server << "  zone " << v.zone << "\n";
  for (uint32_t r = 0; r < table->row_count(); ++r) {
    std::cout << "  row " << r << ":";
    for (const auto& id : table->RowVdevIds(r)) std::cout << " " << id;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void RegisterClusterCommands(CLI::App& app, int* exit_code) {
  static UpFlags up_flags;
  static std::string down_dir;
  auto* cluster = app.add_subcommand("cluster", "a local multi-process cluster on loopback");
  cluster->require_subcommand(1);
  auto* up = cluster->add_subcommand("up", "start (or restart) a local cluster in DIR");
  up->add_option("--targets", up_flags.targets, "target daemons (one failure domain each)");
  up->add_option("--vdevs", up_flags.vdevs, "VDEVs per target");
  up->add_option("--dir", up_flags.dir, "cluster directory (configs, data, logs, cluster.json)")->required();
  up->add_option("--transport", up_flags.transport, "udp (default), multicast or tcp");
  up->add_option("--replicas", up_flags.replicas, "replication count R");
  up->add_option("--failure-domain", up_flags.failure_domain, "server (default), zone or any")
      ->check(CLI::IsMember({"server", "zone", "any"}));
  up->add_option("--from", up_flags.from,
                 "a new cluster grown from this `ccow server` data directory (stopped): its VDEV becomes "
                 "the first target's, its buckets and keys the cluster's");
  up->add_option("--add", up_flags.add, "on an existing cluster: start this many more targets and join them");
  up->add_option("--dead-timeout-ms", up_flags.dead_timeout_ms, "heartbeat silence before a target is declared dead");
  up->add_option("--heal-rate", up_flags.heal_rate_mb, "MB/s of repair traffic per target");
  up->add_option("--gc-interval", up_flags.gc_interval,
                 "time between garbage collection passes, driven by the Raft leader (default 1h; 0: only "
                 "`ccow system gc --now`)");
  up->add_option("--gc-fence-grace", up_flags.gc_fence_grace,
                 "how long a write under way may take and still commit across a pass without touching its "
                 "chunks again (default 5m)");
  up->add_option("--gc-rate", up_flags.gc_rate,
                 "live bytes per second each target's compaction after a garbage collection sweep rewrites "
                 "at most, e.g. 32M (default 32 MB; 0: unlimited)");
  up->add_option("--quarantine-retention", up_flags.quarantine_retention,
                 "how long deleted versions stay restorable unless their bucket or tenant says otherwise "
                 "(default 7d)");
  up->add_option("--scrub-interval", up_flags.scrub_interval,
                 "time between scrub passes on every target (default 7d; 0: only `ccow system scrub --now`)");
  up->add_option("--scrub-rate", up_flags.scrub_rate, "scrub read rate per target, per second (default 25 MB; 0: unlimited)");
  up->add_option("--ec-interval", up_flags.ec_interval,
                 "time between erasure-coding passes, driven by the Raft leader (default 1h; 0: only "
                 "`ccow system ec --now`)");
  up->add_option("--ec-rest-age", up_flags.ec_rest_age,
                 "versions of buckets with an erasure-code policy are encoded once unchanged this long (default 1h)");
  up->add_option("--ec-min-size", up_flags.ec_min_size, "smaller versions stay replicated (default 4M)");
  up->add_option("--select", up_flags.select_policy, "bid selection: queue-latency, free-space, earliest-window")
      ->check(CLI::IsMember({"queue-latency", "free-space", "earliest-window"}));
  up->callback([exit_code] { *exit_code = RunUp(up_flags); });
  auto* down = cluster->add_subcommand("down", "stop the targets of the cluster in DIR");
  down->add_option("--dir", down_dir, "cluster directory")->required();
  down->callback([exit_code] { *exit_code = RunDown(down_dir); });
}

void RegisterFhtableCommand(CLI::App* system, int* exit_code) {
  auto* fh = system->add_subcommand("fhtable", "print the FlexHash table of the cluster");
  fh->callback([exit_code] { *exit_code = RunFhtable(); });
}

}  // namespace ccow::cli
