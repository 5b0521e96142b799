import CDatagram
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The sending side of one lane: datagrams its sessions write on the lane's loop go straight to the socket, together.
/// A burst written while a read is handled is held until the read is done; what tasks and timers write is held until
/// the loop is about to wait. So the BMC sees a whole window at once, and a burst is one `sendmmsg`, its same-size
/// datagrams to one BMC one segmented message. A datagram the socket cannot take at once (a full socket buffer) is
/// left to the request's retransmission, as a lost one would be. Only used on the lane's loop.
final class LaneOutbox: @unchecked Sendable {
    typealias HeldDatagram = (bytes: [UInt8], peer: SocketAddress, socket: IPMITransport.BoundSocket)
    private var held: [HeldDatagram] = []
    /// The datagrams being sent by ``sendHeld(pace:)``, swapped with `held` so that neither array is copied per burst.
    private var sending: [HeldDatagram] = []
    private let logger: Logger
    /// The lane's loop: datagrams written by its tasks and timers are sent together just before it waits again
    /// (``flushSoon()``).
    private let loop: DatagramLoop
    /// How long to leave a socket unread after a burst; nil reads at once.
    private let pacing: TimeAmount?
    private var flushScheduled = false
    /// False once the transport closed the sockets, or the loop stopped.
    var isOpen = true
    /// Reused by ``sendBatch(_:)``: the datagrams' bytes end to end, their destinations, and where each one is.
    private var batchBytes: [UInt8] = []
    private var batchDestinations: [sockaddr_storage] = []
    private var batchLayout: [(offset: Int, length: Int, addressLength: Int, segmentSize: Int, firstDatagram: Int)] =
        []
    /// Whether bursts go out segmented (UDP_SEGMENT); false once the kernel refused it.
    private var segmentation = true

    init(logger: Logger, loop: DatagramLoop, pacing: TimeAmount? = nil) {
        self.logger = logger
        self.loop = loop
        self.pacing = pacing.flatMap { $0 > .zero ? $0 : nil }
    }

    /// Sends at the next ``sendHeld()``.
    func hold(_ bytes: [UInt8], to peer: SocketAddress, on socket: IPMITransport.BoundSocket) {
        held.append((bytes, peer, socket))
    }

    /// Sends what is held once the tasks and timers the loop is running now are done, so that requests written one
    /// at a time (a batch of sensor readings, the first request of each collector) leave with one `sendmmsg` and wake
    /// the BMC once.
    func flushSoon() {
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.beforeWaiting(self)
    }

    /// Called by the loop before it waits, after ``flushSoon()``.
    func flushBeforeWaiting() {
        flushScheduled = false
        sendHeld()
    }

    /// Sends the held datagrams; with `pace` (and pacing configured) their socket is then left unread for a moment.
    func sendHeld(pace: Bool = true) {
        guard !held.isEmpty else { return }
        swap(&held, &sending)
        defer { sending.removeAll(keepingCapacity: true) }
        if sending.count > 1, isOpen {
            // A burst is one sendmmsg per socket (in practice one socket).
            var rest = sending[...]
            while let first = rest.first {
                let descriptor = first.socket.socket.descriptor
                let same = rest.prefix { $0.socket.socket.descriptor == descriptor }
                sendBatch(same)
                rest = rest.dropFirst(same.count)
            }
        } else {
            for datagram in sending { send(datagram.bytes, to: datagram.peer, on: datagram.socket) }
        }
        if pace, let pacing {
            // The answers to this burst then arrive while the socket is not polled, and are read together. A burst
            // is in runs per socket (in practice one), so each socket is paused once.
            var previous: CInt?
            for datagram in sending where datagram.socket.socket.descriptor != previous {
                previous = datagram.socket.socket.descriptor
                loop.pauseReading(datagram.socket.socket.descriptor, for: pacing)
            }
        }
    }

    /// Sends now. The descriptor is used only while the socket is open; the transport closes it on this same loop, so
    /// it cannot be closed (and its number reused) during the call.
    func send(_ bytes: [UInt8], to peer: SocketAddress, on socket: IPMITransport.BoundSocket) {
        guard isOpen else { return }
        switch socket.socket.send(bytes, to: peer) {
        case .sent:
            return
        case .wouldBlock:
            logger.debug("udp send buffer full, datagram left to the retransmission", metadata: ["peer": "\(peer)"])
        case .failed(let code):
            // E.g. an unreachable network: the request's timeout reports it.
            logger.debug("udp send failed", metadata: ["peer": "\(peer)", "errno": "\(code)"])
        }
    }

