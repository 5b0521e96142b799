import Foundation
import IPMITestSupport
import Testing

/// The real `ipmi-exporter` against two real BMCs (ipmi_sim) whose users and passwords differ, scraped through one
/// module whose own credentials fit neither: the `credentials:` rules must give each BMC its own, for `/ipmi?target=`
/// and the `targets:` list alike, and a wrong password file must take down that target alone, as an authentication
/// failure, without leaking a password anywhere.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct CredentialsAgainstTwoBMCsTests {
    static func bmc(name: String, user: String, password: String, privilege: String) -> IPMISim.Configuration {
        var configuration = IPMISim.Configuration()
        configuration.name = name
        configuration.users = [IPMISim.User(number: 2, name: user, password: password, privilege: privilege)]
        return configuration
    }

    /// The value of `ipmi_up{collector}` for `target` in an exposition: with a target label on `/metrics`, without on
    /// `/ipmi`. Nil when the series is missing.
    static func up(_ text: String, collector: String, target: String? = nil) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix("ipmi_up{") {
            guard line.contains("collector=\"\(collector)\"") else { continue }
            if let target, !line.contains("target=\"\(target)\"") { continue }
            if target == nil, line.contains("target=") { continue }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    static func errors(_ text: String, reason: String) -> Double {
        let prefix = "ipmi_exporter_errors_total{reason=\"\(reason)\"} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
            ?? 0
    }

    @Test func oneModuleTwoPasswordsAndAWrongPasswordFile() async throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let passwordA = SecretLeakTests.marker("Pa")
        let passwordB = SecretLeakTests.marker("Pb")
        let modulePassword = SecretLeakTests.marker("Pm")
        let wrongPassword = SecretLeakTests.marker("Pw")
        async let startA = IPMISim.start(
            Self.bmc(name: "creds-a", user: "alice", password: passwordA, privilege: "admin"))
        async let startB = IPMISim.start(
            Self.bmc(name: "creds-b", user: "bob", password: passwordB, privilege: "operator"))
        let (a, b) = try await (startA, startB)
        let targetA = "127.0.0.1:\(a.port)"
        let targetB = "127.0.0.1:\(b.port)"

        let directory = try SecretLeakTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fileA = directory.appendingPathComponent("a.pass")
        try (passwordA + "\n").write(to: fileA, atomically: true, encoding: .utf8)
        try modulePassword.write(
            to: directory.appendingPathComponent("module.pass"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("ipmi.yml")
        try """
        modules:
          default:
            user: nobody
            password_file: module.pass
            privilege: operator
            collectors: [bmc, chassis]
        credentials:
          - targets: ["\(targetA)"]
            user: alice
            password_file: a.pass
          - targets: ["127.0.0.*"]
            user: bob
            password_env: CREDS_TEST_BOB
        targets:
          - target: "\(targetA)"
          - target: "\(targetB)"

        """.write(to: config, atomically: true, encoding: .utf8)

        let port = FreePort.tcp()
        // The password of the second rule comes from the environment, as a unit's Environment= would give it.
        let process = try ExporterProcess.start(
            executable,
            ["--config.file", config.path, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "debug"],
            stderr: directory.appendingPathComponent("stderr"),
            environment: ProcessInfo.processInfo.environment.merging(["CREDS_TEST_BOB": passwordB]) { $1 })
        defer { process.terminateIfRunning() }
        func get(_ path: String) async throws -> String {
            try await HTTPServerTests.exchange(
                port: port, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: .seconds(30))
        }
        var answers: [String] = []
        try #require(try await ExporterProcess.waitUntilHealthy(port: port), "the exporter did not start")

        // Each BMC knows only its own user: both up means each scrape used its rule's user and password.
        let scrapeA = try await get("/ipmi?target=\(targetA)")
        let scrapeB = try await get("/ipmi?target=\(targetB)&module=default")
        answers += [scrapeA, scrapeB]
        #expect(Self.up(scrapeA, collector: "bmc") == 1, "\(scrapeA.suffix(1500))")
        #expect(Self.up(scrapeA, collector: "chassis") == 1)
        #expect(Self.up(scrapeB, collector: "bmc") == 1, "\(scrapeB.suffix(1500))")
        #expect(Self.up(scrapeB, collector: "chassis") == 1)
        // The targets: list goes through the same rules.
        let listed = try await get("/metrics")
        answers.append(listed)
        #expect(Self.up(listed, collector: "bmc", target: targetA) == 1, "\(listed.suffix(3000))")
        #expect(Self.up(listed, collector: "bmc", target: targetB) == 1)
        #expect(Self.errors(listed, reason: "authentication") == 0)

        // A wrong password in A's file, re-read by the reload: A is down as an authentication failure, B stays up,
        // and the exporter goes on serving.
        try (wrongPassword + "\n").write(to: fileA, atomically: true, encoding: .utf8)
        let reload = try await HTTPServerTests.exchange(
            port: port, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(reload.hasSuffix("Config reloaded\n"), "\(reload)")
        let downA = try await get("/ipmi?target=\(targetA)")
        let stillB = try await get("/ipmi?target=\(targetB)")
        let after = try await get("/metrics")
        answers += [downA, stillB, after]
        #expect(downA.hasPrefix("HTTP/1.1 200"))
        #expect(Self.up(downA, collector: "bmc") == 0, "\(downA.suffix(1500))")
        #expect(Self.up(downA, collector: "chassis") == 0)
        #expect(Self.up(stillB, collector: "bmc") == 1)
        #expect(Self.up(after, collector: "bmc", target: targetA) == 0)
        #expect(Self.up(after, collector: "bmc", target: targetB) == 1)
        #expect(Self.errors(after, reason: "authentication") >= 1, "\(after.suffix(3000))")

        #expect(process.process.isRunning)
        let log = try await process.stop()
        #expect(process.process.terminationStatus == 0)
        // The debug log names the rule each scrape used (file:line), and the failure says what failed.
        #expect(log.contains("credentials=\(config.path):8:5"), "\(log.suffix(3000))")
        #expect(log.contains("credentials=\(config.path):11:5"))
        let failure = log.split(separator: "\n").first { $0.contains("cannot open IPMI session") }
        #expect(failure?.contains("target=\(targetA)") == true, "\(log.suffix(3000))")
        var texts = ["stderr": log]
        for (index, answer) in answers.enumerated() { texts["answer \(index)"] = answer }
        SecretLeakTests.expectNoSecrets([passwordA, passwordB, modulePassword, wrongPassword], in: texts)
    }
}
