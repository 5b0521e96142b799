import Foundation
import IPMITestSupport
import Testing

/// A program started by a test (the `ipmi-exporter` binary, or a launcher that execs it) with its standard error in a
/// file, to be read once it has stopped.
struct ExporterProcess {
    let process: Process
    let stderr: URL

    /// Starts `executable`; `environment` nil inherits the test's.
    static func start(
        _ executable: URL, _ arguments: [String], stderr: URL, environment: [String: String]? = nil
    ) throws -> ExporterProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        #expect(FileManager.default.createFile(atPath: stderr.path, contents: nil))
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        return ExporterProcess(process: process, stderr: stderr)
    }

    /// Polls `/-/healthy` on 127.0.0.1:`port` for up to 10 s.
    static func waitUntilHealthy(port: Int) async throws -> Bool {
        for _ in 0..<100 {
            if let answer = try? await ListenerTests.get(host: "127.0.0.1", port: port, path: "/-/healthy"),
                answer.hasPrefix("HTTP/1.1 200")
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// SIGTERM, then up to 15 s for the process to exit; what it wrote to standard error.
    func stop() async throws -> String {
        kill(process.processIdentifier, SIGTERM)
        let stopped = ContinuousClock.now + .seconds(15)
        while process.isRunning && ContinuousClock.now < stopped { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        return try String(contentsOf: stderr, encoding: .utf8)
    }

    /// Kills a process a failed test left running.
    func terminateIfRunning() {
        if process.isRunning { process.terminate() }
    }
}
