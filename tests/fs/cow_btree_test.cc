// The file layer's copy-on-write B+tree (fs/cow_btree.h) and its node encoding
// (fs/btree_node.h): a random workload agrees with std::map across commits and reopens;
// an old root still reads what it held (snapshots); a change rewrites only its path;
// nodes stay within their bound and the tree shrinks back as records go; damaged or
// missing nodes are errors naming the node; the encoding is canonical (golden bytes).
#include "fs/cow_btree.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "fs/btree_node.h"
#include "store/store_test_util.h"

namespace ccow::fs {
namespace {

using ccow::testing::ScratchDir;

struct Fixture {
  Fixture() {
    auto b = OpenLocalBackend(dir.path() + "/store");
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    backend = std::move(*b);
  }
  std::unique_ptr<CowBtree> Open(const std::optional<Chid>& root, size_t node_bytes = 512) {
    BtreeOptions o;
    o.max_node_bytes = node_bytes;
    auto t = CowBtree::Open(*backend, root, o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  ScratchDir dir;
  std::unique_ptr<Backend> backend;
};

std::map<std::string, std::string> All(CowBtree& t) {
  std::map<std::string, std::string> out;
  std::string last;
  bool first = true;
  Status s = t.Scan("", [&](std::string_view k, std::string_view v) {
    EXPECT_TRUE(first || std::string(k) > last) << "scan out of order at " << k;
    first = false;
    last = std::string(k);
    out.emplace(k, v);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string Key(std::mt19937_64& rng, int space) {
  return "inode/" + std::to_string(rng() % space);
}

TEST(CowBtreeTest, ARandomWorkloadAgreesWithAMapAcrossCommitsAndReopens) {
  Fixture f;
  auto t = f.Open(std::nullopt);
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(20261203);
  for (int step = 0; step < 20000; ++step) {
    const std::string k = Key(rng, 3000);
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      const std::string v(rng() % 40, static_cast<char>('a' + rng() % 26));
      ASSERT_TRUE(t->Put(k, v).ok());
      model[k] = v;
    } else if (op < 9) {
      auto gone = t->Delete(k);
      ASSERT_TRUE(gone.ok()) << gone.status().ToString();
      EXPECT_EQ(*gone, model.erase(k) == 1) << k;
    } else {
      auto got = t->Get(k);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      auto it = model.find(k);
      EXPECT_EQ(got->has_value(), it != model.end()) << k;
      if (it != model.end() && got->has_value()) EXPECT_EQ(**got, it->second);
    }
    if (step % 2500 == 2499) {
      auto root = t->Commit();
      ASSERT_TRUE(root.ok()) << root.status().ToString();
      t = f.Open(root->node);  // reopened from its root alone
      ASSERT_EQ(All(*t), model) << "at step " << step;
    }
  }
  EXPECT_GE(t->height(), 3u) << "small nodes make a deep tree";
  // Scans from the middle start at the first key not below the start.
  std::vector<std::string> from;
  ASSERT_TRUE(t->Scan("inode/5", [&](std::string_view k, std::string_view) {
                 from.emplace_back(k);
                 return from.size() < 3;
               }).ok());
  std::vector<std::string> want;
  for (auto it = model.lower_bound("inode/5"); it != model.end() && want.size() < 3; ++it) want.push_back(it->first);
  EXPECT_EQ(from, want);
}

TEST(CowBtreeTest, AnOldRootStillReadsWhatItHeld) {
  Fixture f;
  auto t = f.Open(std::nullopt);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(t->Put("k" + std::to_string(i), "v1").ok());
  auto snap = t->Commit();
  ASSERT_TRUE(snap.ok());
  for (int i = 0; i < 500; i += 2) ASSERT_TRUE(t->Put("k" + std::to_string(i), "v2").ok());
  for (int i = 1; i < 500; i += 4) ASSERT_TRUE(t->Delete("k" + std::to_string(i)).ok());
  auto now = t->Commit();
  ASSERT_TRUE(now.ok());
  EXPECT_NE(snap->node, now->node);
  auto old = f.Open(snap->node);
  auto all = All(*old);
  ASSERT_EQ(all.size(), 500u);
  for (const auto& [k, v] : all) EXPECT_EQ(v, "v1") << k;
  EXPECT_EQ(All(*f.Open(now->node)).size(), 375u);
}

TEST(CowBtreeTest, AChangeRewritesOnlyItsPath) {
  Fixture f;
  auto t = f.Open(std::nullopt);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(t->Put("k" + std::to_string(100000 + i), std::string(20, 'x')).ok());
  auto root = t->Commit();
  ASSERT_TRUE(root.ok());
  const uint64_t before = t->nodes_written();
  EXPECT_GT(before, 100u);
  ASSERT_TRUE(t->Put("k102500", "changed").ok());
  auto again = t->Commit();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(t->nodes_written() - before, 2 * t->height()) << "one new node and its shadow manifest per level";
  // Nothing changed: the same root, nothing written.
  ASSERT_TRUE(t->Put("k102500", "changed").ok());
  EXPECT_FALSE(t->dirty());
  auto same = t->Commit();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->node, again->node);
  EXPECT_EQ(same->shadow, again->shadow);
}

TEST(CowBtreeTest, NodesStayWithinTheirBoundAndTheTreeShrinksBack) {
  Fixture f;
  auto t = f.Open(std::nullopt, 1024);
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(t->Put("file" + std::to_string(i), std::string(i % 200, 'y')).ok());
  auto root = t->Commit();
  ASSERT_TRUE(root.ok());
  // Every node of the tree: within the bound, keys increasing.
  std::vector<Chid> todo{root->node};
  size_t nodes = 0;
  while (!todo.empty()) {
    std::string bytes;
    ASSERT_TRUE(f.backend->GetChunk(todo.back(), &bytes).ok());
    todo.pop_back();
    EXPECT_LE(bytes.size(), 1024u);
    auto n = BtreeNode::Decode(bytes);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    for (const auto& c : n->children) todo.push_back(c.chid);
    ++nodes;
  }
  EXPECT_GT(nodes, 50u);
  const uint32_t tall = t->height();
  for (int i = 0; i < 2990; ++i) ASSERT_TRUE(t->Delete("file" + std::to_string(i)).ok());
  ASSERT_TRUE(t->Commit().ok());
  EXPECT_LT(t->height(), tall);
  EXPECT_LE(t->height(), 2u);
  EXPECT_EQ(All(*t).size(), 10u);
  // Emptied, it is one empty leaf, and grows again.
  for (int i = 2990; i < 3000; ++i) ASSERT_TRUE(t->Delete("file" + std::to_string(i)).ok());
  auto empty = t->Commit();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(t->height(), 1u);
  EXPECT_TRUE(All(*f.Open(empty->node)).empty());
  ASSERT_TRUE(t->Put("again", "1").ok());
  EXPECT_EQ(All(*t).size(), 1u);
}

TEST(CowBtreeTest, OversizedRecordsAreRefused) {
  Fixture f;
  auto t = f.Open(std::nullopt, 1024);
  Status s = t->Put("big", std::string(300, 'z'));
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(t->Put("fits", std::string(200, 'z')).ok());
}

TEST(CowBtreeTest, AMissingOrAlteredNodeIsAnErrorNamingIt) {
  Fixture f;
  auto t = f.Open(std::nullopt);
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(t->Put("k" + std::to_string(i), "value").ok());
  auto root = t->Commit();
  ASSERT_TRUE(root.ok());
  const Chid nowhere = HashBytes(HashAlgo::kSha256, std::string("no such node"));
  auto missing = CowBtree::Open(*f.backend, nowhere);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find(nowhere.ToString()), std::string::npos);
  // A chunk that is not a node, stored under its own name.
  const std::string junk = "not a node at all";
  const Chid junk_id = HashBytes(HashAlgo::kSha256, junk);
  bool stored_new = false;
  ASSERT_TRUE(f.backend->PutChunk(junk_id, junk, 1, &stored_new, nullptr).ok());
  auto bad = CowBtree::Open(*f.backend, junk_id);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption) << bad.status().ToString();
}

TEST(BtreeNodeTest, EncodingIsCanonicalAndGolden) {
  BtreeNode leaf;
  leaf.records = {{"a", "1"}, {"b", ""}};
  EXPECT_EQ(ToHex(leaf.Encode().data(), leaf.Encode().size()), "0901000201610131016200");
  auto back = BtreeNode::Decode(leaf.Encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, leaf);
  BtreeNode inner;
  inner.level = 1;
  inner.children = {{"", HashBytes(HashAlgo::kSha256, std::string("l")), HashBytes(HashAlgo::kSha256, std::string("ls")), 10},
                    {"m", HashBytes(HashAlgo::kSha256, std::string("r")), HashBytes(HashAlgo::kSha256, std::string("rs")), 20}};
  auto inner_back = BtreeNode::Decode(inner.Encode());
  ASSERT_TRUE(inner_back.ok()) << inner_back.status().ToString();
  EXPECT_EQ(*inner_back, inner);
  // Refused: unsorted keys, a first child with a low key, no children, trailing bytes.
  BtreeNode unsorted;
  unsorted.records = {{"b", "1"}, {"a", "2"}};
  EXPECT_EQ(BtreeNode::Decode(unsorted.Encode()).status().code(), Code::kCorruption);
  BtreeNode low = inner;
  low.children[0].low = "a";
  EXPECT_EQ(BtreeNode::Decode(low.Encode()).status().code(), Code::kCorruption);
  BtreeNode empty_inner;
  empty_inner.level = 2;
  EXPECT_EQ(BtreeNode::Decode(empty_inner.Encode()).status().code(), Code::kCorruption);
  EXPECT_EQ(BtreeNode::Decode(leaf.Encode() + "x").status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace ccow::fs
