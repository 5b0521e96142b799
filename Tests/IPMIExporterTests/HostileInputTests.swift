import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `ipmi-exporter` binary fed numbers no one should send: a scrape-timeout header of `1e16`, `--timeout
/// 1e300`, and so on. Each must be clamped (a header) or refused with a usage error (a flag), never end the process.
@Suite(.serialized) struct HostileInputTests {
    /// Every spelling of a number that does not fit a timer: NaN, ±infinity, negative, huge, and the largest
    /// integers as text.
    static let hostileNumbers = [
        "nan", "inf", "-inf", "-1", "-1e308", "1e300", "1e308", "1e16", "9223372036854775807", "18446744073709551615",
    ]

    static func executable() throws -> URL {
        try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
    }

    static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// `X-Prometheus-Scrape-Timeout-Seconds` with each hostile value, on `/ipmi` and on `/metrics` with a `targets:`
    /// list: every request is answered (the module timeout applies) and the server keeps answering afterwards.
    @Test func hostileScrapeTimeoutHeadersAreClamped() async throws {
        let executable = try Self.executable()
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A loopback port nobody answers on: every scrape ends at the module's 300 ms timeout with ipmi_up 0.
        let silent = "127.0.0.1:\(FreePort.udp())"
        let config = directory.appendingPathComponent("ipmi.yml")
        try """
        modules:
          default:
            user: admin
            pass: password
            timeout: 300
            collectors: [bmc]
        targets:
          - target: "\(silent)"
        """.write(to: config, atomically: true, encoding: .utf8)
        let port = FreePort.tcp()
        let (process, _) = try ServeCommandTests.launch(
            executable,
            ["--config.file", config.path, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "error"])
        defer { if process.isRunning { process.terminate() } }

        func get(_ path: String, header: String? = nil) -> String {
            let extra = header.map { "X-Prometheus-Scrape-Timeout-Seconds: \($0)\r\n" } ?? ""
            return HTTPAbuseTests.request(
                port: port, "GET \(path) HTTP/1.1\r\nHost: x\r\n\(extra)Connection: close\r\n\r\n", seconds: 10
            ).answer
        }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = get("/metrics").hasPrefix("HTTP/1.1 200")
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the exporter did not start")

        for value in Self.hostileNumbers {
            for path in ["/ipmi?target=\(silent)", "/metrics"] {
                let answer = get(path, header: value)
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(path) with header \(value): \(answer.prefix(200))")
                #expect(answer.contains("ipmi_up{"), "\(path) with header \(value)")
            }
            #expect(process.isRunning, "the exporter died on header \(value)")
        }
        #expect(get("/metrics").hasPrefix("HTTP/1.1 200"))
        #expect(process.isRunning)
    }

