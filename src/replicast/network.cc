// Transport selection and multicast group naming (the implementations live in
// udp_network.cc and tcp_network.cc).
#include "replicast/network.h"

namespace ccow::replicast {

Status Endpoint::SendParts(const std::string& to, std::span<const std::string_view> parts) {
  std::string joined;
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  joined.reserve(n);
  for (std::string_view p : parts) joined.append(p);
  return Send(to, joined);
}

Result<TransportKind> ParseTransportKind(const std::string& name) {
  if (name == "udp") return TransportKind::kUdp;
  if (name == "multicast") return TransportKind::kMulticast;
  if (name == "tcp") return TransportKind::kTcp;
  return Status::InvalidArgument("unknown transport '" + name +
                                 "': valid transports are udp, multicast, tcp");
}

const char* TransportKindName(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return "udp";
    case TransportKind::kMulticast:
      return "multicast";
    case TransportKind::kTcp:
      return "tcp";
  }
  return "unknown";
}

std::unique_ptr<Network> NewNetwork(TransportKind kind) {
  switch (kind) {
    case TransportKind::kUdp:
      return NewUdpNetwork(/*multicast=*/false);
    case TransportKind::kMulticast:
      return NewUdpNetwork(/*multicast=*/true);
    case TransportKind::kTcp:
      return NewTcpNetwork();
  }
  return nullptr;
}

std::string MulticastGroupOf(uint32_t row, uint16_t base_port) {
  return "239.67." + std::to_string((row >> 8) & 255) + "." + std::to_string(row & 255) + ":" +
         std::to_string(base_port);
}

}  // namespace ccow::replicast
