import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loopback port numbers nobody is listening on, for test peers started by the tests themselves.
public enum FreePort {
    /// Asks the kernel for an unused port by binding port 0 on 127.0.0.1, then releases it.
    public static func udp() -> Int { pick(type: Int32(SOCK_DGRAM.rawValue)) }

    public static func tcp() -> Int { pick(type: Int32(SOCK_STREAM.rawValue)) }

    /// Ports already handed out in this process: tests running in parallel must not get the same one.
    private static let handedOut = NIOLockedValueBox<Set<Int>>([])

    private static func pick(type: Int32) -> Int {
        for _ in 0..<64 {
            let port = bind0(type: type)
            let fresh = handedOut.withLockedValue { $0.insert(port).inserted }
            if fresh { return port }
        }
        return bind0(type: type)
    }

    private static func bind0(type: Int32) -> Int {
        let fd = boundSocket(type: type)
        precondition(fd >= 0, "socket() or bind() failed")
        defer { close(fd) }
        return port(of: fd)
    }

    /// A socket of `type` bound to 127.0.0.1:`port` (0: a free one the kernel picks), with SO_REUSEADDR when
    /// `reuseAddress`, or -1; the caller closes it.
    public static func boundSocket(type: Int32, port: Int = 0, reuseAddress: Bool = false) -> Int32 {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return -1 }
        if reuseAddress {
            var reuse: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    /// The local port of a bound IPv4 socket.
    public static func port(of fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a socket can be bound to ::1 (containers may run without IPv6).
    public static let hasIPv6Loopback: Bool = {
        let descriptor = socket(AF_INET6, CInt(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
    }()
}
