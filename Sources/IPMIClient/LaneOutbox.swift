import Logging
import NIOCore

/// The sending side of one lane: datagrams its sessions write on the lane's event loop go straight to the socket
/// with `sendto`, and a burst written while a read is handled is held until the read is done, so the BMC sees the
/// whole window at once. Only used on the lane's event loop.
///
/// Going around the channel pipeline saves, per datagram, an envelope, a `ByteBuffer` copy, the pending-writes
/// queue and a flush: together as much CPU as the system call itself. The channel still carries what the socket
/// cannot take at once (a full socket buffer), queueing it until the socket is writable.
final class LaneOutbox: @unchecked Sendable {
    private var held: [(bytes: [UInt8], peer: SocketAddress, socket: IPMITransport.BoundSocket)] = []
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Sends at the next ``sendHeld()``.
    func hold(_ bytes: [UInt8], to peer: SocketAddress, on socket: IPMITransport.BoundSocket) {
        held.append((bytes, peer, socket))
    }

    func sendHeld() {
        guard !held.isEmpty else { return }
        let datagrams = held
        held.removeAll(keepingCapacity: true)
        for datagram in datagrams { send(datagram.bytes, to: datagram.peer, on: datagram.socket) }
    }

    /// Sends now. The descriptor is used only while the channel that owns it is open; the channel closes it on this
    /// same loop, so it cannot be closed (and its number reused) during the call.
    func send(_ bytes: [UInt8], to peer: SocketAddress, on socket: IPMITransport.BoundSocket) {
        guard socket.channel.isActive else { return Self.write(bytes, to: peer, on: socket.channel, flush: true) }
        switch socket.socket.send(bytes, to: peer) {
        case .sent:
            return
        case .wouldBlock:
            Self.write(bytes, to: peer, on: socket.channel, flush: true)
        case .failed(let code):
            // E.g. an unreachable network: the request's timeout reports it.
            logger.debug("udp send failed", metadata: ["peer": "\(peer)", "errno": "\(code)"])
        }
    }

    /// Through the channel pipeline.
    static func write(_ bytes: [UInt8], to peer: SocketAddress, on channel: any Channel, flush: Bool) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let envelope = AddressedEnvelope(remoteAddress: peer, data: buffer)
        if flush {
            channel.writeAndFlush(envelope, promise: nil)
        } else {
            channel.write(envelope, promise: nil)
        }
    }
}
