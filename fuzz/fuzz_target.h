// What every fuzz target shares: the round-trip check (an input either fails to decode or
// re-encodes to exactly its own bytes, DESIGN.md invariant 2) and the counter the gcc
// driver reads to prove the seeds reach that check.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ccow::fuzz {

inline size_t decoded = 0;  // inputs that decoded and so went through the round-trip check

// Valid encodings the target builds; defined by each target.
std::vector<std::string> Seeds();

inline void RequireSameBytes(const char* what, std::string_view in, const std::string& out) {
  if (out == in) return;
  size_t i = 0;
  while (i < in.size() && i < out.size() && in[i] == out[i]) ++i;
  std::fprintf(stderr,
               "%s: %zu input bytes decoded but re-encoded as %zu; first difference at byte %zu\n",
               what, in.size(), out.size(), i);
  std::abort();
}

// Aborts when building a seed fails: a seed that is not valid proves nothing.
inline void Must(const Status& st) {
  if (st.ok()) return;
  std::fprintf(stderr, "bad seed: %s\n", st.ToString().c_str());
  std::abort();
}

// The whole body of a target whose record has Decode(std::string_view) and Encode().
template <typename Record>
int CheckRoundTrip(const char* what, const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto record = Record::Decode(in);
  if (!record.ok()) return 0;
  ++decoded;
  RequireSameBytes(what, in, record->Encode());
  return 0;
}

}  // namespace ccow::fuzz
