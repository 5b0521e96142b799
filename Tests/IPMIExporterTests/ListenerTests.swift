import Foundation
import IPMITestSupport
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import ExporterHTTP
@testable import IPMIExporter

/// The listener flags of exporter-toolkit: `--web.listen-address` repeated, `--web.systemd-socket` (sockets inherited
/// by socket activation), and `--version`.
@Suite(.serialized) struct ListenerTests {
    /// Sends one request to `host`:`port` and returns the whole answer (the request asks the server to close).
    static func get(host: String, port: Int, path: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            var text = ""
            for try await chunk in inbound { text += String(buffer: chunk) }
            return text
        }
    }

    @Test(arguments: [
        ([:], "LISTEN_PID and LISTEN_FDS are not set"),
        (["LISTEN_FDS": "1"], "LISTEN_PID and LISTEN_FDS are not set"),
        (["LISTEN_PID": "41", "LISTEN_FDS": "1"], "LISTEN_PID=41 is not this process (42)"),
        (["LISTEN_PID": "x", "LISTEN_FDS": "1"], "LISTEN_PID=x is not this process (42)"),
        (["LISTEN_PID": "42", "LISTEN_FDS": "0"], "LISTEN_FDS=0: systemd passed no sockets"),
        (["LISTEN_PID": "42", "LISTEN_FDS": "-1"], "LISTEN_FDS=-1 is not a number of sockets"),
        (["LISTEN_PID": "42", "LISTEN_FDS": "two"], "LISTEN_FDS=two is not a number of sockets"),
        (["LISTEN_PID": "42", "LISTEN_FDS": "100000"], "LISTEN_FDS=100000 is not a number of sockets"),
    ])
    func systemdVariablesThatAnnounceNoUsableSockets(environment: [String: String], reason: String) {
        #expect(throws: SystemdSockets.Failure.self) {
            _ = try SystemdSockets.descriptors(environment: environment, pid: 42)
        }
        do {
            _ = try SystemdSockets.descriptors(environment: environment, pid: 42)
        } catch {
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func systemdSocketsStartAtDescriptorThree() throws {
        let three = try SystemdSockets.descriptors(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "3"], pid: 42)
        #expect(three == [3, 4, 5])
    }

    /// Descriptors that are no listening stream socket are refused before the server uses them.
    @Test func onlyListeningStreamSocketsAreTaken() throws {
        let datagram = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let unbound = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(datagram)
            close(unbound)
        }
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { pipeEnds.forEach { close($0) } }
        for (descriptor, reason) in [
            (datagram, "is not a stream socket"), (unbound, "is not listening"), (pipeEnds[0], "is not a socket"),
        ] {
            do {
                try SystemdSockets.check(descriptor)
                Issue.record("descriptor \(descriptor) must be refused")
            } catch {
                #expect(error.reason.contains(reason), "\(error)")
            }
        }
    }

    /// One server on two addresses (and an inherited socket): every one answers every route.
    @Test func oneServerListensOnEveryAddress() async throws {
        // An inherited socket, as systemd would pass it: bound and listening before the server starts.
        let inherited = FreePort.boundSocket(type: Int32(SOCK_STREAM.rawValue))
        try #require(inherited >= 0 && listen(inherited, 16) == 0)
        try SystemdSockets.check(inherited)

        var listeners: [HTTPListener] = [
            .address(ListenAddress(host: "127.0.0.1", port: 0)), .address(ListenAddress(host: "127.0.0.1", port: 0)),
            .inherited(descriptor: inherited),
        ]
        if FreePort.hasIPv6Loopback { listeners.append(.address(ListenAddress(host: "::1", port: 0))) }
        let addresses = AsyncStream<SocketAddress>.makeStream()
        let server = ExporterHTTPServer(
            listeners: listeners, settings: ExporterSettings(), router: RouterTests.router(), logger: quietLogger,
            onBound: { addresses.continuation.yield($0) })
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound: [SocketAddress] = []
            for await address in addresses.stream {
                bound.append(address)
                if bound.count == listeners.count { break }
            }
            #expect(Set(bound.compactMap(\.port)).count == listeners.count, "\(bound)")
            for address in bound {
                let host = try #require(address.ipAddress)
                let port = try #require(address.port)
                let health = try await Self.get(host: host, port: port, path: "/-/healthy")
                #expect(health.hasPrefix("HTTP/1.1 200 OK") && health.hasSuffix("Healthy\n"), "\(address)")
                let scrape = try await Self.get(host: host, port: port, path: "/ipmi?target=h:\(port)")
                #expect(scrape.contains("ipmi_temperature_celsius \(port)\n"), "\(address): \(scrape)")
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            // After the shutdown no listener accepts any more.
            for address in bound {
                await #expect(throws: (any Error).self) {
                    _ = try await Self.get(host: address.ipAddress ?? "", port: address.port ?? 0, path: "/")
                }
            }
        }
    }

    /// An address that cannot be bound stops the server, and the addresses bound before it are let go.
    @Test func anAddressInUseFailsTheStartAndFreesTheOthers() async throws {
        let taken = FreePort.boundSocket(type: Int32(SOCK_STREAM.rawValue))
        defer { close(taken) }
        try #require(taken >= 0 && listen(taken, 1) == 0)
        let takenPort = FreePort.port(of: taken)
        let free = FreePort.tcp()
        let server = ExporterHTTPServer(
            listeners: [
                .address(ListenAddress(host: "127.0.0.1", port: free)),
                .address(ListenAddress(host: "127.0.0.1", port: takenPort)),
            ], settings: ExporterSettings(), router: RouterTests.router(), logger: quietLogger)
        await #expect(throws: (any Error).self) { try await server.run() }
        // The first address was bound and must be free again.
        let again = FreePort.boundSocket(type: Int32(SOCK_STREAM.rawValue), port: free, reuseAddress: true)
        defer { close(again) }
        #expect(again >= 0, "port \(free) still held: errno \(errno)")
    }

    // MARK: - The binary

    static func executable() throws -> URL {
        try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
    }

    /// `--web.listen-address` twice: both ports serve, and the default :9290 is not listened on besides.
    @Test func repeatedListenAddressServesOnEach() async throws {
        let executable = try Self.executable()
        let directory = try SecretLeakTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (first, second) = (FreePort.tcp(), FreePort.tcp())
        let stderr = directory.appendingPathComponent("stderr")
        let process = try ExporterProcess.start(
            executable,
            ["--web.listen-address", "127.0.0.1:\(first)", "--web.listen-address=127.0.0.1:\(second)", "--no-local"],
            stderr: stderr)
        defer { process.terminateIfRunning() }
        #expect(try await ExporterProcess.waitUntilHealthy(port: first))
        #expect(try await ExporterProcess.waitUntilHealthy(port: second))
        for port in [first, second] {
            let metrics = try await Self.get(host: "127.0.0.1", port: port, path: "/metrics")
            #expect(metrics.contains("\nipmi_exporter_build_info{"), "port \(port)")
        }
        let log = try await process.stop()
        let listening = log.split(separator: "\n").filter { $0.contains("msg=\"Listening on\"") }
        #expect(listening.count == 2, "\(log)")
        #expect(listening.contains { $0.contains("address=127.0.0.1:\(first)") })
        #expect(listening.contains { $0.contains("address=127.0.0.1:\(second)") })
    }

    @Test func theSameListenAddressTwiceIsAUsageError() async throws {
        let executable = try Self.executable()
        let result = try await offPool {
            try ExternalCommand.run(
                executable.path, ["--web.listen-address", "127.0.0.1:9", "--web.listen-address", "127.0.0.1:9"],
                timeout: 20)
        }
        #expect(result.status == 2)
        #expect(result.stderr.contains("--web.listen-address 127.0.0.1:9 is given twice"), "\(result.stderr)")
    }

    /// Socket activation as systemd does it, by a small python3 launcher: it binds a port of the kernel's choosing
    /// (so no other test can take it in between) and listens, writes the port to a file, moves the socket to
    /// descriptor 3, sets LISTEN_FDS and LISTEN_PID (its own PID, which exec keeps) and execs the exporter.
    @Test(.enabled(if: ExternalCommand.isAvailable("python3"), "python3 is not installed"))
    func servesOnTheSocketSystemdPasses() async throws {
        let executable = try Self.executable()
        let directory = try SecretLeakTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let launcher = directory.appendingPathComponent("activate.py")
        try """
        import os, socket, sys
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(listener.getsockname()[1]))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        fd = listener.detach()
        if fd != 3:
            os.dup2(fd, 3)
            os.close(fd)
        os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.execv(sys.argv[2], sys.argv[2:])

        """.write(to: launcher, atomically: true, encoding: .utf8)
        let portFile = directory.appendingPathComponent("port")
        let unused = FreePort.tcp()
        let stderr = directory.appendingPathComponent("stderr")
        let python = try #require(ExternalCommand.locate("python3"))
        let process = try ExporterProcess.start(
            URL(fileURLWithPath: python),
            [
                launcher.path, portFile.path, executable.path, "--web.systemd-socket", "--web.listen-address",
                "127.0.0.1:\(unused)", "--no-local",
            ], stderr: stderr)
        defer { process.terminateIfRunning() }
        var written: String?
        for _ in 0..<100 where written == nil {
            written = try? String(contentsOf: portFile, encoding: .utf8)
            if written == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let port = try #require(written.flatMap { Int($0) }, "the launcher wrote no port")
        #expect(try await ExporterProcess.waitUntilHealthy(port: port))
        let metrics = try await Self.get(host: "127.0.0.1", port: port, path: "/metrics")
        #expect(metrics.contains("\nipmi_exporter_build_info{"))
        // With socket activation the listen address is the socket unit's business: nothing listens on it.
        await #expect(throws: (any Error).self) {
            _ = try await Self.get(host: "127.0.0.1", port: unused, path: "/-/healthy")
        }
        let log = try await process.stop()
        #expect(process.process.terminationStatus == 0, "\(log)")
        #expect(log.contains("--web.listen-address is ignored with --web.systemd-socket"), "\(log)")
        let listening = log.split(separator: "\n").filter { $0.contains("msg=\"Listening on\"") }
        #expect(listening.count == 1, "\(log)")
        #expect(listening.first?.contains("address=127.0.0.1:\(port)") == true, "\(log)")
        #expect(listening.first?.contains("systemd_socket_fd=3") == true, "\(log)")
    }

    @Test func systemdSocketWithoutSystemdFailsAtStart() async throws {
        let executable = try Self.executable()
        let result = try await offPool {
            try ExternalCommand.run(executable.path, ["--web.systemd-socket", "--no-local"], timeout: 20)
        }
        #expect(result.status == 1)
        #expect(result.stderr.contains("no sockets from systemd (LISTEN_PID and LISTEN_FDS are not set)"))
    }

    /// `--version` in the layout of the Prometheus exporters, and the same version and revision as the build info
    /// metric; `--help` tells about the listener flags.
    @Test func versionAndHelp() async throws {
        let executable = try Self.executable()
        let version = try await offPool { try ExternalCommand.run(executable.path, ["--version"], timeout: 20) }
        #expect(version.status == 0)
        let lines = version.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(version.stdout)")
        let first = try #require(
            lines[0].wholeMatch(of: #/ipmi-exporter, version (\S+) \(revision: (\S+)\)/#), "\(lines[0])")
        #expect(lines[1].wholeMatch(of: #/  swift version:    6\.\d+/#) != nil, "\(lines[1])")
        #expect(lines[2].wholeMatch(of: #/  platform:         linux\/(amd64|arm64)/#) != nil, "\(lines[2])")

        let directory = try SecretLeakTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = FreePort.tcp()
        let stderr = directory.appendingPathComponent("stderr")
        let process = try ExporterProcess.start(
            executable, ["--web.listen-address", "127.0.0.1:\(port)", "--no-local"], stderr: stderr)
        defer { process.terminateIfRunning() }
        #expect(try await ExporterProcess.waitUntilHealthy(port: port))
        let metrics = try await Self.get(host: "127.0.0.1", port: port, path: "/metrics")
        let info = try #require(metrics.split(separator: "\n").first { $0.hasPrefix("ipmi_exporter_build_info{") })
        #expect(info.contains("version=\"\(first.1)\""), "\(info)")
        #expect(info.contains("revision=\"\(first.2)\""), "\(info)")
        _ = try await process.stop()

        let help = try await offPool { try ExternalCommand.run(executable.path, ["serve", "--help"], timeout: 20) }
        #expect(help.status == 0)
        // ArgumentParser wraps the help to the terminal's width: compare with the line breaks taken out.
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains("--web.listen-address <address> Address to listen on"), "\(help.stdout)")
        #expect(flat.contains("Repeat the flag to listen on several addresses, each serving the same routes."))
        #expect(flat.contains("(default: :9290)"))
        #expect(flat.contains("--web.systemd-socket Use the listening sockets systemd passes by socket activation"))
    }
}
