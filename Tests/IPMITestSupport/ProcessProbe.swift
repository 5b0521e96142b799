import Glibc

/// What a test can see of its own process: its threads and its sockets.
public enum ProcessProbe {
    /// Whether a thread of this process has `name` (as `pthread_setname_np` set it).
    public static func threadExists(named name: String) -> Bool {
        entries(of: "/proc/self/task").contains { id in
            guard let file = fopen("/proc/self/task/\(id)/comm", "r") else { return false }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 64)
            guard fgets(&buffer, 64, file) != nil else { return false }
            let comm = String(decoding: buffer.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
            return comm == name + "\n"
        }
    }

    /// How many UDP sockets of this process are bound to IPv4 `port`: a closed transport leaves none.
    public static func openUDPSockets(port: Int) -> Int {
        entries(of: "/proc/self/fd").compactMap { CInt($0) }.filter { descriptor in
            var type: CInt = 0
            var typeLength = socklen_t(MemoryLayout<CInt>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &typeLength) == 0,
                type == CInt(SOCK_DGRAM.rawValue)
            else { return false }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            return named == 0 && address.sin_family == sa_family_t(AF_INET)
                && Int(UInt16(bigEndian: address.sin_port)) == port
        }.count
    }

    /// The names in a /proc directory.
    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            names.append(
                withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return names
    }
}
