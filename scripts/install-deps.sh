#!/usr/bin/env bash
# Installs every Debian package ccow needs to build, test and benchmark.
# Idempotent: installs only what is missing, so `make run` / `make test` can call it each time.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # core libraries (see docs/ARCHITECTURE.md for what each is used for)
  libsodium-dev      # BLAKE2b-256 (crypto_generichash)
  libboost-dev       # Asio + Beast: HTTP servers (metrics, health, later S3)
  libssl-dev         # SHA-256/SHA3/BLAKE2b/MD5 hashing, TLS
  libxxhash-dev      # XXH3-128 (non-cryptographic hash for trusted deployments)
  librocksdb-dev     # chunk store index and name index
  libzstd-dev liblz4-dev libsnappy-dev libbz2-dev zlib1g-dev  # RocksDB's compression deps; zstd: ISGW links
  libcli11-dev       # the ccow command line
  libspdlog-dev libfmt-dev  # logging
  nlohmann-json3-dev # --json output, config files
  libpugixml-dev     # S3 request bodies (CompleteMultipartUpload, Delete, Tagging, CORS, ...)
  libraft-dev        # canonical Raft: the replicated cluster state (membership, FlexHash, namespace)
  libuv1-dev         # the event loop under raft_uv (Raft log and snapshots on disk, TCP between targets)
  libisal-dev        # ISA-L: Reed-Solomon erasure coding of stripes (src/ec), SIMD GF(2^8) kernels
  libfuse3-dev fuse3 # the FUSE gateway (libfuse3's low-level API; fusermount3 unmounts)
  libnfs-dev         # the NFSv3 gateway (libnfs's RPC server API and NFSv3/MOUNT XDR codecs)
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  fio                # disk bandwidth: the physical limit printed beside store benchmarks
  openssl            # `openssl speed`: the limit printed beside hash benchmarks
  python3 procps psmisc curl time  # integration tests: HTTP checks, peak RSS
  awscli python3-boto3 s3cmd rclone  # S3 gateway tests with real clients
  libnfs-utils       # NFS gateway tests: nfs-ls, nfs-cp, nfs-cat (no kernel NFS client here)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
