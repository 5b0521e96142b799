import Synchronization

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
    private static let handedOut = Mutex<Set<Int>>([])

    private static func pick(type: Int32) -> Int {
        for _ in 0..<64 {
            let port = bind0(type: type)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        return bind0(type: type)
    }

    private static func bind0(type: Int32) -> Int {
        let fd = socket(AF_INET, type, 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(bound == 0, "bind() failed")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
