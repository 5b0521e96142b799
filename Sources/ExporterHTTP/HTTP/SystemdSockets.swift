import Foundation

/// The listening sockets systemd passes to a socket-activated service (`--web.systemd-socket`): descriptors 3, 4 …
/// announced by `LISTEN_FDS` (how many) and `LISTEN_PID` (for which process), as sd_listen_fds(3) reads them.
public enum SystemdSockets {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3
    /// More would be a broken environment rather than a unit file: each socket is one `ListenStream=` line.
    static let maximumCount = 1024

    /// Why the sockets cannot be used; said at start-up, which then fails.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// The descriptors `environment` announces for the process `pid`. Pure: it checks only the variables.
    public static func descriptors(environment: [String: String], pid: Int32) throws(Failure) -> [Int32] {
        guard let pidText = environment["LISTEN_PID"], let countText = environment["LISTEN_FDS"] else {
            throw Failure(
                "no sockets from systemd (LISTEN_PID and LISTEN_FDS are not set): start the exporter from a .socket "
                    + "unit, or leave out --web.systemd-socket")
        }
        // A socket unit that starts a wrapper script passes the sockets to the script's process; a LISTEN_PID of
        // another process means the variables were inherited by mistake and the descriptors are not ours.
        guard let listenPID = Int32(pidText), listenPID == pid else {
            throw Failure("LISTEN_PID=\(pidText) is not this process (\(pid)): the sockets were passed to another one")
        }
        guard let count = Int(countText), count >= 0, count <= maximumCount else {
            throw Failure("LISTEN_FDS=\(countText) is not a number of sockets")
        }
        guard count > 0 else { throw Failure("LISTEN_FDS=0: systemd passed no sockets") }
        return (0..<count).map { firstDescriptor + Int32($0) }
    }

    /// Takes the sockets of this process: checks that each is a listening stream socket, marks it close-on-exec, and
    /// removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from the environment, as sd_listen_fds(1) does, so
    /// nothing started later takes them for its own. Call it once, at start-up, before other threads read the
    /// environment.
    public static func take() throws(Failure) -> [Int32] {
        let descriptors = try descriptors(environment: ProcessInfo.processInfo.environment, pid: getpid())
        for descriptor in descriptors {
            try check(descriptor)
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
        return descriptors
    }

    /// A descriptor the HTTP server can accept connections on: an open stream socket in the listening state.
    static func check(_ descriptor: Int32) throws(Failure) {
        guard let type = socketOption(descriptor, SO_TYPE) else {
            throw Failure("descriptor \(descriptor) from systemd is not a socket (\(String(cString: strerror(errno))))")
        }
        guard type == Int32(SOCK_STREAM.rawValue) else {
            throw Failure(
                "descriptor \(descriptor) from systemd is not a stream socket: use ListenStream= in the socket unit")
        }
        guard socketOption(descriptor, SO_ACCEPTCONN) == 1 else {
            throw Failure("descriptor \(descriptor) from systemd is not listening (Accept=yes is not supported)")
        }
    }

    private static func socketOption(_ descriptor: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, option, &value, &length) == 0 else { return nil }
        return value
    }
}
