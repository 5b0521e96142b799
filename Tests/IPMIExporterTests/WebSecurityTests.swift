import Foundation
import IPMITestSupport
import Logging
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// TLS and basic auth on the real listener (127.0.0.1, free port), checked with curl as the TLS peer and a
/// PKI made by the openssl CLI for each run. One test at a time: each runs several curl processes.
@Suite(.serialized) struct WebSecurityTests {
    static let password = "Kx7-scrape-pass"

    /// Starts the HTTP server with `webYAML` (files relative to the PKI directory), runs `body` with its port.
    static func withServer(
        webYAML: String, pki: TestPKI, log: CapturedLog = CapturedLog(),
        _ body: @Sendable (_ port: Int) async throws -> Void
    ) async throws {
        let config = try WebConfigLoader.parse(yaml: webYAML, file: "web.yml", baseDirectory: pki.directory)
        let web = WebConfigStore(path: nil, initial: config)
        let logger = log.logger(level: .debug)
        let router = RouterTests.router(web: web, logger: logger)
        try await HTTPServerTests.withServer(router: router, web: web, logger: logger) { port, _ in
            try await body(port)
        }
    }

    struct CurlResult: Sendable {
        /// "000" when no HTTP response came.
        var code: String
        var headers: String
        var body: String
        var status: Int32
    }

