import Foundation
import IPMITestSupport
import Testing

/// The `ipmi-exporter` binary as operators run it: flags, config errors, logs, signals.
@Suite(.serialized) struct ServeCommandTests {
    static let password = "Zq9-very-secret"

    static var executable: URL? {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent()
        return [
            directory.appendingPathComponent("ipmi-exporter"),
            Bundle.main.bundleURL.appendingPathComponent("ipmi-exporter"),
        ]
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts the binary in the background; its standard error is kept.
    static func launch(_ executable: URL, _ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        return (process, stderr)
    }

    /// SIGTERM, then up to 10 s for the process to exit; everything it wrote to standard error.
    static func stop(_ process: Process, stderr: Pipe) async throws -> String {
        kill(process.processIdentifier, SIGTERM)
        let stopped = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < stopped { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test func aBadConfigStopsStartUpWithFileAndLineAndNoPassword() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    pass: \(Self.password)\n    driver: IPMB\n".write(
            to: config, atomically: true, encoding: .utf8)
        let result = try await offPool {
            try ExternalCommand.run(
                executable.path, ["--config.file", config.path, "--web.listen-address", "127.0.0.1:0"], timeout: 20)
        }
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("\(config.path):4:13: driver \\\"IPMB\\\" is not supported"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.password))
        #expect(!result.stdout.contains(Self.password))
    }

    @Test func rejectsBadFlags() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let result = try await offPool {
            try ExternalCommand.run(executable.path, ["--log.level", "verbose"], timeout: 20)
        }
        #expect(result.status == 2)
        #expect(result.stderr.contains("--log.level must be one of debug, info, warn, error"))
    }

    @Test func servesLogsJSONAndStopsOnSIGTERM() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ipmi.yml")
        try "modules:\n  default:\n    user: admin\n    pass: \(Self.password)\n    collectors: [ipmi, sel]\n".write(
            to: config, atomically: true, encoding: .utf8)
        let port = FreePort.tcp()
        let (process, stderr) = try Self.launch(
            executable,
            [
                "--config.file", config.path, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "debug",
                "--log.format", "json",
            ])
        defer { if process.isRunning { process.terminate() } }

        var answer = ""
        for _ in 0..<100 {
            answer =
                (try? await HTTPServerTests.exchange(
                    port: port, "GET /ipmi?target=127.0.0.1:9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ?? ""
            if !answer.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer)")
        #expect(answer.contains("ipmi_up{collector=\"sel\"}"))
        let reload = try await HTTPServerTests.exchange(
            port: port, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(reload.hasSuffix("Config reloaded\n"))

        // SIGHUP re-reads the file too: a module added to it becomes usable.
        let unknown = try await HTTPServerTests.exchange(
            port: port, "GET /ipmi?target=h&module=second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(unknown.hasPrefix("HTTP/1.1 400"))
        try "modules:\n  default: {}\n  second: {collectors: [dcmi]}\n".write(
            to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        var second = ""
        for _ in 0..<50 {
            second = try await HTTPServerTests.exchange(
                port: port, "GET /ipmi?target=h&module=second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if second.hasPrefix("HTTP/1.1 200") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(second.contains("ipmi_up{collector=\"dcmi\"} 0"), "\(second)")

        let log = try await Self.stop(process, stderr: stderr)
        #expect(process.terminationStatus == 0)
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] != nil, "\(line)")
        }
        #expect(log.contains("\"msg\":\"Stopped\""))
        #expect(!log.contains(Self.password))
    }

    /// Local collection: off with one info line when no device exists; forced on with --local, /metrics reports the
    /// local BMC's collectors down (no target label) and the missing device is logged once, not on every scrape.
    @Test func localCollectionWithoutADevice() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let device = directory.appendingPathComponent("ipmi0").path
        for forced in [false, true] {
            let port = FreePort.tcp()
            let (process, stderr) = try Self.launch(
                executable,
                ["--web.listen-address", "127.0.0.1:\(port)", "--local.device", device] + (forced ? ["--local"] : []))
            defer { if process.isRunning { process.terminate() } }
            var answers: [String] = []
            for _ in 0..<100 where answers.count < 2 {
                let answer =
                    (try? await HTTPServerTests.exchange(
                        port: port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ?? ""
                if answer.isEmpty { try await Task.sleep(for: .milliseconds(100)) } else { answers.append(answer) }
            }
            try #require(answers.count == 2)
            let log = try await Self.stop(process, stderr: stderr)
            if forced {
                for answer in answers {
                    #expect(
                        answer.contains("\nipmi_up{collector=\"ipmi\"} 0\nipmi_up{collector=\"dcmi\"} 0\n"), "\(answer)"
                    )
                }
                #expect(answers[1].contains("ipmi_exporter_errors_total{reason=\"local_device\"} 2\n"))
                #expect(log.contains("Local collection is on (--local) but there is no IPMI device yet (\(device))"))
                let opens = log.split(separator: "\n").filter { $0.contains("cannot open the local IPMI device") }
                #expect(opens.count == 1, "\(log)")
                #expect(opens.first?.contains("no IPMI device (\(device) not found): load the kernel modules") == true)
            } else {
                #expect(answers.allSatisfy { !$0.contains("ipmi_up") })
                #expect(
                    log.contains(
                        "Local collection is off: no IPMI device (\(device)); load the kernel modules ipmi_si and "
                            + "ipmi_devintf for it, or pass --local"), "\(log)")
            }
        }
    }
}
