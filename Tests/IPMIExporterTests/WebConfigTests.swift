import Foundation
import IPMITestSupport
import NIOConcurrencyHelpers
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// The exporter-toolkit web config file: what it accepts and how it reports what it does not.
@Suite struct WebConfigTests {
    @Test func reloadKeepsThePreviousConfigWhenTheNewOneIsUnusable() async throws {
        let hashA = try #require(BcryptHash(parsing: Self.hash))
        let hashB = try #require(BcryptHash.make(password: Array("b".utf8), cost: 4))
        let pki = try await TestPKI.shared()
        let tls = try parse(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n", directory: pki.directory
        ).tls
        let next = NIOLockedValueBox<Result<WebConfig, ConfigError>>(.success(WebConfig()))
        var initial = WebConfig()
        initial.basicAuthUsers = ["alice": hashA]
        let store = WebConfigStore(path: "web.yml", initial: initial) { _ throws(ConfigError) in
            try next.withLockedValue { $0 }.get()
        }
        let first = try #require(store.current.authenticator)

        var same = WebConfig()
        same.basicAuthUsers = ["alice": hashA]
        same.responseHeaders = ["X-Frame-Options": "deny"]
        next.withLockedValue { $0 = .success(same) }
        #expect(store.reload(logger: quietLogger) == nil)
        #expect(store.current.authenticator === first)  // same users: the cache of verified passwords stays
        #expect(store.current.responseHeaders["X-Frame-Options"] == ["deny"])

        // The same user and password with a new hash (a new salt): the cache goes, the password still works.
        let alice = BasicAuthenticatorTests.authorization("alice", "U*U")
        #expect(await first.authenticate(alice) == .authenticated(user: "alice"))
        var rehashed = WebConfig()
        rehashed.basicAuthUsers = ["alice": try #require(BcryptHash.make(password: Array("U*U".utf8), cost: 4))]
        next.withLockedValue { $0 = .success(rehashed) }
        #expect(store.reload(logger: quietLogger) == nil)
        let second = try #require(store.current.authenticator)
        #expect(second !== first)
        #expect(await second.authenticate(alice) == .authenticated(user: "alice"))

        var changed = WebConfig()
        changed.basicAuthUsers = ["bob": hashB]
        next.withLockedValue { $0 = .success(changed) }
        #expect(store.reload(logger: quietLogger) == nil)
        #expect(store.current.authenticator !== second)
        #expect(store.current.authenticator != nil)

        var withTLS = WebConfig()
        withTLS.tls = tls
        next.withLockedValue { $0 = .success(withTLS) }
        let refused = try #require(store.reload(logger: quietLogger))
        #expect(refused.message.contains("needs a restart"))
        #expect(store.current.tls == nil)

        let broken = ConfigError(location: ConfigLocation(file: "web.yml", line: 3, column: 1), message: "broken")
        next.withLockedValue { $0 = .failure(broken) }
        #expect(store.reload(logger: quietLogger) == broken)
        #expect(store.current.authenticator != nil)
    }

    static let hash = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"

    func parse(_ yaml: String, directory: String = "/nonexistent") throws(ConfigError) -> WebConfig {
        try WebConfigLoader.parse(yaml: yaml, file: "web.yml", baseDirectory: directory)
    }

    func error(_ yaml: String, directory: String = "/nonexistent") -> ConfigError? {
        do {
            _ = try parse(yaml, directory: directory)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFileAndEmptyTLSSectionMeanPlainHTTPForEveryone() throws {
        #expect(try parse("").tls == nil)
        let config = try parse("tls_server_config:\n  cert_file:\n  key_file: \"\"\n  client_auth_type: ''\n")
        #expect(config.tls == nil)
        #expect(config.basicAuthUsers.isEmpty)
        #expect(config.warnings.isEmpty)
        // Settings without a certificate do not turn TLS on (as exporter-toolkit), but are worth a warning.
        let versionOnly = try parse("tls_server_config:\n  min_version: TLS13\n")
        #expect(versionOnly.tls == nil)
        #expect(versionOnly.warnings.first?.location.line == 2)
    }

    @Test func readsUsersAndHeaders() throws {
        let config = try parse(
            """
            basic_auth_users:
              alice: \(Self.hash)
              bob: '\(Self.hash)'
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                X-Content-Type-Options: nosniff
                Content-Security-Policy: ""
            """)
        #expect(config.basicAuthUsers.keys.sorted() == ["alice", "bob"])
        #expect(config.basicAuthUsers["alice"]?.cost == 5)
        #expect(config.responseHeaders["X-Frame-Options"] == ["deny"])
        #expect(config.responseHeaders["X-Content-Type-Options"] == ["nosniff"])
        #expect(config.responseHeaders["Content-Security-Policy"].isEmpty)
        #expect(config.warnings.isEmpty)
    }

    @Test func readsTheRateLimit() throws {
        #expect(
            try parse("rate_limit:\n  interval: 250ms\n  burst: 5\n").rateLimit
                == RateLimit(interval: .milliseconds(250), burst: 5))
        #expect(try parse("rate_limit:\n  interval: 0\n  burst: 5\n").rateLimit == nil)
        #expect(try parse("rate_limit: {burst: 0}\n").rateLimit == nil)
    }

    @Test func rateLimiterIsATokenBucket() {
        let clock = ManualClock()
        let limiter = RateLimiter(interval: .seconds(10), burst: 3, clock: clock)
        #expect((0..<4).map { _ in limiter.allow() } == [true, true, true, false])
        clock.advance(by: .seconds(5))
        #expect(!limiter.allow())
        clock.advance(by: .seconds(5))
        #expect(limiter.allow())
        #expect(!limiter.allow())
        clock.advance(by: .seconds(1000))  // never more than the burst
        #expect((0..<4).map { _ in limiter.allow() } == [true, true, true, false])
    }

    @Test func warnsAboutHTTP2() throws {
        let config = try parse("http_server_config:\n  http2: true\n")
        #expect(config.warnings.count == 1)
        #expect(config.warnings.first?.location.line == 2)
    }

    @Test(arguments: [
        ("basic_auth_user:\n  a: b\n", 1, "unknown key \"basic_auth_user\""),
        ("basic_auth_users:\n  alice: not-a-hash-at-all\n", 2, "alice is not a bcrypt hash"),
        ("basic_auth_users: [alice]\n", 1, "basic_auth_users must be a mapping"),
        ("basic_auth_users:\n  \"a:b\": \(hash)\n", 2, "without ':'"),
        (
            "tls_server_config:\n  cert_file: x.crt\n  keyfile: x.key\n", 3,
            "unknown key \"keyfile\" in tls_server_config"
        ),
        (
            "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n", 2,
            "cannot read cert_file missing.crt"
        ),
        ("tls_server_config:\n  client_auth_type: Sometimes\n", 2, "needs cert_file"),
        ("tls_server_config:\n  key_file: server.key\n", 2, "needs cert_file"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3, "invalid X-Frame-Options"),
        ("http_server_config:\n  headers:\n    Server: mine\n", 3, "header \"Server\" cannot be set"),
        ("http_server_config:\n  http2: maybe\n", 2, "http2 must be true or false"),
        ("rate_limit:\n  interval: 1s\n", 2, "burst must be at least 1"),
        ("rate_limit:\n  interval: fast\n  burst: 2\n", 2, "rate_limit interval must be a positive duration"),
        ("rate_limit:\n  every: 1s\n", 2, "unknown key \"every\" in rate_limit"),
        ("basic_auth_users:\n  alice: [\n", 3, "invalid YAML"),
    ])
    func reportsWhatAndWhere(yaml: String, line: Int, message: String) throws {
        let error = try #require(self.error(yaml))
        #expect(error.location.file == "web.yml")
        #expect(error.location.line == line, "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    /// Basic auth end to end on a plain-HTTP listener, from a file: with an `htpasswd -B` hash the right password
    /// gets 200 and a wrong one 401; a hash cut short is refused at load and on reload, with file and line.
    @Test func basicAuthWithAnHtpasswdHashEndToEnd() async throws {
        guard BcryptTests.toolAvailable("htpasswd", package: "apache2-utils"),
            BcryptTests.toolAvailable("curl", package: "curl")
        else { return }
        let password = "scrape me: 15 s"
        let hash = try await BcryptTests.htpasswd(user: "prometheus", password: password, cost: 5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("web.yml").path
        try "# scrapers\nbasic_auth_users:\n  prometheus: \(hash)\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let web = WebConfigStore(path: file, initial: try WebConfigLoader.load(file: file))
        try await HTTPServerTests.withServer(router: RouterTests.router(web: web), web: web) { port, _ in
            let url = "http://127.0.0.1:\(port)/-/healthy"
            #expect(try await WebSecurityTests.curl(url, ["-u", "prometheus:\(password)"]).code == "200")
            let wrong = try await WebSecurityTests.curl(url, ["-u", "prometheus:\(password)!"])
            #expect(wrong.code == "401")
            #expect(wrong.headers.contains("WWW-Authenticate: Basic"), "\(wrong.headers)")
            #expect(try await WebSecurityTests.curl(url).code == "401")

            try "# scrapers\nbasic_auth_users:\n  prometheus: \(hash.dropLast())\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            let refused = try #require(web.reload(logger: quietLogger))
            for error in [refused, try #require(Self.loadError(file))] {
                #expect(error.location.file == file)
                #expect(error.location.line == 3)
                #expect(error.location.column == 15)
                #expect(error.message.contains("the password of prometheus is not a bcrypt hash"), "\(error)")
                #expect(!error.description.contains(String(hash.dropFirst(7).dropLast())))
            }
            // The previous config stays in force.
            #expect(try await WebSecurityTests.curl(url, ["-u", "prometheus:\(password)"]).code == "200")
        }
    }

    static func loadError(_ file: String) -> ConfigError? {
        do {
            _ = try WebConfigLoader.load(file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test func neverQuotesAHashOrAKey() async throws {
        let almost = String(Self.hash.dropLast())
        let error = try #require(self.error("basic_auth_users:\n  alice: \(almost)\n"))
        #expect(!error.description.contains("CCCCCCCC"))
        let pki = try await TestPKI.shared()
        // The key where the certificate should be: the message names the file, not its contents.
        let keyError = try #require(
            self.error(
                "tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n", directory: pki.directory))
        #expect(keyError.message.contains("server.key holds no"), "\(keyError)")
        #expect(!keyError.description.contains("PRIVATE KEY"))
    }

    @Test func checksTheTLSSettingsAgainstEachOther() async throws {
        let pki = try await TestPKI.shared()
        let base = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        let ok = try parse(
            base + "  min_version: TLS13\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
            directory: pki.directory)
        #expect(ok.tls?.clientAuth == .requireAndVerifyClientCert)
        let legacy = try parse(base + "  client_auth_type: RequireClientCert\n", directory: pki.directory)
        #expect(legacy.tls?.clientAuth == .requireAnyClientCert)

        let cases: [(String, Int, String)] = [
            ("  client_ca_file: ca.crt\n", 4, "client_auth_type is NoClientCert"),
            ("  client_auth_type: VerifyClientCertIfGiven\n", 4, "set client_ca_file"),
            ("  client_auth_type: RequestClientCert\n  client_allowed_sans: [a]\n", 5, "client_allowed_sans needs"),
            ("  min_version: TLS13\n  max_version: TLS12\n", 5, "max_version is lower"),
            ("  min_version: SSL3\n", 4, "invalid min_version"),
            ("  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", 4, "unknown or unsupported cipher suite"),
            ("  curve_preferences: [CurveP224]\n", 4, "unknown curve"),
            ("  cert: inline\n", 2, "set either cert or cert_file"),
            ("  key_file: other.key\n", 3, "duplicate key"),
        ]
        for (extra, line, message) in cases {
            let error = try #require(self.error(base + extra, directory: pki.directory), "\(extra)")
            #expect(error.location.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
        // A key that does not belong to the certificate.
        let mismatch = try #require(
            self.error(
                "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n", directory: pki.directory))
        #expect(mismatch.message.contains("key match"), "\(mismatch)")
    }

    @Test func acceptsInlinePEMAndGoCipherNames() async throws {
        let pki = try await TestPKI.shared()
        let cert = try String(contentsOfFile: pki.path("server.crt"), encoding: .utf8)
        let key = try String(contentsOfFile: pki.path("server.key"), encoding: .utf8)
        func block(_ pem: String) -> String { pem.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") }
        let config = try parse(
            """
            tls_server_config:
              cert: |
            \(block(cert))
              key: |
            \(block(key))
              cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: true
            """)
        #expect(config.tls != nil)
        #expect(config.warnings.count == 1)  // the TLS 1.3 suite, which cannot be chosen
    }
}

/// A throwaway PKI made with the openssl CLI: a CA, a server certificate for localhost/127.0.0.1 and client
/// certificates from it, and a server and a client certificate from an unrelated CA.
struct TestPKI: Sendable {
    let directory: String

    func path(_ name: String) -> String { directory + "/" + name }

    /// One PKI for the whole test run (made on first use): a dozen openssl runs per test would load the machine
    /// for nothing. The files are in a temporary directory and only read.
    static func shared() async throws -> TestPKI { try await sharedTask.value }
    private static let sharedTask = Task {
        let pki = try await offPool { try make() }
        sharedDirectory.withLockedValue { $0 = pki.directory }
        atexit { sharedDirectory.withLockedValue { $0.map { try? FileManager.default.removeItem(atPath: $0) } } }
        return pki
    }
    /// Removed when the test process exits.
    private static let sharedDirectory = NIOLockedValueBox<String?>(nil)

    /// curl's arguments to present the certificate and key `name`.crt/.key.
    func curlIdentity(_ name: String) -> [String] { ["--cert", path("\(name).crt"), "--key", path("\(name).key")] }

    static func make() throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pki = TestPKI(directory: directory)
        try pki.authority("ca")
        try pki.authority("rogue-ca")
        try pki.leaf("server", by: "ca", subjectAltName: "DNS:localhost,IP:127.0.0.1", usage: "serverAuth")
        try pki.leaf("rogue-server", by: "rogue-ca", subjectAltName: "IP:127.0.0.1", usage: "serverAuth")
        try pki.leaf("client", by: "ca", subjectAltName: "DNS:prometheus.test", usage: "clientAuth")
        try pki.leaf("other-client", by: "ca", subjectAltName: "DNS:somebody-else.test", usage: "clientAuth")
        try pki.leaf("rogue-client", by: "rogue-ca", subjectAltName: "DNS:prometheus.test", usage: "clientAuth")
        return pki
    }

    private func openssl(_ arguments: [String]) throws {
        let result = try ExternalCommand.run("openssl", arguments)
        guard result.status == 0 else { throw ToolFailure(description: "openssl: \(result.stderr)") }
    }

    private func authority(_ name: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=\(name)", "-keyout", path("\(name).key"), "-out", path("\(name).crt"),
        ])
    }

    private func leaf(_ name: String, by authority: String, subjectAltName: String, usage: String) throws {
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(name)",
            "-keyout", path("\(name).key"), "-out", path("\(name).csr"),
        ])
        let extensions = "subjectAltName=\(subjectAltName)\nextendedKeyUsage=\(usage)\n"
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(authority).crt"), "-CAkey",
            path("\(authority).key"), "-CAcreateserial", "-days", "2", "-extfile", path("\(name).ext"), "-out",
            path("\(name).crt"),
        ])
    }
}
