// AWS's dates: ISO 8601 as its APIs write it, and epoch seconds (gateway/s3/iso_date.h).
#include "gateway/s3/iso_date.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace ccow::s3 {
namespace {

// Reads `n` decimal digits at `*pos`, advancing it.
bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  *out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    *out = *out * 10 + (c - '0');
  }
  *pos += n;
  return true;
}

// "HH:MM[:SS[.fff]]" from `*pos`, as milliseconds into the day.
std::optional<int64_t> ParseClock(std::string_view s, size_t* pos) {
  int hh = 0, mm = 0, ss = 0;
  if (!Digits(s, pos, 2, &hh) || *pos >= s.size() || s[(*pos)++] != ':' || !Digits(s, pos, 2, &mm)) return std::nullopt;
  int64_t ms = 0;
  if (*pos < s.size() && s[*pos] == ':') {
    ++*pos;
    if (!Digits(s, pos, 2, &ss)) return std::nullopt;
    if (*pos < s.size() && s[*pos] == '.') {
      const size_t start = ++*pos;
      for (int scale = 100; *pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9'; ++*pos, scale /= 10)
        ms += (s[*pos] - '0') * scale;  // digits past milliseconds add nothing
      if (*pos == start) return std::nullopt;
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return ((hh * 60 + mm) * 60 + ss) * int64_t{1000} + ms;
}

// AWS dates: epoch seconds, or ISO 8601 "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HHMM]"
// (no zone means UTC). Milliseconds since the epoch.
}  // namespace

std::optional<int64_t> ParseAwsDate(std::string_view s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t secs = 0;
    if (s.size() > 12 || std::from_chars(s.data(), s.data() + s.size(), secs).ec != std::errc()) return std::nullopt;
    return secs * 1000;
  }
  size_t pos = 0;
  int y = 0, mo = 0, d = 0;
  if (!Digits(s, &pos, 4, &y) || pos >= s.size() || s[pos++] != '-' || !Digits(s, &pos, 2, &mo) ||
      pos >= s.size() || s[pos++] != '-' || !Digits(s, &pos, 2, &d))
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month(mo), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  int64_t ms = std::chrono::sys_days{ymd}.time_since_epoch().count() * int64_t{86'400'000};
  if (pos == s.size()) return ms;
  if (s[pos] != 'T' && s[pos] != 't') return std::nullopt;
  ++pos;
  std::optional<int64_t> clock = ParseClock(s, &pos);
  if (!clock) return std::nullopt;
  ms += *clock;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos++] == '+' ? 1 : -1, oh = 0, om = 0;
    if (!Digits(s, &pos, 2, &oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (!Digits(s, &pos, 2, &om) || oh > 23 || om > 59) return std::nullopt;
    ms -= sign * (oh * 60 + om) * int64_t{60'000};  // local time minus its offset is UTC
  }
  if (pos != s.size()) return std::nullopt;
  return ms;
}

std::string FormatAwsDate(uint64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1000000000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03uZ", buf, static_cast<unsigned>((ns / 1000000) % 1000));
  return out;
}

}  // namespace ccow::s3
