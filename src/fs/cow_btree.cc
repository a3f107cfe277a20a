#include "fs/cow_btree.h"

#include <algorithm>

#include "core/check.h"
#include "fs/btree_node.h"
#include "model/chunk_manifest.h"

namespace ccow::fs {

namespace {
// What a record or a child adds to a node's encoding (its lengths' varints counted as
// the most they take for these sizes).
size_t RecordBytes(std::string_view k, std::string_view v) { return k.size() + v.size() + 6; }
size_t ChildBytes(std::string_view low) { return low.size() + 3 + 1 + 64; }
constexpr size_t kHeaderBytes = 16;
}  // namespace

struct CowBtree::Child {
  std::string low;
  Chid chid;
  std::unique_ptr<Node> node;  // loaded (and perhaps changed), or null
  Chid shadow;                 // of the subtree as last written
  uint64_t shadow_bytes = 0;
};

struct CowBtree::Node {
  uint8_t level = 0;
  bool dirty = false;
  size_t bytes = kHeaderBytes;
  std::vector<std::pair<std::string, std::string>> records;
  std::vector<Child> children;
  bool leaf() const { return level == 0; }
  size_t size() const { return leaf() ? records.size() : children.size(); }
  void Recount() {
    bytes = kHeaderBytes;
    for (const auto& [k, v] : records) bytes += RecordBytes(k, v);
    for (const auto& c : children) bytes += ChildBytes(c.low);
  }
};

struct CowBtree::Split {
  std::string low;
  std::unique_ptr<Node> right;
};

CowBtree::CowBtree(Backend& backend, BtreeOptions options) : backend_(backend), options_(options) {}
CowBtree::~CowBtree() = default;

Result<std::unique_ptr<CowBtree>> CowBtree::Open(Backend& backend, const std::optional<Chid>& root,
                                                 BtreeOptions options) {
  if (options.max_node_bytes < 256) return Status::InvalidArgument("B+tree nodes of under 256 bytes");
  std::unique_ptr<CowBtree> t(new CowBtree(backend, options));
  if (!root) {
    t->root_ = std::make_unique<Node>();
    t->root_->dirty = true;
    return t;
  }
  Child c{"", *root, nullptr};
  CCOW_RETURN_IF_ERROR(t->Load(c, BtreeNode::kMaxLevel + 1));
  t->root_ = std::move(c.node);
  t->root_chid_ = BtreeRoot{*root, Chid(), 0};
  return t;
}

bool CowBtree::dirty() const { return root_->dirty; }

uint32_t CowBtree::height() const { return root_->level + 1u; }

// level: what the parent expects (its own level - 1); above kMaxLevel for the root.
Status CowBtree::Load(Child& child, uint8_t level) {
  if (child.node) return Status::OK();
  std::string bytes;
  Status s = backend_.GetChunk(child.chid, &bytes);
  if (!s.ok()) return s.WithContext("B+tree node " + child.chid.ToString());
  if (HashBytes(child.chid.algo(), bytes) != child.chid)
    return Status::Corruption("B+tree node " + child.chid.ToString() + " does not hash to its CHID");
  auto decoded = BtreeNode::Decode(bytes);
  if (!decoded.ok()) return decoded.status().WithContext("B+tree node " + child.chid.ToString());
  if (level <= BtreeNode::kMaxLevel && decoded->level != level)
    return Status::Corruption("B+tree node " + child.chid.ToString() + " is at level " +
                              std::to_string(decoded->level) + " under a node of level " + std::to_string(level + 1));
  auto n = std::make_unique<Node>();
  n->level = decoded->level;
  n->records = std::move(decoded->records);
  for (auto& c : decoded->children) n->children.push_back({std::move(c.low), c.chid, nullptr, c.shadow, c.shadow_bytes});
  n->Recount();
  child.node = std::move(n);
  return Status::OK();
}

size_t CowBtree::ChildIndex(const Node& n, std::string_view key) const {
  // The last child whose low key is <= key (the first covers everything below the second).
  size_t lo = 1, hi = n.children.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (n.children[mid].low <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

Result<std::optional<std::string>> CowBtree::Get(std::string_view key) {
  Node* n = root_.get();
  while (!n->leaf()) {
    Child& c = n->children[ChildIndex(*n, key)];
    CCOW_RETURN_IF_ERROR(Load(c, n->level - 1));
    n = c.node.get();
  }
  auto it = std::lower_bound(n->records.begin(), n->records.end(), key,
                             [](const auto& r, std::string_view k) { return r.first < k; });
  if (it == n->records.end() || it->first != key) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

CowBtree::Split CowBtree::SplitNode(Node& n) {
  // At the middle of its bytes: each half holds at least one entry, and as entries are
  // at most a quarter of a node, each is at most three quarters full.
  auto right = std::make_unique<Node>();
  right->level = n.level;
  right->dirty = true;
  size_t acc = kHeaderBytes, at = 1;
  const size_t half = n.bytes / 2;
  for (size_t i = 0; i < n.size(); ++i) {
    acc += n.leaf() ? RecordBytes(n.records[i].first, n.records[i].second) : ChildBytes(n.children[i].low);
    if (acc >= half) {
      at = std::clamp<size_t>(i + 1, 1, n.size() - 1);
      break;
    }
  }
  Split s;
  if (n.leaf()) {
    right->records.assign(std::make_move_iterator(n.records.begin() + at), std::make_move_iterator(n.records.end()));
    n.records.resize(at);
    s.low = right->records.front().first;
  } else {
    right->children.assign(std::make_move_iterator(n.children.begin() + at), std::make_move_iterator(n.children.end()));
    n.children.resize(at);
    s.low = std::move(right->children.front().low);
    right->children.front().low.clear();
  }
  n.Recount();
  right->Recount();
  n.dirty = true;
  s.right = std::move(right);
  return s;
}

Result<std::optional<CowBtree::Split>> CowBtree::Insert(Node& n, std::string_view key, std::string_view value) {
  if (n.leaf()) {
    auto it = std::lower_bound(n.records.begin(), n.records.end(), key,
                               [](const auto& r, std::string_view k) { return r.first < k; });
    if (it != n.records.end() && it->first == key) {
      if (it->second == value) return std::optional<Split>();
      n.bytes = n.bytes - RecordBytes(it->first, it->second) + RecordBytes(key, value);
      it->second.assign(value);
    } else {
      n.records.insert(it, {std::string(key), std::string(value)});
      n.bytes += RecordBytes(key, value);
    }
    n.dirty = true;
  } else {
    const size_t idx = ChildIndex(n, key);
    CCOW_RETURN_IF_ERROR(Load(n.children[idx], n.level - 1));
    CCOW_ASSIGN_OR_RETURN(auto split, Insert(*n.children[idx].node, key, value));
    if (!n.children[idx].node->dirty) return std::optional<Split>();  // the value was there already
    n.dirty = true;
    if (split) {
      n.bytes += ChildBytes(split->low);
      n.children.insert(n.children.begin() + idx + 1, Child{std::move(split->low), Chid(), std::move(split->right), Chid(), 0});
    }
  }
  if (n.bytes > options_.max_node_bytes && n.size() >= 2) return std::optional<Split>(SplitNode(n));
  return std::optional<Split>();
}

Status CowBtree::Put(std::string_view key, std::string_view value) {
  if (RecordBytes(key, value) > options_.max_node_bytes / 4)
    return Status::InvalidArgument("a B+tree record of " + std::to_string(key.size() + value.size()) +
                                   " bytes (at most " + std::to_string(options_.max_node_bytes / 4 - 6) + ")");
  CCOW_ASSIGN_OR_RETURN(auto split, Insert(*root_, key, value));
  if (split) {
    // The root split: a new root above both halves.
    auto root = std::make_unique<Node>();
    root->level = static_cast<uint8_t>(root_->level + 1);
    if (root->level > BtreeNode::kMaxLevel) return Status::InvalidArgument("a B+tree over 32 levels");
    root->dirty = true;
    root->children.push_back(Child{"", Chid(), std::move(root_), Chid(), 0});
    root->children.push_back(Child{std::move(split->low), Chid(), std::move(split->right), Chid(), 0});
    root->Recount();
    root_ = std::move(root);
  }
  return Status::OK();
}

// After a removal under child idx of parent: an empty child goes; a small one merges
// with a sibling (the right one, else the left) when both fit in one node.
Status CowBtree::MergeIfSmall(Node& parent, size_t idx) {
  Node& child = *parent.children[idx].node;
  if (child.size() == 0) {
    parent.children.erase(parent.children.begin() + idx);
    if (!parent.children.empty()) parent.children.front().low.clear();
    parent.Recount();
    return Status::OK();
  }
  if (child.bytes >= options_.max_node_bytes / 4 || parent.children.size() < 2) return Status::OK();
  for (const size_t left : {idx, idx - 1}) {
    if (left >= parent.children.size() - 1) continue;  // no right neighbour (or idx - 1 wrapped)
    const size_t right = left + 1;
    CCOW_RETURN_IF_ERROR(Load(parent.children[left], parent.level - 1));
    CCOW_RETURN_IF_ERROR(Load(parent.children[right], parent.level - 1));
    Node& l = *parent.children[left].node;
    Node& r = *parent.children[right].node;
    const size_t separator = r.leaf() ? 0 : ChildBytes(parent.children[right].low);
    if (l.bytes + r.bytes - kHeaderBytes + separator > options_.max_node_bytes) continue;
    if (l.leaf()) {
      for (auto& rec : r.records) l.records.push_back(std::move(rec));
    } else {
      r.children.front().low = std::move(parent.children[right].low);
      for (auto& c : r.children) l.children.push_back(std::move(c));
    }
    l.Recount();
    l.dirty = true;
    parent.children.erase(parent.children.begin() + right);
    parent.children.front().low.clear();
    parent.Recount();
    return Status::OK();
  }
  return Status::OK();
}

Result<bool> CowBtree::Remove(Node& n, std::string_view key) {
  if (n.leaf()) {
    auto it = std::lower_bound(n.records.begin(), n.records.end(), key,
                               [](const auto& r, std::string_view k) { return r.first < k; });
    if (it == n.records.end() || it->first != key) return false;
    n.bytes -= RecordBytes(it->first, it->second);
    n.records.erase(it);
    n.dirty = true;
    return true;
  }
  const size_t idx = ChildIndex(n, key);
  CCOW_RETURN_IF_ERROR(Load(n.children[idx], n.level - 1));
  CCOW_ASSIGN_OR_RETURN(bool found, Remove(*n.children[idx].node, key));
  if (!found) return false;
  n.dirty = true;
  CCOW_RETURN_IF_ERROR(MergeIfSmall(n, idx));
  return true;
}

Result<bool> CowBtree::Delete(std::string_view key) {
  CCOW_ASSIGN_OR_RETURN(bool found, Remove(*root_, key));
  if (!root_->leaf() && root_->children.empty()) {
    // Everything went: an empty leaf.
    root_ = std::make_unique<Node>();
    root_->dirty = true;
  }
  // A root with one child gives way to it.
  while (!root_->leaf() && root_->children.size() == 1) {
    CCOW_RETURN_IF_ERROR(Load(root_->children[0], root_->level - 1));
    std::unique_ptr<Node> only = std::move(root_->children[0].node);
    const Child& was = root_->children[0];
    BtreeRoot its{was.chid, was.shadow, was.shadow_bytes};
    root_ = std::move(only);
    if (!root_->dirty) root_chid_ = its;
  }
  return found;
}

Result<bool> CowBtree::ScanNode(Node& n, std::string_view start,
                                const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (n.leaf()) {
    auto it = std::lower_bound(n.records.begin(), n.records.end(), start,
                               [](const auto& r, std::string_view k) { return r.first < k; });
    for (; it != n.records.end(); ++it)
      if (!fn(it->first, it->second)) return false;
    return true;
  }
  for (size_t i = ChildIndex(n, start); i < n.children.size(); ++i) {
    CCOW_RETURN_IF_ERROR(Load(n.children[i], n.level - 1));
    CCOW_ASSIGN_OR_RETURN(bool more, ScanNode(*n.children[i].node, start, fn));
    if (!more) return false;
  }
  return true;
}

Status CowBtree::Scan(std::string_view start, const std::function<bool(std::string_view, std::string_view)>& fn) {
  return ScanNode(*root_, start, fn).status();
}

Result<BtreeRoot> CowBtree::PutShadow(const Node& n, const Chid& chid, uint64_t node_bytes, WriteFence* fence) {
  ChunkManifest cm;
  uint64_t offset = 0;
  auto add = [&](const Chid& c, uint64_t length, ChunkKind kind) {
    cm.refs.push_back({offset, length, kind, c});
    offset += length;
  };
  add(chid, node_bytes, ChunkKind::kPayload);
  if (n.leaf()) {
    if (options_.value_chunks) {
      std::vector<std::pair<Chid, uint64_t>> chunks;
      for (const auto& [k, v] : n.records) options_.value_chunks(k, v, &chunks);
      std::sort(chunks.begin(), chunks.end());
      chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
      for (const auto& [c, length] : chunks)
        if (length > 0) add(c, length, ChunkKind::kPayload);
    }
  } else {
    for (const auto& c : n.children) add(c.shadow, c.shadow_bytes, ChunkKind::kChunkManifest);
  }
  CCOW_ASSIGN_OR_RETURN(Chid shadow, PutChunk(cm.Encode(), fence));
  return BtreeRoot{chid, shadow, offset};
}

Result<Chid> CowBtree::PutChunk(const std::string& bytes, WriteFence* fence) {
  const Chid chid = HashBytes(options_.algo, bytes);
  const uint32_t r = options_.replicas ? options_.replicas : backend_.default_replication_count();
  bool stored_new = false;
  CCOW_RETURN_IF_ERROR(backend_.PutChunk(chid, bytes, r, &stored_new, fence));
  nodes_written_ += stored_new;
  return chid;
}

Result<BtreeRoot> CowBtree::Write(Node& n, WriteFence* fence) {
  BtreeNode out;
  out.level = n.level;
  if (n.leaf()) {
    out.records = n.records;
  } else {
    for (size_t i = 0; i < n.children.size(); ++i) {
      Child& c = n.children[i];
      if (c.node && c.node->dirty) {
        CCOW_ASSIGN_OR_RETURN(BtreeRoot written, Write(*c.node, fence));
        c.chid = written.node;
        c.shadow = written.shadow;
        c.shadow_bytes = written.shadow_bytes;
      }
      out.children.push_back({i == 0 ? std::string() : c.low, c.chid, c.shadow, c.shadow_bytes});
      c.node.reset();  // written: read again from the store when needed
    }
  }
  const std::string bytes = out.Encode();
  CCOW_ASSIGN_OR_RETURN(Chid chid, PutChunk(bytes, fence));
  CCOW_ASSIGN_OR_RETURN(BtreeRoot root, PutShadow(n, chid, bytes.size(), fence));
  n.dirty = false;
  return root;
}

Result<BtreeRoot> CowBtree::Commit(WriteFence* fence) {
  if (!root_->dirty && root_chid_.shadow_bytes == 0) {
    // Opened and not changed: the root's shadow, from the root alone (its children's
    // are in it).
    BtreeNode out;
    out.level = root_->level;
    out.records = root_->records;
    for (size_t i = 0; i < root_->children.size(); ++i) {
      const Child& c = root_->children[i];
      out.children.push_back({i == 0 ? std::string() : c.low, c.chid, c.shadow, c.shadow_bytes});
    }
    CCOW_ASSIGN_OR_RETURN(root_chid_, PutShadow(*root_, root_chid_.node, out.Encode().size(), fence));
  }
  if (!root_->dirty) return root_chid_;
  CCOW_ASSIGN_OR_RETURN(BtreeRoot root, Write(*root_, fence));
  CCOW_RETURN_IF_ERROR(backend_.SyncChunks());
  root_chid_ = root;
  return root;
}

}  // namespace ccow::fs
