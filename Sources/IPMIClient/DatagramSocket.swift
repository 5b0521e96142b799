import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A bound, non-blocking UDP socket whose descriptor the transport knows, so that it can send on it directly.
///
/// The lane's ``DatagramLoop`` reads it (``LoopReader``) and sends on it (``LaneOutbox``); the transport closes it.
struct DatagramSocket: Sendable {
    let descriptor: CInt

    enum SendOutcome: Equatable {
        case sent
        /// The socket buffer is full; the datagram is left to the request's retransmission.
        case wouldBlock
        case failed(errno: CInt)
    }

    /// Creates a socket of `address`'s family, non-blocking and close-on-exec, and binds it.
    /// - Parameters:
    ///   - v6Only: for an IPv6 socket, refuse IPv4-mapped peers (an IPv4 socket sits next to it).
    ///   - receiveBufferSize: SO_RCVBUF, if given (the kernel doubles it and caps it at net.core.rmem_max).
    static func bound(
        to address: SocketAddress, v6Only: Bool = false, receiveBufferSize: CInt? = nil
    ) throws -> DatagramSocket {
        let type = CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
        let descriptor = socket(CInt(address.protocol.rawValue), type, 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            try setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            if v6Only { try setOption(descriptor, CInt(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY") }
            if let receiveBufferSize {
                try setOption(descriptor, SOL_SOCKET, SO_RCVBUF, receiveBufferSize, "SO_RCVBUF")
            }
            let result = address.withSockAddr { pointer, length in bind(descriptor, pointer, socklen_t(length)) }
            guard result == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
        return DatagramSocket(descriptor: descriptor)
    }

    private static func setOption(
        _ descriptor: CInt, _ level: CInt, _ name: CInt, _ value: CInt, _ what: String
    ) throws {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
            throw IOError(errnoCode: errno, reason: "setsockopt \(what)")
        }
    }

    /// The address the socket is bound to.
    var localAddress: SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        return Self.address(storage, withHostText: true)
    }

    /// An IPv4 or IPv6 socket address as a `SocketAddress`; nil for any other family.
    /// - Parameter withHostText: also format the address as text (`inet_ntop`) for descriptions. Without it the host
    ///   text is empty: NIO's equality and hashing compare the address bytes only, and making the text for every
    ///   answer read cost more than routing it.
    static func address(_ storage: sockaddr_storage, withHostText: Bool) -> SocketAddress? {
        switch CInt(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            return withHostText ? SocketAddress(address) : SocketAddress(address, host: "")
        case AF_INET6:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            return withHostText ? SocketAddress(address) : SocketAddress(address, host: "")
        default:
            return nil
        }
    }

    /// Closes the descriptor, once: the transport sees to that.
    func close() {
        _ = Glibc.close(descriptor)
    }

    /// Sends one datagram without blocking. Only call this while the socket is open and from its lane's loop, where it
    /// cannot be closed (and the number reused) underneath the call.
    func send(_ bytes: [UInt8], to peer: SocketAddress) -> SendOutcome {
        while true {
            let written = bytes.withUnsafeBytes { buffer in
                peer.withSockAddr { address, length in
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, address, socklen_t(length))
                }
            }
            if written >= 0 { return .sent }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK, ENOBUFS: return .wouldBlock
            case let code: return .failed(errno: code)
            }
        }
    }
}
