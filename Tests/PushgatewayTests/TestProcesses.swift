import Foundation
import IPMITestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Errors of the test fixtures themselves (not of the code under test).
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picked; listening if asked.
private func boundLoopbackSocket(listening: Bool) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FixtureError("socket failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && (!listening || listen(fd, 16) == 0) && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else {
        close(fd)
        throw FixtureError("bind/listen on 127.0.0.1 failed")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// Ports already handed out in this process: the kernel readily returns a just-closed port again,
/// and tests run in parallel.
private let handedOutPorts = Mutex<Set<Int>>([])

/// A TCP port on 127.0.0.1 that was free a moment ago and that no other test of this process got.
func freeLoopbackPort() throws -> Int {
    while true {
        let (fd, port) = try boundLoopbackSocket(listening: false)
        close(fd)
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
}

/// Stops a child for good. SIGKILL because children inherit the signal mask of the test thread that
/// spawned them, in which SIGTERM may be blocked.
func killAndWait(_ process: Process) {
    guard process.isRunning else { return }
    _ = Glibc.kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
}

/// A listening socket that never accepts: connections complete in the kernel backlog and requests
/// are never answered, which is how a hung gateway looks.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        (fd, port) = try boundLoopbackSocket(listening: true)
    }

    deinit { close(fd) }
}

/// Runs a program to completion, feeding `input` on stdin; returns its exit status and stdout.
@discardableResult
func runTool(_ path: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let result = try runProgram(path, arguments, input: input)
    return (result.status, result.stdout)
}

/// `runProgram` on a Dispatch thread: waiting for a child must not block one of the few threads of
/// the Swift concurrency pool, which the code under test needs meanwhile.
func runProgramDetached(
    _ path: String, _ arguments: [String]
) async throws -> (
    status: Int32, stdout: String, stderr: String
) {
    try await offPool { try runProgram(path, arguments) }
}

/// Runs a program to completion; stderr goes through a file so that neither pipe can fill up.
func runProgram(
    _ path: String, _ arguments: [String], input: String? = nil
) throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdout = Pipe()
    let stdin = Pipe()
    let stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: stderrFile) }
    let stderr = try FileHandle(forWritingTo: stderrFile)
    process.standardOutput = stdout
    process.standardInput = stdin
    process.standardError = stderr
    try ExternalCommand.launch(process)
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try stderr.close()
    let errors = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors)
}

/// An HTTP GET with the curl command-line tool: an oracle independent of the code under test.
/// Credentials go through a curl config on stdin, never the command line.
func curlGet(
    _ url: String, username: String? = nil, password: String? = nil, tls: TestPKI? = nil
) throws -> (
    status: Int, body: String
) {
    var config = "silent\nwrite-out = \"\\n%{http_code}\"\n"
    if let username, let password { config += "user = \"\(username):\(password)\"\n" }
    if let tls {
        config += "cacert = \"\(tls.caFile)\"\ncert = \"\(tls.clientCertFile)\"\nkey = \"\(tls.clientKeyFile)\"\n"
    }
    let (_, output) = try runTool("/usr/bin/curl", ["-K", "-", url], input: config)
    guard let newline = output.lastIndex(of: "\n"), let status = Int(output[output.index(after: newline)...]) else {
        throw FixtureError("unexpected curl output: \(output)")
    }
    return (status, String(output[..<newline]))
}

/// A real `prometheus-pushgateway` on a free loopback port with its own state in a temporary
/// directory; stopped by `stop()`.
final class PushgatewayProcess: @unchecked Sendable {
    let port: Int
    let directory: URL
    /// A route prefix unique to this gateway, so that a test can never talk to another test's gateway.
    let prefix = "/t" + UUID().uuidString.prefix(8).lowercased()
    /// With TLS, the gateway serves HTTPS and requires a client certificate signed by this PKI.
    let tls: TestPKI?
    private let process: Process

    /// The base URL to push to (route prefix included).
    var url: String { "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)\(prefix)" }

