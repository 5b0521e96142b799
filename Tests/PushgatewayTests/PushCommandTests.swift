import Foundation
import Testing

/// `ipmi-exporter push` as cron runs it: output lines, exit status, and what reaches the gateway.
/// The BMCs are loopback UDP ports nobody answers on, so every scrape fails and `ipmi_up 0` is pushed.
@Suite struct PushCommandTests {
    static var executable: String? {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent()
        return [
            directory.appendingPathComponent("ipmi-exporter"),
            Bundle.main.bundleURL.appendingPathComponent("ipmi-exporter"),
        ]
        .map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A scratch directory with a config naming `targets` under module `default` (collector ipmi).
    struct Scratch {
        let directory: URL
        var config: String { directory.appendingPathComponent("ipmi.yml").path }

        init(targets: [String]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("push-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var yaml = "modules:\n  default:\n    user: admin\n    pass: bmc-Secret-1\n    collectors: [ipmi]\n"
            if !targets.isEmpty { yaml += "targets:\n" + targets.map { "  - target: \($0)\n" }.joined() }
            try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func silentBMC() throws -> String { "127.0.0.1:\(try freeLoopbackPort())" }

    @Test func everyConfigTargetIsPushedAndDownBMCsMakeExitOne() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let targets = [try Self.silentBMC(), try Self.silentBMC()]
        let scratch = try Scratch(targets: targets)
        defer { scratch.remove() }

        let result = try await runProgramDetached(
            executable, ["push", "--config.file", scratch.config, "--push.url", gateway.url, "--timeout", "1s"])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        for target in targets {
            #expect(
                lines.contains {
                    $0.contains("target=\(target) ") && $0.contains("scrape=failed")
                        && $0.contains("push=ok status=200")
                })
        }
        #expect(lines.last?.hasPrefix("level=error msg=\"batch push finished\" targets=2 ok=0 failed=2") == true)
        #expect(!result.stdout.contains("bmc-Secret-1") && !result.stderr.contains("bmc-Secret-1"))

        let groups = try gateway.groups()
        #expect(Set(groups.map { $0.labels }) == Set(targets.map { ["job": "ipmi", "instance": $0] }))
        for group in groups {
            let up = try #require(group.metrics["ipmi_up"])
            #expect(!up.isEmpty && up.allSatisfy { $0.value == 0 })
        }
    }

    @Test func targetsFileJobAndModuleFlags() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let scratch = try Scratch(targets: [])
        defer { scratch.remove() }
        let bmc = try Self.silentBMC()
        let list = try scratch.file("targets.txt", "# BMCs of rack 1\n\(bmc)   # first\n\n\(bmc)\n")

        let result = try await runProgramDetached(
            executable,
            [
                "push", "--config.file", scratch.config, "--push.url", gateway.url, "--targets-file", list,
                "--push.job", "nightly/ipmi", "--module", "default", "--timeout", "500ms",
            ])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n").count == 2, "duplicates are pushed once: \(result.stdout)")
        #expect(try gateway.groups().map(\.labels) == [["job": "nightly/ipmi", "instance": bmc]])
    }

    @Test func unreachableGatewayIsRetriedThenReported() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let scratch = try Scratch(targets: [try Self.silentBMC()])
        defer { scratch.remove() }
        let port = try freeLoopbackPort()

        let result = try await runProgramDetached(
            executable,
            [
                "push", "--config.file", scratch.config, "--push.url", "http://127.0.0.1:\(port)", "--timeout", "300ms",
                "--push.retries", "1",
            ])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains("push=failed attempts=2 push_error=\"Couldn't connect to server"), "\(result.stdout)"
        )
        #expect(result.stdout.contains("push_failed=1"))
    }

    @Test func basicAuthFromAFile() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let gateway = try await PushgatewayProcess.start(basicAuth: ("pusher", "gw-Pass:1"))
        defer { gateway.stop() }
        let bmc = try Self.silentBMC()
        let scratch = try Scratch(targets: [bmc])
        defer { scratch.remove() }
        let good = try scratch.file("good-auth", "pusher:gw-Pass:1\n")
        let bad = try scratch.file("bad-auth", "pusher:wrong-Pass\n")
        let base = ["push", "--config.file", scratch.config, "--push.url", gateway.url, "--timeout", "300ms"]

        let accepted = try await runProgramDetached(executable, base + ["--push.basic-auth-file", good])
        #expect(accepted.stdout.contains("push=ok status=200"), "\(accepted.stdout)")
        #expect(try gateway.groups(username: "pusher", password: "gw-Pass:1").count == 1)

        let refused = try await runProgramDetached(
            executable, base + ["--push.basic-auth-file", bad, "--target", try Self.silentBMC()])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("push=failed status=401 attempts=1"), "\(refused.stdout)")
        #expect(!refused.stdout.contains("wrong-Pass") && !refused.stderr.contains("wrong-Pass"))
        #expect(!accepted.stdout.contains("gw-Pass") && !accepted.stderr.contains("gw-Pass"))
    }

    @Test func badUsageAndConfigExitTwo() async throws {
        let executable = try #require(Self.executable, "build the ipmi-exporter product first")
        let scratch = try Scratch(targets: [try Self.silentBMC()])
        defer { scratch.remove() }
        let noColon = try scratch.file("auth", "only-a-Secret-word\n")
        let url = "http://127.0.0.1:9"
        let cases: [([String], String)] = [
            (["--push.url", url], "--config.file is required"),
            (["--config.file", scratch.config], "--push.url is required"),
            (
                ["--config.file", scratch.directory.appendingPathComponent("none.yml").path, "--push.url", url],
                "cannot read config file"
            ),
            (["--config.file", scratch.config, "--push.url", "ftp://gw"], "http:// or https://"),
            (
                ["--config.file", scratch.config, "--push.url", url, "--target", "bmc", "--module", "nosuch"],
                "unknown module \"nosuch\""
            ),
            (
                ["--config.file", scratch.config, "--push.url", url, "--timeout", "soon"],
                "--timeout must be a positive duration"
            ),
            (
                ["--config.file", scratch.config, "--push.url", url, "--push.header", "NoColon"],
                "--push.header must look like"
            ),
            (
                ["--config.file", scratch.config, "--push.url", url, "--concurrency", "0"],
                "--concurrency must be at least 1"
            ),
            (
                ["--config.file", scratch.config, "--push.url", url, "--push.basic-auth-file", noColon],
                "must hold one line user:password"
            ),
        ]
        for (arguments, message) in cases {
            let result = try await runProgramDetached(executable, ["push"] + arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("only-a-Secret-word"))
            #expect(result.stdout.isEmpty)
        }
    }
}
