// ObjectApi::Get: walks a version's merkle tree, reading only the chunks that overlap
// the requested range and verifying each one.
#include "client/object_api.h"

namespace ccow {
namespace {

class TreeReader {
 public:
  TreeReader(Backend* backend, const std::string& name, ByteSink* sink)
      : backend_(backend), name_(name), sink_(sink) {}

  // Emits bytes [begin, end) of the object covered by refs.
  Status Read(const std::vector<ChunkRef>& refs, uint64_t begin, uint64_t end, int depth) {
    if (depth > 16) return Status::Corruption("object " + name_ + ": manifest tree too deep");
    for (const auto& ref : refs) {
      uint64_t ref_end = ref.offset + ref.length;
      if (ref_end <= begin) continue;
      if (ref.offset >= end) break;
      CCOW_RETURN_IF_ERROR(backend_->GetChunk(ref.chid, &buf_));
      if (ref.kind == ChunkKind::kChunkManifest) {
        auto cm = ChunkManifest::Decode(buf_);
        if (!cm.ok()) return cm.status().WithContext("chunk " + ref.chid.ToString());
        if (cm->refs.front().offset != ref.offset ||
            cm->refs.back().offset + cm->refs.back().length != ref_end)
          return Status::Corruption("chunk manifest " + ref.chid.ToString() +
                                    " does not cover the range its parent says");
        CCOW_RETURN_IF_ERROR(Read(cm->refs, begin, end, depth + 1));
        continue;
      }
      if (buf_.size() != ref.length)
        return Status::Corruption("chunk " + ref.chid.ToString() + " of " + name_ + " is " +
                                  std::to_string(buf_.size()) + " bytes, its reference says " +
                                  std::to_string(ref.length));
      uint64_t from = std::max(begin, ref.offset) - ref.offset;
      uint64_t to = std::min(end, ref_end) - ref.offset;
      CCOW_RETURN_IF_ERROR(sink_->Write(std::string_view(buf_).substr(from, to - from)));
    }
    return Status::OK();
  }

 private:
  Backend* backend_;
  const std::string& name_;
  ByteSink* sink_;
  std::string buf_;
};

}  // namespace

Status ObjectApi::Get(const std::string& name, const VersionSelector& which,
                      const std::optional<ByteRange>& range, ByteSink& sink, ObjectInfo* info) {
  Chid vm_chid;
  CCOW_ASSIGN_OR_RETURN(VersionManifest vm, LoadManifest(name, which, &vm_chid));
  uint64_t begin = 0, end = vm.size;
  if (range) {
    if (range->offset > vm.size || (range->offset == vm.size && vm.size > 0))
      return Status::InvalidArgument("range starts at " + std::to_string(range->offset) +
                                     ", beyond the object's " + std::to_string(vm.size) +
                                     " bytes");
    begin = range->offset;
    if (range->length) end = begin + std::min(*range->length, vm.size - begin);
  }
  if (info) *info = InfoFromManifest(vm, vm_chid);
  TreeReader reader(backend_.get(), vm.name, &sink);
  return reader.Read(vm.root_refs, begin, end, 0);
}

}  // namespace ccow
