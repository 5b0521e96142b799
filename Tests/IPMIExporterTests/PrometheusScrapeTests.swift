import Foundation
import IPMITestSupport
import Testing

/// A real Prometheus (Debian `prometheus`) scrapes two lab BMCs through the built `ipmi-exporter` with the
/// usual multi-target relabelling, and its query API shows what FreeIPMI reads from each BMC.
@Suite(
    .enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"),
    .enabled(if: ExternalCommand.isAvailable("prometheus"), "prometheus is not installed"),
    .enabled(if: ExternalCommand.isAvailable("ipmi-sensors"), "FreeIPMI is not installed"))
struct PrometheusScrapeTests {
    /// CPU1 Temp is sensor 0x10 of the lab (M = 1, so the raw value is degrees Celsius). The second BMC gets
    /// another reading so that a mixed-up target would show.
    static func labBMC(name: String, cpu1Raw: UInt8?, directory: URL) throws -> IPMISim {
        var configuration = IPMISim.labConfiguration(name: name)
        if let cpu1Raw {
            let override = directory.appendingPathComponent("\(name)-override.emu")
            try "sensor_set_value 0x20 0 0x10 0x\(String(cpu1Raw, radix: 16)) 0\n".write(
                to: override, atomically: true, encoding: .utf8)
            configuration.emuFiles.append(override.path)
        }
        return try IPMISim(configuration)
    }

    /// CPU1 Temp as FreeIPMI's ipmi-sensors reads it from the BMC (the oracle).
    static func freeIPMITemperature(_ bmc: IPMISim, cacheDirectory: URL) throws -> Double {
        let csv = try ExternalCommand.output(
            "ipmi-sensors",
            [
                "-D", "LAN_2_0", "-I", "3", "-W", "opensesspriv", "-h", bmc.address, "-u", "admin", "-p", "password",
                "--comma-separated-output", "--no-header-output", "--quiet-cache",
                "--sdr-cache-directory", cacheDirectory.path,
            ], timeout: 20)
        let line = try #require(
            csv.split(separator: "\n").first { $0.split(separator: ",").dropFirst().first == "CPU1 Temp" })
        return try #require(Double(line.split(separator: ",")[3]), "no reading in \(line)")
    }

    /// GET on 127.0.0.1:`port`, the body decoded as JSON.
    static func getJSON(port: Int, _ path: String) async throws -> [String: Any] {
        let response = try await HTTPServerTests.exchange(
            port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let split = response.range(of: "\r\n\r\n") else { return [:] }
        let body = Data(response[split.upperBound...].utf8)
        return (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    /// The samples of an instant query, as (instance label, value).
    static func query(port: Int, _ promQL: String) async throws -> [String: Double] {
        let escaped = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promQL
        let json = try await getJSON(port: port, "/api/v1/query?query=\(escaped)")
        let result = ((json["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        var samples: [String: Double] = [:]
        for sample in result {
            guard let instance = (sample["metric"] as? [String: String])?["instance"],
                let value = (sample["value"] as? [Any])?.last as? String, let number = Double(value)
            else { continue }
            samples[instance] = number
        }
        return samples
    }

    static func start(_ executable: String, _ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        return process
    }

    @Test(.timeLimit(.minutes(1)))
    func prometheusScrapesTwoBMCsThroughTheExporter() async throws {
        let exporter = try #require(ServeCommandTests.executable, "build the ipmi-exporter product first")
        let prometheus = try #require(ExternalCommand.locate("prometheus"))
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let bmcs = [
            try Self.labBMC(name: "first", cpu1Raw: nil, directory: directory),
            try Self.labBMC(name: "second", cpu1Raw: 0x3A, directory: directory),
        ]
        var expected: [String: Double] = [:]
        for bmc in bmcs {
            let cache = directory.appendingPathComponent("sdr-\(bmc.port)")
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            expected[bmc.address] = try Self.freeIPMITemperature(bmc, cacheDirectory: cache)
        }
        #expect(expected[bmcs[0].address] != expected[bmcs[1].address], "the two BMCs should differ")

        let exporterPort = FreePort.tcp()
        let exporterConfig = directory.appendingPathComponent("ipmi.yml")
        try """
        modules:
          default:
            user: admin
            pass: password
            privilege: admin
            driver: LAN_2_0
            collectors: [ipmi, bmc, chassis, sel]

        """.write(to: exporterConfig, atomically: true, encoding: .utf8)
        let exporterProcess = try Self.start(
            exporter.path,
            ["--config.file", exporterConfig.path, "--web.listen-address", "127.0.0.1:\(exporterPort)"],
            log: directory.appendingPathComponent("exporter.log"))
        defer { if exporterProcess.isRunning { exporterProcess.terminate() } }

        let prometheusPort = FreePort.tcp()
        let prometheusConfig = directory.appendingPathComponent("prometheus.yml")
        // The multi-target pattern of ipmi_exporter's documentation: the BMC goes to ?target=, the exporter
        // becomes the address scraped, and the instance label keeps the BMC.
        try """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: ipmi
            metrics_path: /ipmi
            params:
              module: [default]
            static_configs:
              - targets: ["\(bmcs[0].address)", "\(bmcs[1].address)"]
            relabel_configs:
              - source_labels: [__address__]
                target_label: __param_target
              - source_labels: [__param_target]
                target_label: instance
              - target_label: __address__
                replacement: 127.0.0.1:\(exporterPort)

        """.write(to: prometheusConfig, atomically: true, encoding: .utf8)
        let prometheusProcess = try Self.start(
            prometheus,
            [
                "--config.file=\(prometheusConfig.path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("tsdb").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)", "--log.level=warn",
            ], log: directory.appendingPathComponent("prometheus.log"))
        defer { if prometheusProcess.isRunning { prometheusProcess.terminate() } }

        // Prometheus needs a moment to start, then scrapes every second.
        var up: [String: Double] = [:]
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            up = (try? await Self.query(port: prometheusPort, "ipmi_up{collector=\"ipmi\"}")) ?? [:]
            if up.count == 2, up.values.allSatisfy({ $0 == 1 }) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
        #expect(up == [bmcs[0].address: 1, bmcs[1].address: 1], "prometheus log: \(log.suffix(2000))")

        let temperatures = try await Self.query(
            port: prometheusPort, "ipmi_temperature_celsius{name=\"CPU1 Temp\"}")
        #expect(temperatures == expected)
        let scrapeHealth = try await Self.query(port: prometheusPort, "up{job=\"ipmi\"}")
        #expect(scrapeHealth == [bmcs[0].address: 1, bmcs[1].address: 1])
    }
}
