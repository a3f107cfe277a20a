// Rebalancing cost of FlexHash: one server (4 VDEVs) joins a cluster of N servers. Prints
// the fraction of rows whose membership changes and the fraction of (row, member) slots
// that change, i.e. of data that moves, beside the ideal 1/(N+1).
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "flexhash/flexhash.h"

using namespace ccow;

static std::vector<VdevInfo> Cluster(int servers, int per) {
  std::vector<VdevInfo> out;
  for (int s = 0; s < servers; ++s)
    for (int v = 0; v < per; ++v)
      out.push_back({"srv" + std::to_string(s) + "/vdev" + std::to_string(v), "srv" + std::to_string(s),
                     "zone0", 4ull << 40, 0});
  return out;
}

int main() {
  const int per = 4;
  std::printf("| servers N | VDEVs | rows | VDEVs/row | rows changed | data moved | ideal 1/(N+1) | moved/ideal | build ms |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int n : {2, 4, 8, 16, 32, 64, 128}) {
    auto t0 = std::chrono::steady_clock::now();
    auto before = FlexHashTable::Build(Cluster(n, per), 1);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // Same row count before and after, so rows compare one to one.
    FlexHashOptions opts;
    opts.rows = before->row_count();
    opts.vdevs_per_row = static_cast<uint32_t>(before->Row(0).size());
    before = FlexHashTable::Build(Cluster(n, per), 1, opts);
    auto after = FlexHashTable::Build(Cluster(n + 1, per), 2, opts);
    size_t changed = 0, total = 0;
    for (uint32_t r = 0; r < before->row_count(); ++r) {
      auto a = before->RowVdevIds(r), b = after->RowVdevIds(r);
      std::set<std::string> sa(a.begin(), a.end());
      for (const auto& id : b) changed += sa.count(id) ? 0 : 1;
      total += a.size();
    }
    double moved = static_cast<double>(changed) / total, ideal = 1.0 / (n + 1);
    std::printf("| %d | %d | %u | %zu | %.3f | %.3f | %.3f | %.2f | %.2f |\n", n, n * per,
                before->row_count(), before->Row(0).size(), FractionOfRowsChanged(*before, *after),
                moved, ideal, moved / ideal, ms);
  }
  return 0;
}
