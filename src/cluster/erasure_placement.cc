#include "cluster/erasure_placement.h"

#include <set>

#include "flexhash/flexhash.h"
#include "model/erasure_policy.h"

namespace ccow {

Status CheckErasurePlacement(const ClusterState& state, const std::string& erasure_code) {
  if (erasure_code.empty() || erasure_code == kNoErasureCode) return Status::OK();
  CCOW_ASSIGN_OR_RETURN(ErasurePolicy policy, ErasurePolicy::Parse(erasure_code));
  std::set<std::string> domains;
  std::string kind = "servers";
  if (!state.flexhash_json().empty()) {
    CCOW_ASSIGN_OR_RETURN(FlexHashTable table, FlexHashTable::FromJson(state.flexhash_json()));
    for (const auto& v : table.vdevs()) domains.insert(DomainOf(v, table.failure_domain()));
    if (table.failure_domain() == FailureDomain::kZone) kind = "zones";
    if (table.failure_domain() == FailureDomain::kAny) kind = "VDEVs";
  }
  if (domains.empty()) domains.insert("this node");  // one node: one domain
  return CheckPlacement(policy, domains.size(), kind);
}

}  // namespace ccow
