// What the cluster simulations (cluster_gc_sim_test, cluster_ec_sim_test) expect each
// object name to read back as, from the writes they made: a write acknowledged fixes it,
// a write that failed may or may not have taken effect.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ccow::testing {

// What each name may read back as: the outcome of its last acknowledged write, plus those
// of later writes that failed (a failed write may or may not have taken effect).
class Model {
 public:
  void Acked(const std::string& name, std::optional<std::string> content) { allowed_[name] = {std::move(content)}; }
  void Failed(const std::string& name, std::optional<std::string> content) {
    auto [it, fresh] = allowed_.try_emplace(name);
    if (fresh) it->second.push_back(std::nullopt);
    it->second.push_back(std::move(content));
  }
  // The content a name certainly has: nullopt when it may be absent or has several.
  std::optional<std::string> Known(const std::string& name) const {
    auto it = allowed_.find(name);
    if (it == allowed_.end() || it->second.size() != 1) return std::nullopt;
    return it->second[0];
  }
  const std::map<std::string, std::vector<std::optional<std::string>>>& allowed() const { return allowed_; }

 private:
  std::map<std::string, std::vector<std::optional<std::string>>> allowed_;
};

}  // namespace ccow::testing