    /// Starts the gateway; with `basicAuth`, it requires those credentials (bcrypt hash in a web config);
    /// with `tls`, HTTPS with that PKI's server certificate and a client certificate required.
    static func start(
        basicAuth: (username: String, password: String)? = nil, tls: TestPKI? = nil
    ) async throws
        -> PushgatewayProcess
    {
        var lastError: any Error = FixtureError("pushgateway did not start")
        for _ in 0..<3 {  // the free port can be taken between probing and binding
            do {
                return try await PushgatewayProcess(port: try freeLoopbackPort(), basicAuth: basicAuth, tls: tls)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private init(port: Int, basicAuth: (username: String, password: String)?, tls: TestPKI?) async throws {
        self.port = port
        self.tls = tls
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pushgateway-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var arguments = [
            "--web.listen-address=127.0.0.1:\(port)", "--web.route-prefix=\(prefix)", "--log.level=warn",
            // Debian's default is one shared file under /var/lib/prometheus: each gateway gets its own.
            "--persistence.file=\(directory.appendingPathComponent("pushgateway.data").path)",
        ]
        var webConfig = ""
        if let basicAuth {
            webConfig += "basic_auth_users:\n  \(basicAuth.username): \(try bcryptHash(basicAuth.password))\n"
        }
        if let tls {
            webConfig += """
                tls_server_config:
                  cert_file: \(tls.serverCertFile)
                  key_file: \(tls.serverKeyFile)
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: \(tls.caFile)

                """
        }
        if !webConfig.isEmpty {
            let config = directory.appendingPathComponent("web.yml")
            try webConfig.write(to: config, atomically: true, encoding: .utf8)
            arguments.append("--web.config.file=\(config.path)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus-pushgateway")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: touch(directory.appendingPathComponent("stderr.log")))
        try ExternalCommand.launch(process)
        // /-/ready answers once the listener is up (also without credentials).
        for _ in 0..<100 {
            if !process.isRunning { break }
            if let (status, _) = try? curlGet("\(url)/-/ready", tls: tls), status == 200 || status == 401,
                process.isRunning
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw FixtureError("pushgateway on port \(port) did not become ready")
    }

    func stop() {
        killAndWait(process)
        try? FileManager.default.removeItem(at: directory)
    }

    /// The groups the gateway holds, from its JSON API.
    func groups(username: String? = nil, password: String? = nil) throws -> [PushedGroup] {
        let (status, body) = try curlGet("\(url)/api/v1/metrics", username: username, password: password, tls: tls)
        guard status == 200 else { throw FixtureError("GET /api/v1/metrics: \(status) \(body)") }
        return try PushedGroup.parse(json: body)
    }

    /// The gateway's own count of requests, `pushgateway_http_requests_total{code,handler,method}`.
    func requestCount(code: Int, handler: String = "push", method: String = "put") throws -> Int {
        let (_, body) = try curlGet("\(url)/metrics", tls: tls)
        let prefix = "pushgateway_http_requests_total{code=\"\(code)\",handler=\"\(handler)\",method=\"\(method)\"} "
        guard let line = body.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(line.dropFirst(prefix.count)) ?? -1
    }
}

private func touch(_ url: URL) -> URL {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
    return url
}

/// A bcrypt hash from Debian's python3-bcrypt (password on stdin, not on the command line).
func bcryptHash(_ password: String) throws -> String {
    let script = "import bcrypt,sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(4)).decode())"
    let (status, output) = try runTool("/usr/bin/python3", ["-c", script], input: password)
    guard status == 0 else { throw FixtureError("python3-bcrypt missing (scripts/install-deps.sh installs it)") }
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// One group as the gateway reports it: grouping labels and, per metric name, its samples.
struct PushedGroup {
    var labels: [String: String]
    var metrics: [String: [(labels: [String: String], value: Double)]]

    func value(_ name: String) -> Double? { metrics[name]?.first?.value }

    static func parse(json: String) throws -> [PushedGroup] {
        guard let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let data = root["data"] as? [[String: Any]]
        else { throw FixtureError("unexpected JSON: \(json)") }
        return data.map { entry in
            var group = PushedGroup(labels: entry["labels"] as? [String: String] ?? [:], metrics: [:])
            for (name, family) in entry {
                guard let family = family as? [String: Any], let samples = family["metrics"] as? [[String: Any]] else {
                    continue
                }
                // Gateway bookkeeping, not pushed by us.
                if name == "push_time_seconds" || name == "push_failure_time_seconds" { continue }
                group.metrics[name] = samples.map {
                    ($0["labels"] as? [String: String] ?? [:], Double($0["value"] as? String ?? "") ?? .nan)
                }
            }
            return group
        }
    }
}

/// A tiny HTTP server (python3) that answers every request with one status and body and counts
/// requests in a file, for the retry tests the real gateway cannot provoke (5xx).
final class FixedStatusServer {
    let port: Int
    private let process: Process
    private let countFile: URL

    init(status: Int, body: String) async throws {
        port = try freeLoopbackPort()
        countFile = FileManager.default.temporaryDirectory.appendingPathComponent("fixed-status-\(UUID().uuidString)")
        let script = """
            import http.server, sys
            port, status, body, count = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
            class H(http.server.BaseHTTPRequestHandler):
                def answer(self):
                    n = int(self.headers.get('Content-Length') or 0)
                    self.rfile.read(n)
                    with open(count, 'a') as f: f.write(self.command + '\\n')
                    self.send_response(status); self.send_header('Content-Length', str(len(body)))
                    self.end_headers(); self.wfile.write(body)
                do_PUT = do_GET = answer
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, "\(port)", "\(status)", body, countFile.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        for _ in 0..<100 {
            if process.isRunning, let (status, _) = try? curlGet("http://127.0.0.1:\(port)/ready"), status != 0 {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// PUT requests received (the readiness probes are GETs).
    var puts: Int {
        ((try? String(contentsOf: countFile, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == "PUT" }
            .count
    }

    func stop() {
        killAndWait(process)
        try? FileManager.default.removeItem(at: countFile)
    }
}

/// A throw-away PKI made with the openssl tool: a CA, a server certificate for 127.0.0.1 and a client
/// certificate, all valid for a day, in a temporary directory.
final class TestPKI: Sendable {
    let directory: URL
    var caFile: String { path("ca.crt") }
    var serverCertFile: String { path("server.crt") }
    var serverKeyFile: String { path("server.key") }
    var clientCertFile: String { path("client.crt") }
    var clientKeyFile: String { path("client.key") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + ec + ["-keyout", path("ca.key"), "-out", caFile, "-days", "1", "-subj", "/CN=test CA"])
        try issue(
            "server", subject: "/CN=127.0.0.1",
            extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", ec: ec)
        try issue("client", subject: "/CN=pusher", extensions: "extendedKeyUsage=clientAuth\n", ec: ec)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func issue(_ name: String, subject: String, extensions: String, ec: [String]) throws {
        try openssl(["req"] + ec + ["-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", caFile, "-CAkey", path("ca.key"), "-CAcreateserial",
            "-out", path("\(name).crt"), "-days", "1", "-extfile", path("\(name).ext"),
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try runProgram("/usr/bin/openssl", arguments)
        guard result.status == 0 else { throw FixtureError("openssl \(arguments.first ?? ""): \(result.stderr)") }
    }
}
