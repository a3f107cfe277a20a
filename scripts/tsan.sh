#!/usr/bin/env bash
# `make tsan`: builds the unit tests and the ccow binary with ThreadSanitizer into
# build-tsan/ and runs the unit tests (ctest label `unit`) plus the multi-process cluster
# tests (label `cluster`: cluster_udp, cluster_heal, s3_registry_three_gateways,
# cluster_grow_from_single_node). Not part of `make test`: a TSan
# build of the tree and the cluster runs under it take long on a small machine.
#
# Every process writes its reports to build-tsan/tsan-logs/ (TSAN_OPTIONS log_path), so a
# race inside a daemon that a shell test started, whose stderr the test never shows,
# still fails the run. halt_on_error stops a process at its first report.
#
# usage: scripts/tsan.sh [BUILD_DIR]
# env:   JOBS (build parallelism), TSAN_TESTS (ctest -L regex, default ^(unit|cluster)$),
#        CCOW_BUILD_LOCK (a file: hold `flock` on it for each build and test step, and
#        release it between steps, so that other builds on a shared machine interleave)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-tsan}
JOBS=${JOBS:-$(nproc)}
LABELS=${TSAN_TESTS:-^(unit|cluster)$}
SUPP=$PWD/scripts/tsan.supp
LOGS=$PWD/$BUILD/tsan-logs

step() {
  if [ -n "${CCOW_BUILD_LOCK:-}" ]; then flock "$CCOW_BUILD_LOCK" "$@"; else "$@"; fi
}

# The gtest binaries and the ccow binary (for the cluster tests); nothing else needs
# building, which keeps a cold TSan build shorter.
TARGETS=(ccow core_test model_test store_test gc_test cluster_gc_sim_test client_test ec_test s3_protocol_test
         flexhash_test replicast_test network_test cluster_sim_test cluster_state_test
         raft_cluster_test cluster_node_test membership_test http_test registry_follow_test)

# Every ccow_test(...) in tests/CMakeLists.txt is a gtest binary with label `unit`; one that
# is not built here would make ctest report "Not Run" (or run a stale binary), so refuse.
missing=()
for t in $(sed -n 's/^ccow_test(\([A-Za-z0-9_]*\).*/\1/p' tests/CMakeLists.txt); do
  [[ " ${TARGETS[*]} " == *" $t "* ]] || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tsan: ccow_test target(s) missing from TARGETS in $0: ${missing[*]}" >&2
  exit 1
fi

step cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCOW_SANITIZE=thread \
  >/dev/null || exit 1
step cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" || exit 1

rm -rf "$LOGS" && mkdir -p "$LOGS"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$SUPP log_path=$LOGS/tsan"
rc=0
step bash -c "cd '$BUILD' && ctest -L '$LABELS' --output-on-failure --timeout 1800" || rc=1
reports=$(find "$LOGS" -type f -name 'tsan.*' 2>/dev/null | sort)
if [ -n "$reports" ]; then
  for f in $reports; do echo "== $f"; cat "$f"; done
  echo "tsan: $(echo "$reports" | wc -l) process(es) reported; see $LOGS" >&2
  rc=1
fi
[ $rc -eq 0 ] && echo "tsan: no reports"
exit $rc
