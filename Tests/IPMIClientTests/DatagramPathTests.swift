import Glibc
import NIOCore
import Testing

@testable import IPMIClient

/// The transport's sending side: datagrams written on a lane's loop go to the socket directly, a burst is held
/// until the flush, and anything written off the loop or after close still takes a safe path.
@Suite struct DatagramPathTests {
    /// A plain blocking UDP socket on 127.0.0.1 that plays the BMC.
    final class Peer {
        let descriptor: CInt
        let address: SocketAddress

        init() throws {
            let descriptor = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
            self.descriptor = descriptor
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            _ = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            address = try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: local.sin_port)))
        }

        deinit { close(descriptor) }

        /// The next datagram, or nil after the 2 s timeout (or at once when `wait` is false).
        func receive(wait: Bool = true) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 2048)
            let count = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, wait ? 0 : CInt(MSG_DONTWAIT))
            }
            return count < 0 ? nil : Array(buffer[..<count])
        }
    }

    @Test func aBurstOnTheLoopIsHeldUntilTheFlushAndSingleDatagramsGoAtOnce() async throws {
        let peer = try Peer()
        let transport = try await IPMITransport.bind(host: "127.0.0.1")
        let target = peer.address
        try await transport.eventLoop.run {
            transport.send([1, 1], to: target, flush: false)
            transport.send([2, 2, 2], to: target, flush: false)
        }
        #expect(peer.receive(wait: false) == nil)
        try await transport.eventLoop.run { transport.flush(lane: 0) }
        #expect(peer.receive() == [1, 1])
        #expect(peer.receive() == [2, 2, 2])

        // Sent when the task is done, before the loop waits (which may be after the test resumes).
        try await transport.eventLoop.run { transport.send([3], to: target) }
        #expect(peer.receive() == [3])

        // Off the loop, a task on the lane's loop sends it.
        transport.send([4, 4], to: target)
        #expect(peer.receive() == [4, 4])
        #expect(transport.statistics.snapshot.packetsSent == 4)
        await transport.close()
    }

    @Test func sendingAfterCloseNeitherCrashesNorReachesThePeer() async throws {
        let peer = try Peer()
        let transport = try await IPMITransport.bind(host: "127.0.0.1")
        let target = peer.address
        let loop = transport.eventLoop
        await transport.close()
        // The closed socket's descriptor number may now be this socket's; a send on the stale number would reach
        // the peer from it.
        let reuser = try Peer()
        try await loop.run {
            transport.send([9], to: target)
            transport.send([9, 9], to: target, flush: false)
            transport.flush(lane: 0)
        }
        transport.send([9, 9, 9], to: target)
        #expect(peer.receive(wait: false) == nil)
        withExtendedLifetime(reuser) {}
    }

    @Test func aSocketThatCannotBindThrows() throws {
        let occupant = try Peer()  // bound without SO_REUSEADDR
        let error = #expect(throws: IOError.self) { try DatagramSocket.bound(to: occupant.address) }
        #expect(error?.errnoCode == EADDRINUSE)
    }

    @Test func aBoundSocketSendsToItsPeer() throws {
        let peer = try Peer()
        let socket = try DatagramSocket.bound(to: try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        defer { close(socket.descriptor) }
        #expect(socket.send([7, 8, 9], to: peer.address) == .sent)
        #expect(peer.receive() == [7, 8, 9])
    }
}
