import Foundation
import NIOConcurrencyHelpers

/// Runs another program (ipmitool, FreeIPMI, promtool, sdrcomp …) and collects what it printed.
public struct ExternalCommand: Sendable {
    /// Held while a test starts a process: Foundation's `Process.run()` on Linux crashed (SIGSEGV in its memcpy)
    /// when many test threads started processes at once, so starts are taken one at a time; the processes still run
    /// side by side.
    public static let launchLock = NIOLock()

    /// Starts `process` under ``launchLock``: every test that starts a process of its own goes through here.
    public static func launch(_ process: Process) throws {
        try launchLock.withLock { try process.run() }
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var result: Result

        public init(command: String, result: Result) {
            self.command = command
            self.result = result
        }

        public var description: String {
            "\(command) exited \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }

    /// Looks a program up on PATH and the sbin directories (FreeIPMI installs into /usr/sbin); a name with a slash
    /// is taken as a path.
    public static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin"]
        for directory in directories {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test that needs `name` should run: when it is installed, and always in CI (`CI=true`), where a
    /// missing tool must fail the test rather than skip it.
    public static func isAvailable(_ name: String) -> Bool {
        locate(name) != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Runs the program to completion, killing it after `timeout` seconds.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60
    ) throws -> Result {
        guard let executable = locate(name) else {
            throw Failure(command: name, result: Result(status: -1, stdout: "", stderr: "\(name) not found"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try launch(process)
        // SIGKILL: children of test threads can inherit a mask that blocks SIGTERM.
        let watchdog = DispatchWorkItem { [process] in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Read both pipes before waiting so a chatty program cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data()
        nonisolated(unsafe) var err = Data()
        group.enter()
        DispatchQueue.global().async {
            out = stdout.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            err = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs the program and returns its standard output, throwing when it exits non-zero.
    public static func output(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60
    ) throws -> String {
        let result = try run(name, arguments, environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw Failure(command: ([name] + arguments).joined(separator: " "), result: result)
        }
        return result.stdout
    }
}

extension ExternalCommand {
    /// Runs the program on a Dispatch thread and suspends meanwhile. In async tests this overload is chosen, so a
    /// slow child (ipmitool retrying a wrong password for seconds) never holds one of the few threads of Swift's
    /// cooperative pool, which every other test's sessions, timers and deadlines need.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60
    ) async throws -> Result {
        try await offPool { try run(name, arguments, environment: environment, timeout: timeout) }
    }

    /// The async form of ``output(_:_:environment:timeout:)``, off the cooperative pool like ``run(_:_:environment:timeout:)``.
    public static func output(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60
    ) async throws -> String {
        let result = try await run(name, arguments, environment: environment, timeout: timeout)
        guard result.status == 0 else {
            throw Failure(command: ([name] + arguments).joined(separator: " "), result: result)
        }
        return result.stdout
    }
}

extension ExternalCommand {
    /// The `ipmi-exporter` executable built next to the test bundle (swift build builds it before the tests).
    public static var exporterExecutable: URL? {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            directory.appendingPathComponent("ipmi-exporter"),
            Bundle.main.bundleURL.appendingPathComponent("ipmi-exporter"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
