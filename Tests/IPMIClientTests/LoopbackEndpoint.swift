import Glibc
import NIOCore
import Testing

@testable import IPMIClient

/// A UDP socket of the test's own on a loopback address (127.0.0.1 unless told; a free port), standing in for a BMC
/// or a sender.
struct LoopbackEndpoint {
    let socket: DatagramSocket
    let address: SocketAddress

    init(host: String = "127.0.0.1") throws {
        socket = try DatagramSocket.bound(to: try SocketAddress(ipAddress: host, port: 0))
        address = try #require(socket.localAddress)
    }

    /// Every datagram waiting on the socket, each as received.
    func drain() -> [[UInt8]] {
        var datagrams: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let length = buffer.withUnsafeMutableBytes {
                recv(socket.descriptor, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT))
            }
            guard length > 0 else { return datagrams }
            datagrams.append(Array(buffer[..<length]))
        }
    }
}
