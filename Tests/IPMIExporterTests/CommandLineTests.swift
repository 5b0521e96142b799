import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// The `ipmi-exporter` binary's exit statuses: usage errors, and `push` stopped by a signal.
@Suite(.serialized) struct CommandLineTests {
    static func executable() throws -> URL {
        try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
    }

    /// Every subcommand reports bad usage with status 2 (Prometheus' convention, not ArgumentParser's 64):
    /// one `Error:` line and where to find the usage.
    @Test(arguments: [
        (["push", "--bogus"], "Error: Unknown option '--bogus'", "push"),
        (["push", "--concurrency", "many"], "Error: The value 'many' is invalid for '--concurrency", "push"),
        (["--log.level", "verbose"], "Error: --log.level must be one of debug, info, warn, error", "serve"),
        (["serve", "--web.listen-address", "nowhere"], "Error: --web.listen-address", "serve"),
        (["simulate", "--count", "0"], "Error: --count must be between 1 and 60000", "simulate"),
        (
            ["simulate", "--bmc-profile", "idrac"], "Error: --bmc-profile must be one of loopback, realistic",
            "simulate"
        ),
        (["simulate", "--service-time", "rakp=30"], "Error: --service-time takes KIND=MS", "simulate"),
        (["simulate", "--queue-depth", "5000"], "Error: --queue-depth must be between 0 and 1024", "simulate"),
        (["raw", "-U", "admin", "0x06", "0x01"], "Error: -U is for a BMC on the network (-H)", "raw"),
        (["sensors", "-H", "127.0.0.1"], "Error: Missing expected argument '-U <user>' (with -H)", "sensors"),
        (["raw", "-H", "127.0.0.1", "--device", "/dev/ipmi0", "6", "1"], "Error: --device is for the local", "raw"),
        (
            ["push", "--config.file", "/nonexistent/ipmi.yml", "--push.url", "http://127.0.0.1:9"],
            "ipmi-exporter push: cannot read config file /nonexistent/ipmi.yml", "push"
        ),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String, subcommand: String) async throws {
        let executable = try Self.executable()
        let result = try await offPool { try ExternalCommand.run(executable.path, arguments, timeout: 20) }
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(result.stderr)")
        #expect(lines.first?.hasPrefix(message) == true, "\(result.stderr)")
        #expect(lines.last?.hasPrefix("See 'ipmi-exporter \(subcommand) --help'") == true, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// Without -H, `raw` and `sensors` use the local device; where there is none, one line says what to load.
    @Test(arguments: [
        ["raw", "--device", "/nonexistent/ipmi0", "6", "1"], ["sensors", "--device", "/nonexistent/ipmi0"],
    ])
    func noLocalDeviceIsOneLineNamingTheModules(arguments: [String]) async throws {
        let executable = try Self.executable()
        let result = try await offPool { try ExternalCommand.run(executable.path, arguments, timeout: 20) }
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "ipmi-exporter \(arguments[0]): no IPMI device (/nonexistent/ipmi0 not found): load the kernel "
                + "modules ipmi_si and ipmi_devintf (modprobe ipmi_si ipmi_devintf), or give --device PATH\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func helpAndVersionStillExitZero() async throws {
        let executable = try Self.executable()
        for arguments in [["--help"], ["push", "--help"], ["--version"]] {
            let result = try await offPool { try ExternalCommand.run(executable.path, arguments, timeout: 20) }
            #expect(result.status == 0, "\(arguments)")
            #expect(!result.stdout.isEmpty && result.stderr.isEmpty, "\(arguments)")
        }
    }

    /// Ctrl-C (or SIGTERM) while `push` is scraping slow BMCs: it stops at once, closes every session it
    /// opened (the BMCs' session tables end up empty) and exits 128 + the signal number.
    @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
    func pushStopsOnSignalAndClosesEverySession(signal: Int32, status: Int32, name: String) async throws {
        let executable = try Self.executable()
        let bmcs = 4
        // 100 ms per answer: reading 50 SDRs and 50 sensors takes each target about ten seconds.
        let fleet = try await SimulatedBMCFleet.start(
            count: bmcs, basePort: 0, faults: BMCFaults(latency: .milliseconds(100)), logger: quietLogger)
        defer { Task { await fleet.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("push-signal-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    user: admin\n    pass: password\n    collectors: [ipmi, sel]\n".write(
            to: config, atomically: true, encoding: .utf8)
        let stdout = directory.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)

        let process = Process()
        process.executableURL = executable
        process.arguments =
            ["push", "--config.file", config.path, "--push.url", "http://127.0.0.1:9", "--concurrency", "8"]
            + fleet.addresses.flatMap { ["--target", $0] }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Every BMC has a session (or a handshake in progress) before the signal.
        let opened = ContinuousClock.now + .seconds(20)
        var counts: [Int] = []
        repeat {
            try await Task.sleep(for: .milliseconds(50))
            counts = try await (0..<bmcs).asyncMap { try await fleet.sessionCount(bmc: $0) }
        } while counts.contains(0) && ContinuousClock.now < opened
        #expect(!counts.contains(0), "sessions before the signal: \(counts)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(process.isRunning, "the batch must still be scraping when the signal arrives")

        let sent = ContinuousClock.now
        kill(process.processIdentifier, signal)
        while process.isRunning && ContinuousClock.now - sent < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let took = ContinuousClock.now - sent
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == status)
        #expect(took < .seconds(3), "stopped \(took) after the signal")
        let after = try await (0..<bmcs).asyncMap { try await fleet.sessionCount(bmc: $0) }
        #expect(after == Array(repeating: 0, count: bmcs), "sessions left open: \(after)")
        let output = try String(contentsOf: stdout, encoding: .utf8)
        #expect(output.contains("msg=\"batch push interrupted, sessions closed\" signal=\(name)"), "\(output)")
        #expect(output.contains("not pushed: the run was interrupted"), "\(output)")
    }
}

extension Range where Bound == Int {
    fileprivate func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for index in self { results.append(try await transform(index)) }
        return results
    }
}
