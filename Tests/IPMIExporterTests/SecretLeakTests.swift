import Foundation
import IPMITestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the real `ipmi-exporter` binary against a real BMC (ipmi_sim with the lab SDRs) with debug logging and
/// unique marker passwords and K_g, exercises success and every error path, then searches everything the process
/// wrote, every HTTP answer and its /proc command line for the markers (as text and as hex).
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct SecretLeakTests {
    /// Unique per run and at most 20 bytes (the IPMI password limit).
    static func marker(_ tag: String) -> String {
        tag + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(14))
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Every form in which a secret could show up: as written, and as hex bytes in either case.
    static func forms(of secret: String) -> [String] {
        let hex = secret.utf8.map { String(format: "%02x", $0) }.joined()
        return [secret, hex, hex.uppercased(), secret.utf8.map { String(format: "%02x", $0) }.joined(separator: " ")]
    }

    static func expectNoSecrets(_ secrets: [String], in texts: [String: String]) {
        for secret in secrets {
            for form in forms(of: secret) {
                for (source, text) in texts {
                    #expect(!text.contains(form), "secret found in \(source)")
                }
            }
        }
    }

    static func lab(password: String) -> IPMISim.Configuration {
        var configuration = IPMISim.labConfiguration(name: "secrets")
        configuration.users = [IPMISim.User(number: 2, name: "admin", password: password, privilege: "admin")]
        return configuration
    }

    @Test func serveNeverShowsPasswordsOrKg() async throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let password = Self.marker("Pw")
        let wrongPassword = Self.marker("Wr")
        let kg = Self.marker("Kg")
        let filePassword = Self.marker("Fp")
        let bmc = try await IPMISim.start(Self.lab(password: password))
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try kg.write(to: directory.appendingPathComponent("kg"), atomically: true, encoding: .utf8)
        try filePassword.write(to: directory.appendingPathComponent("pass"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("ipmi.yml")
        try """
        modules:
          default:
            user: admin
            pass: \(password)
            privilege: admin
            collectors: [ipmi, bmc, chassis, sel]
          wrong:
            user: admin
            pass: \(wrongPassword)
            privilege: admin
          kg:
            user: admin
            pass: \(password)
            privilege: admin
            kg_file: \(directory.appendingPathComponent("kg").path)
          file:
            user: admin
            password_file: \(directory.appendingPathComponent("pass").path)
            privilege: admin

        """.write(to: config, atomically: true, encoding: .utf8)

        let port = FreePort.tcp()
        let stdoutURL = directory.appendingPathComponent("stdout")
        let stderrURL = directory.appendingPathComponent("stderr")
        #expect(FileManager.default.createFile(atPath: stdoutURL.path, contents: nil))
        #expect(FileManager.default.createFile(atPath: stderrURL.path, contents: nil))
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "--config.file", config.path, "--web.listen-address", "127.0.0.1:\(port)", "--log.level", "debug",
        ]
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        defer { if process.isRunning { process.terminate() } }

        func get(_ target: String) async throws -> String {
            try await HTTPServerTests.exchange(
                port: port, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: .seconds(30))
        }
        var texts: [String: String] = [:]
        var ready = ""
        for _ in 0..<100 {
            ready = (try? await get("/metrics")) ?? ""
            if ready.hasPrefix("HTTP/1.1 200") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(ready.hasPrefix("HTTP/1.1 200"))

        let target = "127.0.0.1:\(bmc.port)"
        let good = try await get("/ipmi?target=\(target)")
        // The test only means something if the right password really logged in.
        #expect(good.contains("ipmi_up{collector=\"ipmi\"} 1"), "\(good.prefix(2000))")
        texts["scrape default"] = good
        let wrong = try await get("/ipmi?target=\(target)&module=wrong")
        #expect(wrong.contains("ipmi_up{collector=\"ipmi\"} 0"))
        texts["scrape wrong"] = wrong
        texts["scrape kg"] = try await get("/ipmi?target=\(target)&module=kg")
        texts["scrape file"] = try await get("/ipmi?target=\(target)&module=file")
        texts["unknown module"] = try await get("/ipmi?target=\(target)&module=nope")
        texts["no target"] = try await get("/ipmi")
        texts["unreachable"] = try await get("/ipmi?target=127.0.0.1:9")
        texts["index"] = try await get("/")
        texts["config"] = try await get("/config")
        texts["bad request"] = try await HTTPServerTests.exchange(port: port, "GARBAGE\r\n\r\n")
        texts["reload"] = try await HTTPServerTests.exchange(
            port: port, "POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        texts["metrics"] = try await get("/metrics")
        texts["cmdline"] = String(
            decoding: (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/cmdline")))
                ?? Data(), as: UTF8.self)
        #expect(texts["cmdline"]?.contains("--config.file") == true)

        kill(process.processIdentifier, SIGTERM)
        let stopped = ContinuousClock.now + .seconds(15)
        while process.isRunning && ContinuousClock.now < stopped { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        texts["stdout"] = try String(contentsOf: stdoutURL, encoding: .utf8)
        texts["stderr"] = try String(contentsOf: stderrURL, encoding: .utf8)
        // Debug logging really was on, so the search covers the most verbose output.
        #expect(texts["stderr"]?.contains("debug") == true, "\(texts["stderr"] ?? "")")
        Self.expectNoSecrets([password, wrongPassword, kg, filePassword], in: texts)
    }

    @Test func rawAndSensorsNeverShowThePassword() throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let password = Self.marker("Cl")
        let bmc = try IPMISim(Self.lab(password: password))
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let passwordFile = directory.appendingPathComponent("pass")
        try (password + "\n").write(to: passwordFile, atomically: true, encoding: .utf8)
        let wrongFile = directory.appendingPathComponent("wrong")
        let wrong = Self.marker("Wx")
        try wrong.write(to: wrongFile, atomically: true, encoding: .utf8)
        let login = ["-H", bmc.address, "-U", "admin", "--debug"]

        var texts: [String: String] = [:]
        let raw = try ExternalCommand.run(
            executable.path, ["raw"] + login + ["0x06", "0x01"], environment: ["IPMI_PASSWORD": password])
        #expect(raw.status == 0, "\(raw.stderr)")
        texts["raw stdout"] = raw.stdout
        texts["raw stderr"] = raw.stderr
        let sensors = try ExternalCommand.run(
            executable.path, ["sensors"] + login + ["--password-file", passwordFile.path])
        #expect(sensors.status == 0, "\(sensors.stderr)")
        #expect(sensors.stdout.split(separator: "\n").count >= 40)
        texts["sensors stdout"] = sensors.stdout
        texts["sensors stderr"] = sensors.stderr
        let failed = try ExternalCommand.run(
            executable.path, ["sensors"] + login + ["--password-file", wrongFile.path, "--retries", "0"])
        #expect(failed.status != 0)
        texts["wrong stdout"] = failed.stdout
        texts["wrong stderr"] = failed.stderr
        let failedRaw = try ExternalCommand.run(
            executable.path, ["raw"] + login + ["--retries", "0", "0x06", "0x01"], environment: ["IPMI_PASSWORD": wrong]
        )
        #expect(failedRaw.status != 0)
        texts["wrong raw stdout"] = failedRaw.stdout
        texts["wrong raw stderr"] = failedRaw.stderr
        Self.expectNoSecrets([password, wrong], in: texts)
    }

    /// `-P` exists for ipmitool habits; its value is blanked in the process's argument memory once read.
    @Test func passwordOnTheCommandLineIsBlankedFromProc() async throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        // A UDP port that receives and never answers, so the command lives long enough to be inspected.
        let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        do {
            let password = Self.marker("Pc")
            let process = Process()
            process.executableURL = executable
            let login = ["-P", password]
            process.arguments =
                ["raw", "-H", "127.0.0.1:\(port)", "-U", "admin"] + login + [
                    "--timeout", "1", "--retries", "4", "6", "1",
                ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try ExternalCommand.launch(process)
            defer { if process.isRunning { process.terminate() } }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(process.isRunning, "raw should still be waiting for the silent BMC")
            let cmdline = String(
                decoding: (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/cmdline")))
                    ?? Data(), as: UTF8.self)
            #expect(cmdline.contains("raw"))
            #expect(!cmdline.contains(password), "the -P value is visible in /proc/PID/cmdline")
        }
    }
}