    /// Sends datagrams that share one socket with as few `sendmmsg` calls as the kernel allows. Consecutive datagrams
    /// of one size to one BMC (a window of sensor readings: the same command, sealed to the same length) go as one
    /// segmented message (UDP_SEGMENT), which costs the sender one trip through the IP stack instead of one per
    /// datagram; the BMC still receives each datagram on its own.
    private func sendBatch(_ datagrams: ArraySlice<HeldDatagram>) {
        guard let descriptor = datagrams.first?.socket.socket.descriptor else { return }
        batchBytes.removeAll(keepingCapacity: true)
        batchDestinations.removeAll(keepingCapacity: true)
        batchLayout.removeAll(keepingCapacity: true)
        var index = datagrams.startIndex
        while index < datagrams.endIndex {
            let first = datagrams[index]
            let size = first.bytes.count
            // A run of same-size datagrams to the same peer; the kernel also takes one shorter datagram at its end.
            var end = index + 1
            var length = size
            if segmentation {
                while end < datagrams.endIndex, end - index < Int(CDATAGRAM_MAX_SEGMENTS),
                    length + datagrams[end].bytes.count <= Self.maximumSegmentedBytes,
                    datagrams[end].peer == first.peer, datagrams[end].bytes.count <= size
                {
                    length += datagrams[end].bytes.count
                    end += 1
                    if datagrams[end - 1].bytes.count < size { break }
                }
            }
            var destination = sockaddr_storage()
            let addressLength = first.peer.withSockAddr { address, length in
                withUnsafeMutableBytes(of: &destination) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length))
                }
                return length
            }
            batchLayout.append(
                (
                    offset: batchBytes.count, length: length, addressLength: addressLength,
                    segmentSize: end - index > 1 ? size : 0, firstDatagram: index
                ))
            for datagram in datagrams[index..<end] { batchBytes.append(contentsOf: datagram.bytes) }
            batchDestinations.append(destination)
            index = end
        }
        let layout = batchLayout
        var resendFrom: Int?
        batchBytes.withUnsafeBufferPointer { bytes in
            batchDestinations.withUnsafeBufferPointer { destinations in
                var outgoing = layout.indices.map { index in
                    cdatagram_outgoing(
                        bytes: bytes.baseAddress! + layout[index].offset, length: layout[index].length,
                        destination: UnsafeRawPointer(destinations.baseAddress! + index).assumingMemoryBound(
                            to: sockaddr.self),
                        destination_length: socklen_t(layout[index].addressLength),
                        segment_size: UInt16(layout[index].segmentSize))
                }
                var done = 0
                while done < outgoing.count {
                    let sent = outgoing.withUnsafeMutableBufferPointer { outgoing in
                        cdatagram_send(descriptor, outgoing.baseAddress! + done, UInt32(outgoing.count - done))
                    }
                    if sent > 0 {
                        done += Int(sent)
                        continue
                    }
                    // A full socket buffer leaves the rest to the requests' retransmissions, as a lost datagram
                    // would; any other error is the first message's (e.g. its network is unreachable): skip it.
                    let code = errno
                    if code == EAGAIN || code == EWOULDBLOCK || code == ENOBUFS {
                        logger.debug("udp send buffer full, datagrams left to the retransmission")
                        return
                    }
                    if layout[done].segmentSize > 0, Self.segmentationRefusals.contains(code) {
                        // A kernel, socket or route that cannot segment: from here on, one datagram per message.
                        logger.debug(
                            "udp segmentation refused; sending datagrams one by one", metadata: ["errno": "\(code)"])
                        resendFrom = layout[done].firstDatagram
                        return
                    }
                    logger.debug("udp send failed", metadata: ["errno": "\(code)"])
                    done += 1
                }
            }
        }
        if let resendFrom {
            segmentation = false
            sendBatch(datagrams[resendFrom...])
        }
    }

    /// Errors with which `sendmsg` refuses UDP_SEGMENT: EIO without checksum offload on the route, EINVAL for a
    /// socket without UDP checksums, ENOPROTOOPT or EOPNOTSUPP on kernels before 4.18.
    private static let segmentationRefusals: Set<CInt> = [EIO, EINVAL, ENOPROTOOPT, EOPNOTSUPP]

    /// Bytes in one segmented message: well below the 65,507 of a UDP datagram over IPv4.
    private static let maximumSegmentedBytes = 60_000
}
