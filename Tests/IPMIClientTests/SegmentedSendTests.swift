import CDatagram
import Glibc
import Logging
import NIOCore
import Testing

@testable import IPMIClient

/// A burst goes out with as few messages as possible: runs of same-size datagrams to one BMC as one segmented
/// message (UDP_SEGMENT). Whatever the grouping, every BMC must receive each of its datagrams on its own, intact and
/// in order, also on a socket where the kernel refuses segmentation.
@Suite struct SegmentedSendTests {
    typealias Endpoint = LoopbackEndpoint

    /// A datagram of `size` bytes that says which it is.
    static func datagram(_ mark: UInt8, size: Int) -> [UInt8] {
        [mark] + (1..<size).map { UInt8(truncatingIfNeeded: Int(mark) &* 31 &+ $0) }
    }

    /// Runs of equal sizes, a shorter one closing a run, a longer one after it, the other BMC in between, and more
    /// than one message's worth of segments in a row.
    static let plan: [(toSecond: Bool, mark: UInt8, size: Int)] =
        (0..<5).map { (false, UInt8($0), 48) } + [(false, 5, 32), (false, 6, 64), (true, 7, 48), (true, 8, 48)]
        + [(false, 9, 48), (true, 10, 80)] + (11..<90).map { (false, UInt8($0), 48) }

    func send(from sender: Endpoint, to first: Endpoint, and second: Endpoint) {
        // Sent at once (`sendHeld`) on this thread; the loop is not involved.
        let outbox = LaneOutbox(logger: Logger(label: "test"), loop: DatagramLoopGroup.singleton.nextLoop())
        let isIPv6 = if case .v6 = sender.address { true } else { false }
        let socket = IPMITransport.BoundSocket(socket: sender.socket, isIPv6: isIPv6)
        for entry in Self.plan {
            outbox.hold(
                Self.datagram(entry.mark, size: entry.size), to: entry.toSecond ? second.address : first.address,
                on: socket)
        }
        outbox.sendHeld(pace: false)
    }

    func expectEveryDatagramArrived(_ first: Endpoint, _ second: Endpoint) {
        let expectedFirst = Self.plan.filter { !$0.toSecond }.map { Self.datagram($0.mark, size: $0.size) }
        let expectedSecond = Self.plan.filter(\.toSecond).map { Self.datagram($0.mark, size: $0.size) }
        #expect(first.drain() == expectedFirst)
        #expect(second.drain() == expectedSecond)
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func eachBMCReceivesItsDatagramsOneByOneIntactAndInOrder(host: String) throws {
        let sender = try Endpoint(host: host)
        let first = try Endpoint(host: host)
        let second = try Endpoint(host: host)
        defer { [sender, first, second].forEach { $0.socket.close() } }
        send(from: sender, to: first, and: second)
        expectEveryDatagramArrived(first, second)
    }

    @Test func aSocketThatCannotSegmentSendsTheDatagramsOneByOne() throws {
        let sender = try Endpoint()
        let first = try Endpoint()
        let second = try Endpoint()
        defer { [sender, first, second].forEach { $0.socket.close() } }
        // Without UDP checksums the kernel refuses UDP_SEGMENT (EINVAL).
        var one: CInt = 1
        #expect(
            setsockopt(sender.socket.descriptor, SOL_SOCKET, SO_NO_CHECK, &one, socklen_t(MemoryLayout<CInt>.size)) == 0
        )
        let probe = [UInt8](repeating: 1, count: 96)
        let refused = probe.withUnsafeBufferPointer { bytes in
            first.address.withSockAddr { address, length in
                var message = cdatagram_outgoing(
                    bytes: bytes.baseAddress, length: bytes.count, destination: address,
                    destination_length: socklen_t(length), segment_size: 48)
                return cdatagram_send(sender.socket.descriptor, &message, 1)
            }
        }
        #expect(refused == -1, "the kernel took a segmented message on a socket without checksums")
        _ = first.drain()

        send(from: sender, to: first, and: second)
        expectEveryDatagramArrived(first, second)
    }
}
