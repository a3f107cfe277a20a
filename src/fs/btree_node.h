// A node of the file layer's copy-on-write B+tree (fs/cow_btree.h; issue 15), stored as
// a chunk named by its hash (docs/FORMAT.md "B+tree node"). A leaf holds sorted
// (key, value) records; an inner node holds its children, each with the lowest key it
// covers (the first child's is empty: it covers everything below the second's), the
// CHID of its node and the CHID and size of its subtree's shadow manifest. Keys are strictly increasing, which makes the encoding canonical.
//
// Errors (Decode): kCorruption for anything but a well-formed node ("not a B+tree node",
// unsorted keys, an inner node without children or whose first key is not empty,
// trailing bytes, a level over kMaxLevel).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "model/object_name.h"

namespace ccow::fs {

struct BtreeNode {
  static constexpr uint8_t kFormatVersion = 1;
  static constexpr uint8_t kMaxLevel = 32;

  struct Child {
    std::string low;  // the lowest key under it ("" for the first child)
    Chid chid;
    // The chunk manifest naming every chunk of the subtree (its nodes and the chunks its
    // records reference), and the bytes it covers: what the volume's checkpoint version
    // references, so that the collector, links and repair reach the whole tree as they
    // reach any object's (fs/cow_btree.h).
    Chid shadow;
    uint64_t shadow_bytes = 0;
    friend bool operator==(const Child&, const Child&) = default;
  };

  uint8_t level = 0;  // 0: a leaf
  std::vector<std::pair<std::string, std::string>> records;  // a leaf's
  std::vector<Child> children;                                // an inner node's

  bool leaf() const { return level == 0; }
  std::string Encode() const;
  static Result<BtreeNode> Decode(std::string_view bytes);
  friend bool operator==(const BtreeNode&, const BtreeNode&) = default;
};

}  // namespace ccow::fs