    /// Duration flags of every subcommand: out of range is a usage error (status 2, one line saying why), not a
    /// trap (status 4 from SIGILL, 132 in a shell).
    @Test func hostileDurationFlagsAreUsageErrors() async throws {
        let executable = try Self.executable()
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    user: admin\n    pass: password\n".write(
            to: config, atomically: true, encoding: .utf8)
        let push = [
            "push", "--config.file", config.path, "--push.url", "http://127.0.0.1:9", "--target", "127.0.0.1:9",
        ]
        let bmc = ["-H", "127.0.0.1:9", "-U", "admin"]
        var cases: [(arguments: [String], flag: String)] = []
        for value in Self.hostileNumbers {
            cases += [
                (push + ["--timeout", value], "--timeout"),
                (push + ["--push.timeout", value], "--push.timeout"),
                (push + ["--push.connect-timeout", value], "--push.connect-timeout"),
                (["sensors"] + bmc + ["--timeout", value], "--timeout"),
                (["raw"] + bmc + ["--timeout", value, "0x06", "0x01"], "--timeout"),
                (["sensors"] + bmc + ["--deadline", value], "--deadline"),
                (["simulate", "--listen", "127.0.0.1:0", "--reboot-every", value], "--reboot-every"),
                (["simulate", "--listen", "127.0.0.1:0", "--status-every", value], "--status-every"),
            ]
        }
        cases += [
            (push + ["--timeout", "99999999999999999999h"], "--timeout"),
            (["simulate", "--listen", "127.0.0.1:0", "--latency", "9223372036854775807"], "--latency"),
        ]
        for (arguments, flag) in cases {
            let result = try await offPool {
                try ExternalCommand.run(executable.path, arguments, environment: ["IPMI_PASSWORD": "x"], timeout: 20)
            }
            let shown = arguments.suffix(4).joined(separator: " ")
            #expect(result.status == 2, "\(shown): status \(result.status) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].contains(flag), "\(shown): \(result.stderr)")
        }
    }

    /// Runs the exporter on a config file holding `text`; it must stop at once. Returns how, and the file's path.
    static func startUp(withConfig text: String) async throws -> (result: ExternalCommand.Result, path: String) {
        let executable = try executable()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let arguments = ["--config.file", config, "--web.listen-address", "127.0.0.1:\(FreePort.tcp())"]
        let result = try await offPool { try ExternalCommand.run(executable.path, arguments, timeout: 5) }
        return (result, config)
    }

    /// A config duration past its bound fails start-up with file:line:column, instead of loading and trapping on the
    /// first connection.
    @Test func aHugeIdleTimeoutFailsStartUp() async throws {
        let (result, config) = try await Self.startUp(
            withConfig: "modules:\n  default: {}\nexporter:\n  http_idle_timeout: 999999999h\n")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(config):4:22: http_idle_timeout must be"), "\(result.stderr)")
        #expect(result.stderr.contains("at most 24h"), "\(result.stderr)")
    }

    /// An empty config file (or one of only comments, or with an empty modules map) stops start-up with the file and
    /// the reason.
    @Test(arguments: ["", "# nothing here yet\n", "modules: {}\n"])
    func anEmptyConfigFailsStartUp(text: String) async throws {
        let (result, config) = try await Self.startUp(withConfig: text)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(config), "\(result.stderr)")
        #expect(result.stderr.contains("at least one module"), "\(result.stderr)")
    }

    /// `sensors` gives up at `--deadline` on a BMC that answers too slowly to finish in time: status 1, one line.
    @Test func sensorsStopsAtItsDeadline() async throws {
        let executable = try Self.executable()
        // 200 ms per answer: the 50 SDR records and 50 readings take over 20 s.
        let fleet = try await SimulatedBMCFleet.start(
            count: 1, basePort: 0, faults: BMCFaults(latency: .milliseconds(200)), logger: quietLogger)
        defer { Task { await fleet.stop() } }
        let address = try #require(fleet.addresses.first)
        let started = ContinuousClock.now
        let result = try await offPool {
            try ExternalCommand.run(
                executable.path, ["sensors", "-H", address, "-U", "admin", "--deadline", "2"],
                environment: ["IPMI_PASSWORD": "password"], timeout: 30)
        }
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("--deadline"), "\(result.stderr)")
        #expect(elapsed < .seconds(8), "sensors ran for \(elapsed)")
        #expect(result.stdout.isEmpty)
    }

    /// `sensors` refuses a repository over `--max-sdr-records` or `--max-sensors` (the simulated server has about 50).
    @Test(arguments: [("--max-sdr-records", "more than 10 records"), ("--max-sensors", "more than 10 sensors")])
    func sensorsRefusesARepositoryOverItsLimits(flag: String, message: String) async throws {
        let executable = try Self.executable()
        let fleet = try await SimulatedBMCFleet.start(count: 1, basePort: 0, logger: quietLogger)
        defer { Task { await fleet.stop() } }
        let address = try #require(fleet.addresses.first)
        let result = try await offPool {
            try ExternalCommand.run(
                executable.path, ["sensors", "-H", address, "-U", "admin", flag, "10"],
                environment: ["IPMI_PASSWORD": "password"], timeout: 30)
        }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
