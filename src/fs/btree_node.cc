#include "fs/btree_node.h"

#include "model/encoding.h"

namespace ccow::fs {

std::string BtreeNode::Encode() const {
  Encoder e;
  e.PutU8(static_cast<uint8_t>(RecordKind::kBtreeNode));
  e.PutU8(kFormatVersion);
  e.PutU8(level);
  if (leaf()) {
    e.PutVarint(records.size());
    for (const auto& [k, v] : records) {
      e.PutBytes(k);
      e.PutBytes(v);
    }
  } else {
    e.PutVarint(children.size());
    for (const auto& c : children) {
      e.PutBytes(c.low);
      e.PutHashId(c.chid);
      e.PutHashId(c.shadow);
      e.PutVarint(c.shadow_bytes);
    }
  }
  return e.Take();
}

Result<BtreeNode> BtreeNode::Decode(std::string_view bytes) {
  Decoder d(bytes, "B+tree node");
  d.GetRecordHeader(RecordKind::kBtreeNode, kFormatVersion);
  BtreeNode n;
  n.level = d.GetU8();
  if (d.status().ok() && n.level > kMaxLevel) d.Fail("level " + std::to_string(n.level) + " over the maximum");
  if (n.leaf()) {
    const uint64_t count = d.GetCount(2);
    for (uint64_t i = 0; i < count && d.status().ok(); ++i) {
      std::string k = d.GetBytes();
      std::string v = d.GetBytes();
      if (d.status().ok() && !n.records.empty() && !(n.records.back().first < k)) d.Fail("keys not strictly increasing");
      n.records.emplace_back(std::move(k), std::move(v));
    }
  } else {
    const uint64_t count = d.GetCount(2);
    if (d.status().ok() && count == 0) d.Fail("an inner node without children");
    for (uint64_t i = 0; i < count && d.status().ok(); ++i) {
      Child c;
      c.low = d.GetBytes();
      c.chid = d.GetHashId();
      c.shadow = d.GetHashId();
      c.shadow_bytes = d.GetVarint();
      if (d.status().ok() && c.shadow_bytes == 0) d.Fail("a child's shadow manifest of no bytes");
      if (d.status().ok() && i == 0 && !c.low.empty()) d.Fail("the first child's low key is not empty");
      if (d.status().ok() && i > 0 && !(n.children.back().low < c.low)) d.Fail("keys not strictly increasing");
      n.children.push_back(std::move(c));
    }
  }
  Status s = d.Finish();
  if (!s.ok()) return Status::Corruption(s.message());
  return n;
}

}  // namespace ccow::fs
