// Degraded reads: rebuilds a payload chunk of an erasure-coded version from its stripe
// when the chunk itself cannot be read (lost, unavailable, or failing its CHID).
//
// A Get of a version whose entry is erasure coded (VersionEntry::ec_chid) makes one
// StripeReader. Nothing is loaded until a chunk read fails: then the version's stripe set
// (model/stripe_set.h) is fetched once, and each failed chunk is looked up in it, the
// other fragments of its stripe are fetched (only as many as a rebuild needs, more when
// some fail) and the chunk is rebuilt with ec/stripe.h's RebuildFragment, which returns
// nothing but bytes matching the chunk's CHID. Each rebuild is reported to
// Backend::OnDegradedRead so that a repair can follow.
//
// Errors (Rebuild): the status says which object and chunk could not be read and why,
// then why the rebuild failed: the stripe set missing or not this version's (kCorruption),
// the chunk in no stripe (the read's own code), or too few usable fragments
// (RebuildFragment's kUnavailable or kCorruption) naming the stripe's index, its policy
// and each lost or corrupt fragment.
//
// Threads: Rebuild may be called from any threads at once (the tree reader fetches on
// workers); the first caller loads the stripe set while the others wait for it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "client/backend.h"
#include "core/hash.h"
#include "core/status.h"
#include "ec/erasure_code.h"
#include "model/stripe_set.h"

namespace ccow {

class StripeReader {
 public:
  // object_name: for messages. vm_chid: the version read (its stripe set must name it).
  // ec_chid: the entry's stripe set. parallel_io: fetch fragments on worker threads (off
  // in the deterministic simulation). backend must outlive this object.
  StripeReader(Backend* backend, std::string object_name, const Chid& vm_chid, const Chid& ec_chid,
               bool parallel_io);

  // The bytes of payload chunk `chid`, whose read failed with read_error, rebuilt from
  // its stripe and verified against `chid`.
  Result<std::string> Rebuild(const Chid& chid, const Status& read_error);

 private:
  struct Loaded {
    StripeSet set;
    // Each data chunk's stripe and fragment index (the first when a chunk repeats):
    // FindData is linear, and a read may rebuild thousands of chunks.
    std::unordered_map<Chid, std::pair<size_t, int>, HashIdHasher> where;
    std::unique_ptr<ErasureCode> code;
  };
  // The stripe set, loaded by the first caller; a failure is kept, for the rest of this
  // read, rather than fetched again per lost chunk.
  Result<const Loaded*> Load();

  Backend* backend_;
  std::string name_;
  Chid vm_chid_, ec_chid_;
  bool parallel_io_;

  std::mutex mu_;  // guards the three below; after a load they never change
  bool tried_ = false;
  Status load_status_;
  std::unique_ptr<Loaded> loaded_;
};

}  // namespace ccow