    /// curl with a timeout; `arguments` come before the URL.
    static func curl(_ url: String, _ arguments: [String] = []) async throws -> CurlResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let headers = directory.appendingPathComponent("headers").path
        let body = directory.appendingPathComponent("body").path
        let result = try await offPool {
            try ExternalCommand.run(
                "curl",
                ["-sS", "--max-time", "20", "-D", headers, "-o", body, "-w", "%{http_code}"] + arguments + [url],
                timeout: 30)
        }
        return CurlResult(
            code: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "",
            body: (try? String(contentsOfFile: body, encoding: .utf8)) ?? "", status: result.status)
    }

    static let tlsSection = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"

    @Test func servesHTTPSAndRefusesPlainHTTP() async throws {
        let pki = try await TestPKI.shared()
        let log = CapturedLog()
        try await Self.withServer(webYAML: Self.tlsSection, pki: pki, log: log) { port in
            let ok = try await Self.curl("https://127.0.0.1:\(port)/-/healthy", ["--cacert", pki.path("ca.crt")])
            #expect(ok.code == "200")
            #expect(ok.body == "Healthy\n")
            let byName = try await Self.curl(
                "https://localhost:\(port)/metrics",
                [
                    "--cacert", pki.path("ca.crt"), "--resolve", "localhost:\(port):127.0.0.1", "--tlsv1.2",
                    "--tls-max", "1.2",
                ])
            #expect(byName.code == "200")
            #expect(byName.body.contains("ipmi_exporter_build_info"))

            let plain = try await Self.curl("http://127.0.0.1:\(port)/-/healthy")
            #expect(plain.code == "400")
            #expect(plain.body == "Client sent an HTTP request to an HTTPS server.\n")
            let untrusted = try await Self.curl("https://127.0.0.1:\(port)/-/healthy")
            #expect(untrusted.code == "000")
            #expect(untrusted.status == 60)  // curl: peer certificate cannot be authenticated
        }
        #expect(log.text.contains("TLS connection failed"))
    }

    @Test func tlsVersionLimits() async throws {
        let pki = try await TestPKI.shared()
        try await Self.withServer(webYAML: Self.tlsSection + "  min_version: TLS13\n", pki: pki) { port in
            let url = "https://127.0.0.1:\(port)/-/healthy"
            let tls12 = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "--tls-max", "1.2"])
            #expect(tls12.code == "000")
            let tls13 = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "--tlsv1.3"])
            #expect(tls13.code == "200")
        }
    }

    /// Each client_auth_type against: no client certificate, one from the trusted CA, one from another CA.
    @Test(arguments: [
        ("RequireAndVerifyClientCert", ["000", "200", "000"]),
        ("VerifyClientCertIfGiven", ["200", "200", "000"]),
        ("RequireAnyClientCert", ["000", "200", "200"]),
        ("RequestClientCert", ["200", "200", "200"]),
        ("NoClientCert", ["200", "200", "200"]),
    ])
    func clientCertificates(clientAuth: String, expected: [String]) async throws {
        let pki = try await TestPKI.shared()
        var yaml = Self.tlsSection + "  client_auth_type: \(clientAuth)\n"
        if clientAuth.contains("Verify") { yaml += "  client_ca_file: ca.crt\n" }
        try await Self.withServer(webYAML: yaml, pki: pki) { port in
            let url = "https://127.0.0.1:\(port)/-/healthy"
            let trust = ["--cacert", pki.path("ca.crt")]
            let none = try await Self.curl(url, trust)
            let good = try await Self.curl(url, trust + pki.curlIdentity("client"))
            let rogue = try await Self.curl(url, trust + pki.curlIdentity("rogue-client"))
            #expect([none.code, good.code, rogue.code] == expected, "\(clientAuth)")
        }
    }

    @Test func clientAllowedSANs() async throws {
        let pki = try await TestPKI.shared()
        let yaml =
            Self.tlsSection
            + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
            + "  client_allowed_sans: [prometheus.test]\n"
        let log = CapturedLog()
        try await Self.withServer(webYAML: yaml, pki: pki, log: log) { port in
            let url = "https://127.0.0.1:\(port)/-/healthy"
            let trust = ["--cacert", pki.path("ca.crt")]
            let allowed = try await Self.curl(url, trust + pki.curlIdentity("client"))
            #expect(allowed.code == "200")
            let other = try await Self.curl(url, trust + pki.curlIdentity("other-client"))
            #expect(other.code == "000")
        }
        #expect(log.text.contains("none of the allowed subject alternative names"))
    }

    @Test func basicAuthOverTLS() async throws {
        let pki = try await TestPKI.shared()
        let hash = try await BcryptTests.python(
            "import bcrypt, sys\nprint(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(6)).decode())",
            stdin: Self.password)[0]
        let yaml =
            Self.tlsSection
            + "basic_auth_users:\n  prometheus: \(hash)\n"
            + "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n"
        let log = CapturedLog()
        try await Self.withServer(webYAML: yaml, pki: pki, log: log) { port in
            let url = "https://127.0.0.1:\(port)/metrics"
            let trust = ["--cacert", pki.path("ca.crt")]
            let right = try await Self.curl(url, trust + ["-u", "prometheus:\(Self.password)"])
            #expect(right.code == "200")
            #expect(right.body.contains("ipmi_exporter_build_info"))
            #expect(right.headers.lowercased().contains("x-frame-options: deny"))
            #expect(right.headers.lowercased().contains("x-content-type-options: nosniff"))
            let again = try await Self.curl(url, trust + ["-u", "prometheus:\(Self.password)"])
            #expect(again.code == "200")

            for credentials in [["-u", "prometheus:wrong"], ["-u", "nobody:\(Self.password)"], []] {
                let refused = try await Self.curl(url, trust + credentials)
                #expect(refused.code == "401", "\(credentials)")
                #expect(refused.headers.contains("WWW-Authenticate: Basic"), "\(refused.headers)")
                #expect(refused.headers.lowercased().contains("x-frame-options: deny"))
                #expect(!refused.body.contains("ipmi_exporter"))
            }
        }
        let text = log.text
        #expect(text.contains("Unauthorized request"))
        #expect(!text.contains(Self.password))
        #expect(!text.contains(String(hash.dropFirst(7))))
    }

    @Test func rateLimitAnswers429() async throws {
        let pki = try await TestPKI.shared()
        let yaml = "rate_limit:\n  interval: 1h\n  burst: 2\nhttp_server_config:\n  headers: {X-Frame-Options: deny}\n"
        try await Self.withServer(webYAML: yaml, pki: pki) { port in
            var codes: [String] = []
            for _ in 0..<3 {
                codes.append(try await Self.curl("http://127.0.0.1:\(port)/-/healthy").code)
            }
            #expect(codes == ["200", "200", "429"])
        }
    }

    /// A reload picks up a renewed certificate for new connections.
    @Test func reloadSwapsTheCertificate() async throws {
        let pki = try await TestPKI.shared()
        let file = pki.path("reload-\(UUID().uuidString).yml")
        try "tls_server_config:\n  cert_file: rogue-server.crt\n  key_file: rogue-server.key\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let web = WebConfigStore(path: file, initial: try WebConfigLoader.load(file: file))
        try await HTTPServerTests.withServer(router: RouterTests.router(web: web), web: web) { port, _ in
            let url = "https://127.0.0.1:\(port)/-/healthy"
            let before = try await Self.curl(url, ["--cacert", pki.path("ca.crt")])
            #expect(before.code == "000")  // signed by the other CA
            try Self.tlsSection.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(web.reload(logger: quietLogger) == nil)
            let after = try await Self.curl(url, ["--cacert", pki.path("ca.crt")])
            #expect(after.code == "200")
        }
    }

    /// A certificate renewed in place (here: the files a symbolic link points to are swapped, as Kubernetes
    /// does with mounted secrets) is picked up without a signal.
    @Test func watcherReloadsWhenACertificateFileChanges() async throws {
        let pki = try await TestPKI.shared()
        let directory = pki.path("watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory + "/v1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/v2", withIntermediateDirectories: true)
        for (version, name) in [("v1", "rogue-server"), ("v2", "server")] {
            try FileManager.default.copyItem(atPath: pki.path("\(name).crt"), toPath: "\(directory)/\(version)/tls.crt")
            try FileManager.default.copyItem(atPath: pki.path("\(name).key"), toPath: "\(directory)/\(version)/tls.key")
        }
        try FileManager.default.createSymbolicLink(atPath: directory + "/current", withDestinationPath: "v1")
        let file = directory + "/web.yml"
        try "tls_server_config:\n  cert_file: current/tls.crt\n  key_file: current/tls.key\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let web = WebConfigStore(path: file, initial: try WebConfigLoader.load(file: file))
        let log = CapturedLog()
        let watcher = WebConfigWatcher(store: web, interval: .milliseconds(100), logger: log.logger())
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [watcher], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await HTTPServerTests.withServer(router: RouterTests.router(web: web), web: web) { port, _ in
                let url = "https://127.0.0.1:\(port)/-/healthy"
                #expect(try await Self.curl(url, ["--cacert", pki.path("ca.crt")]).code == "000")
                try FileManager.default.removeItem(atPath: directory + "/current")
                try FileManager.default.createSymbolicLink(atPath: directory + "/current", withDestinationPath: "v2")
                var code = "000"
                for _ in 0..<100 where code != "200" {
                    try await Task.sleep(for: .milliseconds(100))
                    code = try await Self.curl(url, ["--cacert", pki.path("ca.crt")]).code
                }
                #expect(code == "200")
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(log.text.contains("Web config or a file it names changed"))
    }

    /// The real binary: `--web.config.file` with TLS and basic auth, debug logging; nothing it writes holds the
    /// password or the hash. A broken web config stops start-up with file and line.
    @Test func theBinaryServesTLSWithBasicAuth() async throws {
        let executable = try #require(ServeCommandTests.executable, "build the ipmi-exporter product first")
        let pki = try await TestPKI.shared()
        let hash = try await BcryptTests.python(
            "import bcrypt, sys\nprint(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(5)).decode())",
            stdin: Self.password)[0]
        let webConfig = pki.path("web.yml")
        try (Self.tlsSection + "basic_auth_users:\n  prometheus: \(hash)\n").write(
            toFile: webConfig, atomically: true, encoding: .utf8)

        let broken = pki.path("broken.yml")
        try "basic_auth_users:\n  prometheus: \(hash.dropLast())\n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let failed = try await offPool {
            try ExternalCommand.run(
                executable.path, ["--web.config.file", broken, "--web.listen-address", "127.0.0.1:0"], timeout: 20)
        }
        #expect(failed.status == 1)
        #expect(
            failed.stderr.contains("\(broken):2:15: the password of prometheus is not a bcrypt hash"),
            "\(failed.stderr)")
        #expect(!failed.stderr.contains(String(hash.dropFirst(7).dropLast())))

        let port = FreePort.tcp()
        let (process, stderr) = try ServeCommandTests.launch(
            executable,
            ["--web.config.file", webConfig, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "debug"])
        defer { if process.isRunning { process.terminate() } }

        let url = "https://127.0.0.1:\(port)/metrics"
        var answer = CurlResult(code: "000", headers: "", body: "", status: -1)
        for _ in 0..<100 {
            answer = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "-u", "prometheus:\(Self.password)"])
            if answer.code != "000" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.code == "200")
        let refused = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "-u", "prometheus:\(Self.password)x"])
        #expect(refused.code == "401")
        let plain = try await Self.curl("http://127.0.0.1:\(port)/metrics", ["-u", "prometheus:\(Self.password)"])
        #expect(plain.code == "400")
        #expect(!plain.body.contains("ipmi_"))

        // SIGHUP re-reads the web config: a new user's password works, the old user's no longer does.
        let newHash = try await BcryptTests.python(
            "import bcrypt, sys\nprint(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(4)).decode())",
            stdin: Self.password + "-2")[0]
        try (Self.tlsSection + "basic_auth_users:\n  grafana: \(newHash)\n").write(
            toFile: webConfig, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        var renewed = CurlResult(code: "000", headers: "", body: "", status: -1)
        for _ in 0..<50 {
            renewed = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "-u", "grafana:\(Self.password)-2"])
            if renewed.code == "200" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(renewed.code == "200")
        let old = try await Self.curl(url, ["--cacert", pki.path("ca.crt"), "-u", "prometheus:\(Self.password)"])
        #expect(old.code == "401")

        let log = try await ServeCommandTests.stop(process, stderr: stderr)
        #expect(log.contains("tls=true"), "\(log)")
        #expect(log.contains("Unauthorized request"))
        #expect(!log.contains(Self.password))
        #expect(!log.contains(String(hash.dropFirst(7))))
        #expect(!log.contains(String(newHash.dropFirst(7))))
    }
}
