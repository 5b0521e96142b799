import Foundation
import Logging
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// The top-level `credentials:` rules: parsing with file:line errors, glob and port matching, first match wins, the
/// precedence over a module's own credentials, secrets from files and the environment, and reloads.
@Suite struct CredentialRuleTests {
    /// A scratch directory with password files, removed by the caller.
    static func directory(files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    static func parse(
        _ yaml: String, in directory: URL, environment: [String: String] = [:]
    ) throws(ConfigError) -> ExporterConfig {
        try ConfigLoader.parse(yaml: yaml, file: "ipmi.yml", baseDirectory: directory.path, environment: environment)
    }

    static func error(_ yaml: String, in directory: URL, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try parse(yaml, in: directory, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    static func target(_ text: String) throws -> ScrapeTarget { try ScrapeTarget(parsing: text) }

    static let rules = """
        modules:
          default:
            user: fallback
            pass: modulepw
            privilege: admin
            collectors: [bmc, chassis]
            cipher_suite: 17
          dell:
            user: dell-fallback
            password_file: dell.pass
            kg_file: module.kg
        credentials:
          - targets: ["10.1.*", "BMC-*.Example"]
            user: rack1
            password_file: rack1.pass
          - targets: "10.1.2.3"
            user: never
            password_file: rack1.pass
          - targets: ["db1.example:6230", "[fd00::1]:700", "fd00::*"]
            user: db
            password_env: DB_BMC_PASSWORD
            kg_file: db.kg
          - targets: ["*"]
            modules: [dell]
            user: dell-all
            password_file: dell-all.pass

        """

    static let files = [
        "rack1.pass": "rack1-pw\n", "dell.pass": "dellpw", "module.kg": "modulekg", "db.kg": "0x0a0b\n",
        "dell-all.pass": "dell-all-pw\r\n",
    ]

    @Test func firstMatchingRuleGivesUserAndPasswordInFileOrder() throws {
        let directory = try Self.directory(files: Self.files)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.parse(Self.rules, in: directory, environment: ["DB_BMC_PASSWORD": "db-pw"])
        #expect(config.credentials.count == 4)

        // (target, module) → (user, password) expected from the rules above, written out by hand.
        let cases: [(String, String, String, String)] = [
            ("10.1.2.3", "default", "rack1", "rack1-pw"),  // rule 1 before rule 2, which never applies
            ("10.1.200.4:6230", "default", "rack1", "rack1-pw"),  // a pattern without port matches every port
            ("bmc-07.example", "default", "rack1", "rack1-pw"),  // host names compare without case
            ("BMC-x.EXAMPLE", "default", "rack1", "rack1-pw"),
            ("bmc-07.example.org", "default", "fallback", "modulepw"),  // the glob covers the whole name
            ("10.10.1.1", "default", "fallback", "modulepw"),
            ("db1.example:6230", "default", "db", "db-pw"),
            ("db1.example", "default", "fallback", "modulepw"),  // port 623: not the rule's 6230
            ("[fd00::1]:700", "default", "db", "db-pw"),
            ("fd00::42", "default", "db", "db-pw"),
            ("[fd00::42]:9", "default", "db", "db-pw"),
            ("10.9.9.9", "dell", "dell-all", "dell-all-pw"),  // a rule for one module only
            ("10.1.0.1", "dell", "rack1", "rack1-pw"),  // an earlier rule for every module wins
        ]
        for (target, module, user, password) in cases {
            let resolved = try #require(config.module(named: module, for: Self.target(target)), "\(target)")
            #expect(resolved.user == user, "\(target) with \(module)")
            #expect(resolved.password.bytes == Array(password.utf8), "\(target) with \(module)")
            #expect(resolved.name == module)
        }
        // Only the credentials change: the rest stays the module's.
        let rack = try #require(config.module(named: nil, for: Self.target("10.1.0.9")))
        #expect(rack.privilege == .admin)
        #expect(rack.collectors == [.bmc, .chassis])
        #expect(rack.cipherSuite == 17)
        // K_g: the rule's when it has kg_file, else the module's.
        #expect(try config.module(named: "dell", for: Self.target("10.1.0.1"))?.kg?.bytes == Array("modulekg".utf8))
        #expect(try config.module(named: nil, for: Self.target("db1.example:6230"))?.kg?.bytes == [0x0A, 0x0B])
        #expect(try config.module(named: nil, for: Self.target("10.1.0.1"))?.kg == nil)
        // Which rule applied, for the debug log.
        #expect(try config.credentialRule(for: Self.target("fd00::42"), module: "default")?.location.line == 19)
        #expect(try config.module(named: "nope", for: Self.target("10.1.2.3")) == nil)
    }

    /// The rules apply to `/ipmi?target=` scrapes and to the `targets:` list served on `/metrics` alike.
    @Test func routerScrapesWithTheRuleCredentials() async throws {
        let directory = try Self.directory(files: Self.files)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.parse(
            Self.rules + "targets:\n  - {target: \"bmc-1.example:7001\"}\n  - {target: \"10.2.0.1:7002\"}\n",
            in: directory, environment: ["DB_BMC_PASSWORD": "db-pw"])
        let scraper = FakeScraper()
        let router = RouterTests.router(config: config, scraper: scraper)
        let single = await RouterTests.get(router, "/ipmi?target=10.1.4.4:7003")
        #expect(single.status == .ok)
        _ = await RouterTests.get(router, "/metrics")
        let byPort = Dictionary(uniqueKeysWithValues: scraper.calls.map { ($0.target.port, $0.module) })
        #expect(byPort[7003]?.user == "rack1")
        #expect(byPort[7003]?.password.bytes == Array("rack1-pw".utf8))
        #expect(byPort[7001]?.user == "rack1")
        #expect(byPort[7002]?.user == "fallback")
        #expect(byPort[7002]?.password.bytes == Array("modulepw".utf8))
    }

    @Test func passwordFilesAreReadAgainOnReload() throws {
        let directory = try Self.directory(files: ["p": "first\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default: {}\ncredentials:\n  - {targets: [\"h*\"], user: u, password_file: p}\n".write(
            to: file, atomically: true, encoding: .utf8)
        let store = ConfigStore(path: file.path, initial: try ConfigLoader.load(file: file.path))
        #expect(try store.current.module(named: nil, for: Self.target("h1"))?.password.bytes == Array("first".utf8))
        try "second\n".write(to: directory.appendingPathComponent("p"), atomically: true, encoding: .utf8)
        _ = try store.reload(logger: Logger(label: "test"), metrics: nil).get()
        #expect(try store.current.module(named: nil, for: Self.target("h1"))?.password.bytes == Array("second".utf8))
        // A file gone at reload fails the reload at the rule's line; the previous config stays.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("p"))
        guard case .failure(let error) = store.reload(logger: Logger(label: "test"), metrics: nil) else {
            Issue.record("a missing password file must fail the reload")
            return
        }
        #expect(error.description.hasPrefix("\(file.path):4:"), "\(error)")
        #expect(error.message.contains("cannot read password_file p"), "\(error)")
        #expect(try store.current.module(named: nil, for: Self.target("h1"))?.password.bytes == Array("second".utf8))
    }

    @Test func moduleTakesItsPasswordFromTheEnvironment() throws {
        let directory = try Self.directory(files: [:])
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = "modules:\n  default:\n    user: u\n    password_env: BMC_PW\n"
        let config = try Self.parse(yaml, in: directory, environment: ["BMC_PW": "from env"])
        #expect(config.modules["default"]?.password.bytes == Array("from env".utf8))
        let empty = try Self.parse(yaml, in: directory, environment: ["BMC_PW": ""])
        #expect(empty.modules["default"]?.password.isEmpty == true)
        let unset = try #require(Self.error(yaml, in: directory))
        #expect(unset.description == "ipmi.yml:4:19: password_env: the environment variable BMC_PW is not set")
        let both = try #require(
            Self.error(yaml + "    pass: x\n", in: directory, environment: ["BMC_PW": "a"]))
        #expect(both.location.line == 5)
        #expect(both.message.contains("one of pass, password_file or password_env"))
    }

    /// Every mistake stops the load at its line and column (1-based, as Yams marks them); the messages were written
    /// out by hand from the YAML below.
    @Test(arguments: [
        ("  - {targets: [\"10.*\"], user: u, pass: secretpw}\n", 4, 34, "not pass"),
        ("  - {targets: [], user: u, password_file: f}\n", 4, 15, "targets of a credentials entry is empty"),
        ("  - {user: u, password_file: f}\n", 4, 5, "credentials entry without targets"),
        ("  - {targets: [\"h\"], password_file: f}\n", 4, 5, "without a user"),
        ("  - {targets: [\"h\"], user: u}\n", 4, 5, "without password_file or password_env"),
        ("  - {targets: [\"h\"], user: u, password_file: f, password_env: E}\n", 4, 49, "not both (line 4)"),
        ("  - {targets: [\"h\"], user: u, password_file: missing}\n", 4, 46, "cannot read password_file missing"),
        ("  - {targets: [\"10.1.*:x\"], user: u, password_file: f}\n", 4, 16, "invalid port in pattern"),
        ("  - {targets: [\"bmc/1\"], user: u, password_file: f}\n", 4, 16, "invalid character in pattern"),
        ("  - {targets: [\"[fd00::1\"], user: u, password_file: f}\n", 4, 16, "missing ]"),
        ("  - {targets: [\"h\"], user: u, password_file: f, modules: [nope]}\n", 4, 59, "unknown module \"nope\""),
        ("  - {targets: [\"h\"], user: u, password_file: f, modules: []}\n", 4, 58, "modules is empty"),
        ("  - {targets: [\"h\"], user: u, password_file: f, colour: red}\n", 4, 49, "unknown key \"colour\""),
        ("  - {targets: [\"h\"], user: u, password_env: 9X}\n", 4, 45, "must name an environment variable"),
        ("  - {targets: [\"h\"], user: u, password_env: UNSET_VAR}\n", 4, 45, "UNSET_VAR is not set"),
        ("  - {targets: [\"h\"], user: u, password_env: LONG}\n", 4, 45, "holds 21 bytes, more than the 20"),
        ("  - {targets: [\"h\"], user: u, password_file: long}\n", 4, 46, "holds more than 20 bytes"),
        ("  targets: [\"h\"]\n", 4, 3, "credentials must be a list"),
    ])
    func rejectsBadRulesWithFileAndLine(entry: String, line: Int, column: Int, message: String) throws {
        let long = String(repeating: "L", count: 21)
        let directory = try Self.directory(files: ["f": "pw\n", "long": long + "\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = "modules:\n  default: {}\ncredentials:\n" + entry
        let error = try #require(Self.error(yaml, in: directory, environment: ["LONG": long, "E": "x"]))
        #expect(error.location.file == "ipmi.yml")
        #expect(error.location.line == line, "\(error)")
        #expect(error.location.column == column, "\(error)")
        #expect(error.message.contains(message), "\(error)")
        #expect(!error.description.contains("secretpw") && !error.description.contains(long), "\(error)")
    }

    @Test func warnsAboutPatternsAnEarlierRuleAlwaysTakes() throws {
        let directory = try Self.directory(files: ["f": "pw"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.parse(
            """
            modules:
              default: {}
              other: {}
            credentials:
              - {targets: ["10.1.*"], user: a, password_file: f}
              - {targets: ["10.1.*", "10.2.*"], user: b, password_file: f}
              - {targets: ["*"], modules: [other], user: c, password_file: f}
              - {targets: ["x"], modules: [other], user: d, password_file: f}
              - {targets: ["y"], user: e, password_file: f}

            """, in: directory)
        let messages = config.warnings.map(\.description)
        #expect(
            messages == [
                "ipmi.yml:6:5: pattern \"10.1.*\" never applies: the rule at line 5 matches its targets first",
                "ipmi.yml:8:5: pattern \"x\" never applies: the rule at line 7 matches its targets first",
            ], "\(messages)")
    }

    /// Neither a rule nor a module resolved through one prints its password.
    @Test func descriptionsHoldNoSecret() throws {
        let directory = try Self.directory(files: ["f": "Zq9-topsecret\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.parse(
            "modules:\n  default: {}\ncredentials:\n  - {targets: [h], user: u, password_file: f}\n", in: directory)
        let module = try #require(config.module(named: nil, for: Self.target("h")))
        for text in ["\(config)", "\(module)", "\(config.credentials)", String(reflecting: config)] {
            #expect(!text.contains("Zq9-topsecret"))
        }
        #expect("\(config.credentials[0])" == "credentials at ipmi.yml:4:5 (user u)")
    }

    @Test func globMatchesStarsAndQuestionMarksOverTheWholeHost() {
        let cases: [(String, String, Bool)] = [
            ("*", "", true), ("*", "anything.example", true), ("a*", "a", true), ("*a", "ba", true),
            ("10.1.*", "10.1.2.3", true), ("10.1.*", "10.10.2.3", false), ("10.1.?.3", "10.1.2.3", true),
            ("10.1.?.3", "10.1.22.3", false), ("bmc-*.example", "bmc-.example", true),
            ("bmc-*.example", "bmc-1.example.org", false), ("*.*.*", "a.b", false), ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false), ("abc", "ab", false), ("ab", "abc", false), ("A?C", "abc", true),
        ]
        for (pattern, text, expected) in cases {
            #expect(
                TargetPattern.glob(Array(pattern.lowercased().utf8), matches: Array(text.utf8)) == expected,
                "\(pattern) ~ \(text)")
        }
        // Many stars against a long text that almost matches: backtracking stays bounded (no exponential walk).
        let pattern = Array((String(repeating: "*a", count: 30) + "b").utf8)
        let text = Array(String(repeating: "a", count: 250).utf8)
        var steps = 0
        #expect(!TargetPattern.glob(pattern, matches: text, steps: &steps))
        // At worst pattern length × text length; an exponential walk would take far more than this.
        #expect(steps <= (pattern.count + 1) * (text.count + 1))
    }
}
