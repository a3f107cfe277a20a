// The file layer's copy-on-write B+tree (issue 15; DESIGN.md "file layer"): sorted
// (key, value) records whose nodes are chunks named by their hash (fs/btree_node.h), so
// that a checkpoint of everything is one root CHID, a snapshot or clone of a volume is a
// copy of that CHID, and a change rewrites only the nodes on its path. Inodes, directory
// entries and extents live in it.
//
// Changes are made in memory: Put and Delete load the nodes on their path (verified
// against their CHIDs) and mark them dirty; Commit writes the dirty nodes bottom-up,
// syncs them and returns the new root, then lets the loaded nodes go (memory stays
// bounded by what one batch of changes touched). A node splits when its encoding grows
// over max_node_bytes and merges with a sibling when both fit in one, so the tree stays
// balanced with nodes between a quarter and all of that size.
//
// Errors: kInvalidArgument for a record over max_node_bytes / 4 (values that large
// belong in chunks of their own); kNotFound or kCorruption naming the node when one
// cannot be read or does not verify; what the backend answers to a write. A failed
// change leaves the tree as the last successful Put/Delete left it.
// Threads: one caller at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/backend.h"
#include "core/hash.h"
#include "core/status.h"

namespace ccow::fs {

struct BtreeOptions {
  size_t max_node_bytes = 64 << 10;
  HashAlgo algo = HashAlgo::kSha256;
  uint32_t replicas = 0;  // of each node written; 0: the backend's default
  // The chunks a record's value references (CHID and whole size), which the shadow
  // manifests name beside the nodes. Empty: values reference none.
  std::function<void(std::string_view key, std::string_view value, std::vector<std::pair<Chid, uint64_t>>* chunks)>
      value_chunks;
};

// A committed tree: its root node, and its shadow manifest, a chunk manifest naming every
// chunk of the tree (each node with a manifest of its own subtree: unchanged subtrees keep
// theirs) and every chunk its records reference. A version whose root reference is the
// shadow makes the tree an object like any other to the garbage collector, links and
// repair (the bytes it "covers" are those chunks in order, not a file).
struct BtreeRoot {
  Chid node;
  Chid shadow;
  uint64_t shadow_bytes = 0;
};

class CowBtree {
 public:
  // The tree whose root node is `root` (nullopt: a new, empty tree) in backend.
  static Result<std::unique_ptr<CowBtree>> Open(Backend& backend, const std::optional<Chid>& root,
                                                BtreeOptions options = {});
  ~CowBtree();

  Result<std::optional<std::string>> Get(std::string_view key);
  Status Put(std::string_view key, std::string_view value);
  // Whether the key was there.
  Result<bool> Delete(std::string_view key);
  // The records from `start` on, in key order, until fn returns false.
  Status Scan(std::string_view start, const std::function<bool(std::string_view key, std::string_view value)>& fn);
  // Writes what changed (each node and its shadow manifest, observed by fence when
  // given) and returns the root (the same when nothing did).
  Result<BtreeRoot> Commit(WriteFence* fence = nullptr);

  bool dirty() const;
  Backend& backend() { return backend_; }
  uint64_t nodes_written() const { return nodes_written_; }  // by Commit, since Open
  uint32_t height() const;  // 1: the root is a leaf

 private:
  struct Node;
  struct Child;
  struct Split;
  CowBtree(Backend& backend, BtreeOptions options);
  Status Load(Child& child, uint8_t level);
  Result<std::optional<Split>> Insert(Node& n, std::string_view key, std::string_view value);
  Result<bool> Remove(Node& n, std::string_view key);
  Status MergeIfSmall(Node& parent, size_t idx);
  Result<bool> ScanNode(Node& n, std::string_view start, const std::function<bool(std::string_view, std::string_view)>& fn);
  Result<BtreeRoot> Write(Node& n, WriteFence* fence);
  Result<BtreeRoot> PutShadow(const Node& n, const Chid& chid, uint64_t node_bytes, WriteFence* fence);
  Result<Chid> PutChunk(const std::string& bytes, WriteFence* fence);  // a node or a shadow, counted
  Split SplitNode(Node& n);
  size_t ChildIndex(const Node& n, std::string_view key) const;

  Backend& backend_;
  const BtreeOptions options_;
  std::unique_ptr<Node> root_;
  BtreeRoot root_chid_;  // of root_ when it is not dirty (shadow_bytes 0: its shadow not known yet)
  uint64_t nodes_written_ = 0;
};

}  // namespace ccow::fs
