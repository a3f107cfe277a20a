// Writing a small file (a checkpoint, a state or configuration file) so that a crash at any
// moment leaves either the old contents or the new, never a torn mix: write a temporary
// file beside it, fsync it, rename it over the old one, fsync the directory.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow {

// mode: permissions of a newly created file (0600 for files holding secrets).
Status WriteFileAtomically(const std::string& path, std::string_view contents, unsigned mode = 0644);

}  // namespace ccow
