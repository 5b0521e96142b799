import Foundation
import IPMITestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `ipmi-exporter` binary on 127.0.0.1 under abuse: a thousand idle connections (more than
/// `max_connections`), a slowloris, an oversized header, a malformed request line, path traversal and a huge query
/// string. A normal client keeps getting `/metrics` quickly, every bad request gets a 4xx with a one-line reason
/// (or is closed), and the process's memory stays bounded.
@Suite(.serialized) struct HTTPAbuseTests {
    /// A blocking loopback TCP client socket, or -1.
    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            close(fd)
            return -1
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBufferPointer {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Reads until the peer closes or `seconds` pass; nil when nothing at all arrived and the peer did not close.
    static func receive(_ fd: Int32, seconds: Double) -> (text: String, closed: Bool) {
        var data = [UInt8]()
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, end.timeIntervalSinceNow * 1000))
            guard poll(&descriptor, 1, left) > 0 else { break }
            let n = buffer.withUnsafeMutableBufferPointer { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (String(decoding: data, as: UTF8.self), true) }
            data += buffer[0..<n]
        }
        return (String(decoding: data, as: UTF8.self), false)
    }

    /// One request on a fresh connection; the answer and how long it took.
    static func request(
        port: Int, _ text: String, seconds: Double = 5
    ) -> (answer: String, closed: Bool, elapsed: Double) {
        let start = Date()
        let fd = connect(port: port)
        guard fd >= 0 else { return ("", true, 0) }
        defer { close(fd) }
        _ = send(fd, text)
        let (answer, closed) = receive(fd, seconds: seconds)
        return (answer, closed, Date().timeIntervalSince(start))
    }

    static func residentKilobytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    /// A 4xx status line, and a body of exactly one line.
    static func isRejection(_ answer: String) -> Bool {
        guard answer.hasPrefix("HTTP/1.1 4") else { return false }
        guard let split = answer.range(of: "\r\n\r\n") else { return false }
        let body = answer[split.upperBound...]
        return body.hasSuffix("\n") && body.dropLast().split(separator: "\n").count == 1
    }

    @Test func keepsServingUnderAbuse() async throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("abuse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default: {}\nexporter:\n  max_connections: 512\n".write(
            to: config, atomically: true, encoding: .utf8)
        let port = FreePort.tcp()
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--config.file", config.path, "--web.listen-address", "127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        defer { if process.isRunning { process.terminate() } }
        let metrics = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

        var ready = false
        for _ in 0..<100 where !ready {
            ready = Self.request(port: port, metrics).answer.hasPrefix("HTTP/1.1 200")
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the exporter did not start")
        for _ in 0..<20 { _ = Self.request(port: port, metrics) }
        let rssBefore = try #require(Self.residentKilobytes(process.processIdentifier))

        // A slowloris: a request head trickled a line at a time.
        let slow = Self.connect(port: port)
        #expect(slow >= 0)
        _ = Self.send(slow, "GET /metrics HTTP/1.1\r\n")

        // 1,000 idle connections: twice max_connections.
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<1000 {
            let fd = Self.connect(port: port)
            if fd >= 0 { idle.append(fd) }
        }
        #expect(idle.count == 1000)
        _ = Self.send(slow, "X-Slow: 1\r\n")

        // A normal client still gets its metrics every time, while the abuse goes on: the slowloris is still
        // connected afterwards, so the answers did not wait for it to be cut off by the header timeout.
        for _ in 0..<5 {
            let (answer, _, _) = Self.request(port: port, metrics)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
            #expect(answer.contains("ipmi_exporter_build_info") || answer.contains("process_"))
        }
        #expect(!Self.receive(slow, seconds: 0).closed, "the slowloris was cut off before the normal client's answers")

        // Each bad request: a 4xx with a one-line reason, or the connection closed.
        let oversized = Self.request(
            port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 64 * 1024))\r\n\r\n"
        )
        #expect(Self.isRejection(oversized.answer) || (oversized.answer.isEmpty && oversized.closed), "\(oversized)")
        #expect(oversized.answer.isEmpty || oversized.answer.hasPrefix("HTTP/1.1 431"))
        let malformed = Self.request(port: port, "GARBAGE \u{1}\u{2} NOT-HTTP\r\n\r\n")
        #expect(Self.isRejection(malformed.answer) || (malformed.answer.isEmpty && malformed.closed), "\(malformed)")
        let traversal = Self.request(
            port: port, "GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(traversal.answer.hasPrefix("HTTP/1.1 4"), "\(traversal.answer.prefix(200))")
        #expect(!traversal.answer.contains("root:"))
        let encodedTraversal = Self.request(
            port: port, "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(encodedTraversal.answer.hasPrefix("HTTP/1.1 4"))
        #expect(!encodedTraversal.answer.contains("root:"))
        let hugeQuery = Self.request(
            port: port,
            "GET /ipmi?target=\(String(repeating: "h", count: 200 * 1024)) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        #expect(
            Self.isRejection(hugeQuery.answer) || (hugeQuery.answer.isEmpty && hugeQuery.closed),
            "\(hugeQuery.answer.prefix(200))")
        let longTarget = Self.request(
            port: port,
            "GET /ipmi?target=\(String(repeating: "h", count: 8000)) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(longTarget.answer.hasPrefix("HTTP/1.1 "), "\(longTarget.answer.prefix(200))")

        // The slowloris never completes its head: it is closed (408 or displaced), not served.
        let slowEnd = Self.receive(slow, seconds: 15)
        #expect(slowEnd.closed)
        #expect(!slowEnd.text.hasPrefix("HTTP/1.1 200"))
        close(slow)

        // Still serving after all of it, and memory stayed bounded.
        #expect(Self.request(port: port, metrics).answer.hasPrefix("HTTP/1.1 200"))
        let rssAfter = try #require(Self.residentKilobytes(process.processIdentifier))
        #expect(rssAfter - rssBefore < 64 * 1024, "RSS grew from \(rssBefore) kB to \(rssAfter) kB")
    }
}
