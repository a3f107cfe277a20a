// The network under Replicast, as an interface (DESIGN.md §2): the initiator and the target
// run unchanged over real sockets (UDP unicast or multicast, TCP) and over a seeded
// in-process simulation that loses, duplicates, reorders and delays messages, partitions
// nodes and crashes them, so that distributed failures are reproducible in tests.
//
// The unit is a message of at most max_message_bytes(): one datagram over UDP. Delivery is
// best effort on every implementation (TCP too may drop a message when a peer restarts);
// the protocol above retries. Larger payloads travel as trains of pieces (message.h).
//
// Waiting is part of the interface: a caller blocks in WaitUntil() for replies its handler
// collects. Real networks sleep on a condition variable there; the simulation runs its
// event loop on the caller's thread instead, which is what makes a run deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ccow::replicast {

// Called for every message received, with the sender's address (where replies go). Real
// networks call it on their receive threads, possibly concurrently; the simulation on the
// thread that waits.
using Handler = std::function<void(const std::string& from, std::string_view message)>;

// One bound address: "IP:PORT" on real networks, any unique string in the simulation.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual const std::string& address() const = 0;
  // Best effort, never blocks for long; an oversized message is refused.
  virtual Status Send(const std::string& to, std::string_view message) = 0;
  // Sends the parts joined as one message. Transports that can gather (sendmsg) do so
  // without joining them, so that a train piece's payload is never copied in user space;
  // the default joins them and calls Send.
  virtual Status SendParts(const std::string& to, std::span<const std::string_view> parts);
  // Also receive what is sent to a multicast group address. kUnsupported where the
  // transport or the host cannot.
  virtual Status JoinGroup(const std::string& group) {
    return Status::Unsupported("this transport has no multicast");
  }
};

class Network {
 public:
  virtual ~Network() = default;

  virtual const char* name() const = 0;  // "udp", "tcp", "multicast", "sim"
  // Largest message one Send carries.
  virtual size_t max_message_bytes() const = 0;
  // Monotonic nanoseconds (virtual time in the simulation).
  virtual uint64_t NowNs() = 0;

  // Binds an address (port 0 picks a free one) and delivers what arrives to handler until
  // the endpoint is destroyed.
  virtual Result<std::unique_ptr<Endpoint>> Bind(const std::string& address, Handler handler) = 0;

  // Blocks until ready() returns true or timeout_ns passes; returns ready(). Handlers
  // call Wake() after changing what some ready() reads.
  virtual bool WaitUntil(const std::function<bool()>& ready, uint64_t timeout_ns) = 0;
  virtual void Wake() = 0;
  // Sleeps (a rendezvous start, a retry-after) without missing deliveries.
  void SleepFor(uint64_t ns) {
    WaitUntil([] { return false; }, ns);
  }
};

enum class TransportKind { kUdp, kMulticast, kTcp };
Result<TransportKind> ParseTransportKind(const std::string& name);
const char* TransportKindName(TransportKind kind);

// Real networks. Multicast is UDP unicast plus group membership: proposals and trains go
// once to a negotiating group's address (see MulticastGroupOf) where the host routes them.
std::unique_ptr<Network> NewUdpNetwork(bool multicast = false);
std::unique_ptr<Network> NewTcpNetwork();
std::unique_ptr<Network> NewNetwork(TransportKind kind);

// The multicast group address of a FlexHash row: 239.67.R.R:port (administratively
// scoped), the same on every node for a given base port.
std::string MulticastGroupOf(uint32_t row, uint16_t base_port);

}  // namespace ccow::replicast
