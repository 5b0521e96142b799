import CDatagram
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a socket of a ``DatagramLoop`` lane: whatever datagrams are waiting, with one `recvmmsg`, each routed to its
/// session; then sends what the sessions wrote in answer, together. Only used on the lane's loop.
final class LoopReader: @unchecked Sendable {
    private let socket: IPMITransport.BoundSocket
    private let outbox: LaneOutbox
    private let router: IPMITransport.Router
    /// Datagrams read with one `recvmmsg`: more than a session's window (16 by default in the exporter), so that the
    /// answers to a whole burst fit in one read.
    static let datagramsPerRead = 64
    /// One slot per datagram, each larger than any IPMI datagram (see `IPMITransport.maximumDatagramSize`).
    private var buffer: [UInt8]
    private var senders: [sockaddr_storage]
    private var lengths: [UInt32]
    /// The sender of the last datagram read and its `SocketAddress`: the answers in one read mostly come from the same
    /// BMC, and making the address is an allocation.
    private var lastSender = sockaddr_storage()
    private var lastPeer: SocketAddress?

    init(socket: IPMITransport.BoundSocket, outbox: LaneOutbox, router: IPMITransport.Router) {
        self.socket = socket
        self.outbox = outbox
        self.router = router
        buffer = [UInt8](repeating: 0, count: Self.datagramsPerRead * IPMITransport.maximumDatagramSize)
        senders = [sockaddr_storage](repeating: sockaddr_storage(), count: Self.datagramsPerRead)
        lengths = [UInt32](repeating: 0, count: Self.datagramsPerRead)
    }

    /// Called by the loop when the socket is readable. Reads once: more than a batch waiting is reported readable again
    /// on the next turn of the loop.
    func readAvailable() {
        guard outbox.isOpen else { return }
        let slot = IPMITransport.maximumDatagramSize
        let count = buffer.withUnsafeMutableBufferPointer { buffer in
            senders.withUnsafeMutableBufferPointer { senders in
                lengths.withUnsafeMutableBufferPointer { lengths in
                    cdatagram_receive(
                        socket.socket.descriptor, buffer.baseAddress, slot, UInt32(Self.datagramsPerRead),
                        senders.baseAddress, lengths.baseAddress)
                }
            }
        }
        // Nothing (EAGAIN) or an error the kernel queued for the socket (an ICMP port unreachable from an earlier
        // send): reading it cleared it, and the request's timeout reports the BMC's silence.
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let peer = sender(at: index)
            let length = Int(lengths[index])
            guard let peer, length > 0 else {
                router.malformed(from: peer)
                continue
            }
            let start = index * slot
            router.route(Array(buffer[start..<start + length]), from: peer)
        }
        // A full batch means more may be waiting: under load the socket is then read again at once, not paused.
        outbox.sendHeld(pace: Int(count) < Self.datagramsPerRead)
    }

    /// The address of the datagram in slot `index`; the previous one again when the sender is the same.
    private func sender(at index: Int) -> SocketAddress? {
        let storage = senders[index]
        // The bytes that identify the sender: family, port and address (and, for IPv6, flow info and scope).
        let significant: Int
        switch CInt(storage.ss_family) {
        case AF_INET: significant = MemoryLayout<sockaddr_in>.size
        case AF_INET6: significant = MemoryLayout<sockaddr_in6>.size
        default: return nil
        }
        if let lastPeer, Self.equalPrefix(storage, lastSender, significant) { return lastPeer }
        let peer = DatagramSocket.address(storage, withHostText: false)
        lastSender = storage
        lastPeer = peer
        return peer
    }

    private static func equalPrefix(_ a: sockaddr_storage, _ b: sockaddr_storage, _ count: Int) -> Bool {
        withUnsafeBytes(of: a) { a in withUnsafeBytes(of: b) { b in memcmp(a.baseAddress!, b.baseAddress!, count) == 0 }
        }
    }
}
