// Internal to the real networks (udp_network.cc, tcp_network.cc): IPv4 "IP:PORT" parsing
// and formatting, and the waiting both share. Not part of the Replicast interface.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "core/status.h"
#include "replicast/network.h"

namespace ccow::replicast::internal {

// "IP:PORT" with a numeric IPv4 address ("localhost" is accepted as 127.0.0.1).
inline Status ParseIpPort(const std::string& address, sockaddr_in* out) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Status::InvalidArgument("address '" + address + "' is not IP:PORT (e.g. 127.0.0.1:7000)");
  }
  std::string ip = address.substr(0, colon);
  if (ip == "localhost") ip = "127.0.0.1";
  std::string port_text = address.substr(colon + 1);
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      return Status::InvalidArgument("address '" + address + "' has a bad port (0..65535)");
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return Status::InvalidArgument("address '" + address + "' has a bad port (0..65535)");
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("address '" + address +
                                   "' does not start with a numeric IPv4 address");
  }
  *out = sa;
  return Status::OK();
}

inline std::string FormatIpPort(const sockaddr_in& sa) {
  char ip[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(sa.sin_port));
}

// NowNs, WaitUntil and Wake over the steady clock and one condition variable.
class RealNetworkBase : public Network {
 public:
  uint64_t NowNs() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }

  bool WaitUntil(const std::function<bool()>& ready, uint64_t timeout_ns) override {
    // Clamp so that "forever" (UINT64_MAX) does not overflow the clock.
    constexpr uint64_t kMaxWaitNs = 365ull * 24 * 3600 * 1000000000ull;
    if (timeout_ns > kMaxWaitNs) timeout_ns = kMaxWaitNs;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
    std::unique_lock<std::mutex> lock(mu_);
    while (!ready()) {
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return ready();
    }
    return true;
  }

  void Wake() override {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace ccow::replicast::internal
