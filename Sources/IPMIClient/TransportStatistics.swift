import NIOConcurrencyHelpers

/// Why the transport threw a datagram away instead of delivering it to a session.
public enum DropCategory: String, Sendable, CaseIterable {
    /// Not an RMCP/IPMI packet at all, or too short to route.
    case malformed
    /// Well formed, but no session of ours is waiting for it (unknown peer or session ID).
    case unroutable
    /// Rejected by the session: bad integrity data, checksum, decryption, unexpected payload.
    case rejected
    /// A response for a request that already completed or gave up (retransmission duplicates).
    case late
}

/// Packet counters of one transport, shared by every session on it; the exporter exposes them.
public final class TransportStatistics: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var packetsSent: UInt64 = 0
        public var packetsReceived: UInt64 = 0
        public var retransmissions: UInt64 = 0
        public var handshakes: UInt64 = 0
        public var handshakeFailures: UInt64 = 0
        public var dropped: [DropCategory: UInt64] = [:]

        public var droppedTotal: UInt64 { dropped.values.reduce(0, +) }

        public init() {}
    }

    // NIO's pthread lock rather than `Mutex`: ThreadSanitizer sees it (see `make tsan`).
    private let state = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLockedValue { $0 } }

    func sent() { state.withLockedValue { $0.packetsSent &+= 1 } }
    func received() { state.withLockedValue { $0.packetsReceived &+= 1 } }
    func retransmitted() { state.withLockedValue { $0.retransmissions &+= 1 } }
    func handshake(succeeded: Bool) {
        state.withLockedValue {
            $0.handshakes &+= 1
            if !succeeded { $0.handshakeFailures &+= 1 }
        }
    }
    func dropped(_ reason: DropCategory) { state.withLockedValue { $0.dropped[reason, default: 0] &+= 1 } }
}
