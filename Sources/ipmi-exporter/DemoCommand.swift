import ArgumentParser
import ExporterHTTP
import Foundation
import IPMIExporter
import IPMISimulator
import Logging
import ServiceLifecycle

/// `ipmi-exporter demo`: simulated BMCs on loopback and the exporter configured for them, so a new user
/// sees real metrics on a machine without a BMC.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run simulated BMCs on loopback and the exporter for them.",
        discussion: """
            Starts N simulated BMCs on 127.0.0.1 (user admin, password password — test credentials only), writes \
            an exporter config that lists them under targets:, and serves it. Open the printed URLs, or point \
            Prometheus at /metrics. Stop with Ctrl-C.
            """
    )

    @Option(help: "How many simulated BMCs to run.")
    var bmcs: Int = 3

    @Option(
        name: .customLong("web.listen-address"),
        help: ArgumentHelp("Address of the exporter's web interface.", valueName: "address"))
    var listenAddress: String = "127.0.0.1:9290"

    @Option(
        name: .customLong("web.config.file"),
        help: ArgumentHelp(
            "Web configuration file for TLS and/or basic auth (exporter-toolkit format).", valueName: "path"))
    var webConfigFile: String?

    @Option(
        name: .customLong("sim.base-port"),
        help: ArgumentHelp("First UDP port of the simulated BMCs (0: any free ports).", valueName: "port"))
    var basePort: Int = 0

    @Option(
        name: .customLong("log.level"),
        help: ArgumentHelp("debug, info, warn or error.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        guard (1...10_000).contains(bmcs) else { throw ValidationError("--bmcs must be between 1 and 10000") }
        guard LogLevelOption(rawValue: logLevel) != nil else {
            throw ValidationError("--log.level must be one of debug, info, warn, error")
        }
        guard (0...65535).contains(basePort) else { throw ValidationError("--sim.base-port must be a port number") }
    }

    func run() async throws {
        let level = LogLevelOption(rawValue: logLevel)!.level
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: .logfmt, level: level) }
        let logger = Logger(label: "ipmi-exporter")
        let web = try loadWebConfig(webConfigFile, logger: logger)
        let fleet = try await SimulatedBMCFleet.start(count: bmcs, basePort: basePort, logger: logger)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ipmi-exporter-demo-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("demo.yml")
        try Self.config(targets: fleet.addresses).write(to: configFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: directory) }

        let scheme = web.current.tls == nil ? "http" : "https"
        let base = "\(scheme)://" + Self.displayAddress(listenAddress)
        print(
            """
            Simulated BMCs: \(fleet.addresses.joined(separator: ", "))
            Exporter config: \(configFile.path)
              \(base)/                               landing page
              \(base)/metrics                        every simulated BMC, labelled by target
              \(base)/ipmi?target=\(fleet.addresses[0])   one BMC, as Prometheus scrapes it
            Press Ctrl-C to stop.
            """)
        fflush(nil)  // the banner must show before the first log line, also when stdout is a file
        try await runExporter(
            configFile: configFile.path, web: web, listeners: [.address(try ListenAddress(parsing: listenAddress))],
            logger: logger,
            extraServices: [FleetService(fleet: fleet)])
    }

    /// An ipmi_exporter config for the simulated BMCs, every collector the simulator answers.
    static func config(targets: [String]) -> String {
        var yaml = """
            # Written by `ipmi-exporter demo`: simulated BMCs on loopback with test credentials.
            modules:
              default:
                user: admin
                pass: password
                privilege: admin
                driver: LAN_2_0
                timeout: 10000
                collectors: [ipmi, bmc, bmc-watchdog, chassis, dcmi, sel, sel-events, thresholds, chassis-details,
                  dcmi-statistics, fru, lan]
                sel_events:
                  - name: correctable_memory_error
                    regex: Correctable memory error.*
            targets:

            """
        for target in targets {
            yaml += "  - target: \"\(target)\"\n    module: default\n"
        }
        return yaml
    }

    /// ":9290" means every address; show it as something a browser can open.
    static func displayAddress(_ address: String) -> String {
        address.hasPrefix(":") ? "127.0.0.1" + address : address
    }
}

/// Keeps the simulated BMCs up until the exporter has shut down and closed its sessions.
struct FleetService: Service {
    let fleet: SimulatedBMCFleet

    func run() async throws {
        try? await gracefulShutdown()
        await fleet.stop()
    }
}
