import Foundation
import IPMITestSupport
import Testing

/// `ipmi-exporter push` end to end: two lab BMCs (ipmi_sim) and one that never answers, a real gateway,
/// and `ipmi-exporter serve` on the same config as the oracle for what each group must hold.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct PushAgainstLabBMCTests {
    /// Samples of a text exposition by metric name and label set (`job`/`instance` left out), without
    /// the scrape duration, which differs between any two scrapes.
    static func samples(exposition: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = String(line[..<space])
            let name = String(series.prefix { $0 != "{" })
            guard !name.contains("duration") else { continue }
            var labels: [String: String] = [:]
            if let open = series.firstIndex(of: "{") {
                let body = series[series.index(after: open)..<series.index(before: series.endIndex)]
                let pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/
                for match in body.matches(of: pattern) { labels[String(match.1)] = String(match.2) }
            }
            result[key(name, labels)] = text(value)
        }
        return result
    }

    static func samples(group: PushedGroup) -> [String: String] {
        var result: [String: String] = [:]
        for (name, list) in group.metrics where !name.contains("duration") {
            for sample in list {
                var labels = sample.labels
                labels["job"] = nil
                labels["instance"] = nil
                result[key(name, labels)] = text(sample.value)
            }
        }
        return result
    }

    /// Values compared as text, so that NaN (a sensor without a reading) equals NaN.
    static func text(_ value: Double) -> String { value.isNaN ? "NaN" : "\(value)" }

    /// The series whose values differ between two sample sets, for failure messages.
    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted().map { "\($0): \(a[$0] ?? "-") vs \(b[$0] ?? "-")" }
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }

    static func config(targets: [String], excluding: [String] = []) -> String {
        var yaml = """
            modules:
              default:
                user: admin
                pass: password
                privilege: admin
                collectors: [ipmi]

            """
        if !excluding.isEmpty { yaml += "    exclude_sensor_ids: [\(excluding.joined(separator: ", "))]\n" }
        return yaml + "targets:\n" + targets.map { "  - target: \($0)\n" }.joined()
    }

    /// `serve`'s answer for `/ipmi?target=…`, from a serve process started on `config` for the occasion.
    static func served(executable: String, config: String, target: String) async throws -> String {
        let port = try freeLoopbackPort()
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: executable)
        serve.arguments = ["serve", "--config.file", config, "--web.listen-address", "127.0.0.1:\(port)"]
        serve.standardInput = FileHandle.nullDevice
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try ExternalCommand.launch(serve)
        defer { killAndWait(serve) }
        for _ in 0..<100 {
            if let (status, _) = try? curlGet("http://127.0.0.1:\(port)/-/healthy"), status != 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let (status, body) = try curlGet("http://127.0.0.1:\(port)/ipmi?target=\(target)")
        guard status == 200 else { throw FixtureError("serve answered \(status): \(body)") }
        return body
    }

    @Test func eachBMCIsAGroupWithWhatServeServesAndTheSilentOneIsDown() async throws {
        let executable = try #require(PushCommandTests.executable, "build the ipmi-exporter product first")
        let labA = try await IPMISim.start(IPMISim.labConfiguration(name: "push-a"))
        let labB = try await IPMISim.start(IPMISim.labConfiguration(name: "push-b"))
        defer {
            labA.stop()
            labB.stop()
        }
        let silent = try PushCommandTests.silentBMC()
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let scratch = try PushCommandTests.Scratch(targets: [])
        defer { scratch.remove() }
        let targets = [labA.address, labB.address, silent]
        let config = try scratch.file("lab.yml", Self.config(targets: targets))

        let result = try await runProgramDetached(
            executable, ["push", "--config.file", config, "--push.url", gateway.url, "--timeout", "5s"])
        #expect(result.status == 1, "one BMC is down: \(result.stdout)")
        #expect(result.stdout.contains("failed=1 scrape_failed=1 push_failed=0"), "\(result.stdout)")
        #expect(!result.stdout.contains("password") && !result.stderr.contains("password"))

        let groups = try gateway.groups()
        #expect(Set(groups.map(\.labels)) == Set(targets.map { ["job": "ipmi", "instance": $0] }))
        let down = try #require(groups.first { $0.labels["instance"] == silent })
        #expect(down.metrics["ipmi_up"]?.map(\.value) == [0])

        let served = Self.samples(
            exposition: try await Self.served(executable: executable, config: config, target: labA.address))
        let groupA = try #require(groups.first { $0.labels["instance"] == labA.address })
        let pushed = Self.samples(group: groupA)
        #expect(served["ipmi_up{collector=ipmi}"] == "1.0")
        #expect(served.count > 20, "the lab BMC has dozens of sensors: \(served.count)")
        #expect(pushed == served, "\(Self.differences(pushed, served))")
        let groupB = try #require(groups.first { $0.labels["instance"] == labB.address })
        let pushedB = Self.samples(group: groupB)
        #expect(pushedB == served, "both lab BMCs hold the same sensors: \(Self.differences(pushedB, served))")

        // A sensor left out of the config disappears from the group on the next push (PUT replaces).
        let sensor = try #require(
            groupA.metrics["ipmi_temperature_celsius"]?.first?.labels["id"], "lab BMC has temperature sensors")
        let fewer = try scratch.file("fewer.yml", Self.config(targets: [labA.address], excluding: [sensor]))
        let again = try await runProgramDetached(
            executable, ["push", "--config.file", fewer, "--push.url", gateway.url, "--timeout", "5s"])
        #expect(again.status == 0, "\(again.stdout)")
        let regrouped = try #require(try gateway.groups().first { $0.labels["instance"] == labA.address })
        let temperatures = regrouped.metrics["ipmi_temperature_celsius"] ?? []
        #expect(!temperatures.contains { $0.labels["id"] == sensor })
        #expect(temperatures.count == (groupA.metrics["ipmi_temperature_celsius"]?.count ?? 0) - 1)
    }

    /// Two BMCs that each know only their own user and password, one module whose own credentials fit neither: push
    /// logs in to each with the credentials of the first `credentials:` rule matching it, as `serve` does.
    @Test func eachBMCLogsInWithItsCredentialsRule() async throws {
        let executable = try #require(PushCommandTests.executable, "build the ipmi-exporter product first")
        func bmc(_ name: String, user: String, password: String) -> IPMISim.Configuration {
            var configuration = IPMISim.Configuration()
            configuration.name = name
            configuration.users = [IPMISim.User(number: 2, name: user, password: password, privilege: "operator")]
            return configuration
        }
        let bmcA = try await IPMISim.start(bmc("push-creds-a", user: "alice", password: "alice-Secret-1"))
        let bmcB = try await IPMISim.start(bmc("push-creds-b", user: "bob", password: "bob-Secret-2"))
        defer {
            bmcA.stop()
            bmcB.stop()
        }
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let scratch = try PushCommandTests.Scratch(targets: [])
        defer { scratch.remove() }
        let passA = try scratch.file("a.pass", "alice-Secret-1\n")
        let passB = try scratch.file("b.pass", "bob-Secret-2\n")
        let config = try scratch.file(
            "creds.yml",
            """
            modules:
              default:
                user: nobody
                pass: nobody-Secret-0
                privilege: operator
                collectors: [bmc]
            credentials:
              - {targets: ["\(bmcA.address)"], user: alice, password_file: "\(passA)"}
              - {targets: ["127.0.0.*"], user: bob, password_file: "\(passB)"}
            targets:
              - target: \(bmcA.address)
              - target: \(bmcB.address)

            """)
        let result = try await runProgramDetached(
            executable, ["push", "--config.file", config, "--push.url", gateway.url, "--timeout", "5s"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let groups = try gateway.groups()
        for address in [bmcA.address, bmcB.address] {
            let group = try #require(groups.first { $0.labels["instance"] == address }, "\(address)")
            #expect(group.metrics["ipmi_up"]?.map(\.value) == [1], "\(address)")
        }
        for secret in ["alice-Secret-1", "bob-Secret-2", "nobody-Secret-0"] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
    }
}
