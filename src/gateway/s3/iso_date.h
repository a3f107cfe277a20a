// The one parser of AWS's date values: bucket policy date conditions, Object Lock's
// RetainUntilDate (XML and the x-amz-object-lock-retain-until-date header).
// Stateless; never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccow::s3 {

// Epoch seconds ("1700000000"), or ISO 8601 "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HHMM]"
// (no zone means UTC; digits past milliseconds are ignored). Milliseconds since the epoch;
// nullopt for anything else, including impossible dates (February 30th).
std::optional<int64_t> ParseAwsDate(std::string_view text);
// "2015-10-21T07:28:00.000Z": how S3's XML and headers write a time (ns since the epoch).
std::string FormatAwsDate(uint64_t ns);

}  // namespace ccow::s3
