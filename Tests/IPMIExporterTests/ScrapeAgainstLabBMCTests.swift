import ExporterScrape
import Foundation
import IPMIClient
import IPMIExporter
import IPMITestSupport
import Logging
import PrometheusText
import Testing

/// The collectors over a cached session against a real BMC (ipmi_sim with the lab SDRs), with FreeIPMI
/// and ipmitool run on the same BMC at test time as the oracle.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct ScrapeAgainstLabBMCTests {
    static let logger = Logger(label: "test")

    static func module(
        collectors: [CollectorName] = [.ipmi, .bmc, .chassis, .sel], password: String = "password"
    )
        -> ModuleConfig
    {
        ModuleConfig(
            name: "default", user: "admin", password: Secret(password), privilege: .admin, timeout: .seconds(10),
            collectors: collectors)
    }

    struct Harness {
        let transport: IPMITransport
        let metrics: ExporterMetrics
        let cache: SessionCache
        let scraper: IPMIScraper

        static func make(
            settings: SessionCache.Settings = SessionCache.Settings(), logger: Logger = ScrapeAgainstLabBMCTests.logger
        ) async throws -> Harness {
            let transport = try await IPMITransport.bind(logger: logger)
            let metrics = ExporterMetrics()
            let cache = SessionCache(transport: transport, settings: settings, metrics: metrics, logger: logger)
            return Harness(
                transport: transport, metrics: metrics, cache: cache,
                scraper: IPMIScraper(cache: cache, metrics: metrics, logger: logger))
        }

        /// The deadline is generous: these tests check what a scrape returns, and in a full parallel test run the
        /// two threads of the cooperative pool are shared with CPU-bound fuzz and fault tests, so one scrape of the
        /// lab's ~100 SDR reads can take well over 10 s there.
        func scrape(_ bmc: IPMISim, module: ModuleConfig = module(), seconds: Int = 60) async -> [MetricFamily] {
            await scrape(bmc, module: module, within: .seconds(seconds))
        }

        func scrape(_ bmc: IPMISim, module: ModuleConfig, within limit: Duration) async -> [MetricFamily] {
            await scraper.scrape(
                ScrapeRequest(
                    target: ScrapeTarget(host: bmc.host, port: bmc.port), module: module, deadline: .now + limit)
            ).exposition
        }

        func shutdown() async {
            await cache.closeAll()
            await transport.close()
        }
    }

    static func value(_ families: [MetricFamily], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        families.first { $0.name == name }?.samples.first { sample in
            labels.allSatisfy { key, value in sample.labels.contains(Label(key, value)) }
        }?.value
    }

    static func selfMetric(_ metrics: ExporterMetrics, _ name: String, _ labels: [String: String] = [:]) -> Double {
        value(metrics.families(), name, labels) ?? 0
    }

    /// FreeIPMI's `ipmi-sensors` on `bmc`, every shared sensor on its own line, as CSV without a header.
    static func freeIPMISensors(_ bmc: IPMISim, _ options: [String]) async throws -> String {
        let result = try runFreeIPMISensors(bmc, options)
        guard result.status == 0 else { throw ExternalCommand.Failure(command: "ipmi-sensors", result: result) }
        return result.stdout
    }

    /// `ipmi-sensors` on `bmc` with its own SDR cache, whatever its exit status.
    static func runFreeIPMISensors(_ bmc: IPMISim, _ options: [String]) throws -> ExternalCommand.Result {
        let cacheDirectory = NSTemporaryDirectory() + "sdrcache-\(bmc.port)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: cacheDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: cacheDirectory) }
        return try ExternalCommand.run(
            "ipmi-sensors",
            [
                "-D", "LAN_2_0", "-I", "3", "-W", "opensesspriv", "-h", bmc.address, "-u", "admin", "-p", "password",
                "--comma-separated-output", "--no-header-output", "--shared-sensors", "--quiet-cache",
                "--sdr-cache-directory", cacheDirectory,
            ] + options)
    }

    // MARK: -

    @Test func everySensorMatchesFreeIPMIOnTheSameBMC() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc)
        #expect(Self.value(families, "ipmi_up", ["collector": "ipmi"]) == 1)

        let csv = try await Self.freeIPMISensors(bmc, ["--output-sensor-state"])
        // ipmitool's threshold status tells where FreeIPMI's "Nominal" is really past a non-critical threshold.
        let ipmitoolStatus = Dictionary(
            try bmc.ipmitool(["sensor"]).split(separator: "\n").compactMap { line -> (String, String)? in
                let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                return columns.count > 3 ? (columns[0], columns[3]) : nil
            }, uniquingKeysWith: { first, _ in first })

        var compared = 0
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 7 else { continue }
            let (id, name, type, state, reading, unit) = (
                fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
            )
            if name == "LUN1 Temp" { continue }  // documented: FreeIPMI does not read sensors on LUN 1
            let labels = ["id": id, "name": name]
            let (valueName, stateName, scale) = Self.familyNames(unit: unit, type: type)
            let ourState = families.first { $0.name == stateName }?.samples.first { sample in
                labels.allSatisfy { sample.labels.contains(Label($0.key, $0.value)) }
            }?.value
            // A sensor FreeIPMI finds not available at all (reading, state and event N/A) has no series, as
            // ipmimonitoring leaves it out for ipmi_exporter.
            if state == "N/A", reading == "N/A", fields[6] == "N/A" {
                #expect(ourState == nil, "\(name) is not available but has a state sample")
                #expect(Self.value(families, valueName, labels) == nil, "\(name) is not available but has a value")
                compared += 1
                continue
            }
            #expect(ourState != nil, "no state sample for \(name) (\(id))")
            guard let ourState else { continue }
            switch state {
            case "Nominal":
                // Documented difference: past a non-critical threshold is Warning for us, Nominal for FreeIPMI.
                let nonCritical = ipmitoolStatus[name] == "nc" || fields[6].contains("Non-Critical")
                #expect(ourState == (nonCritical ? 1 : 0), "state of \(name)")
            case "Warning": #expect(ourState == 1, "state of \(name)")
            case "Critical": #expect(ourState == 2, "state of \(name)")
            default: #expect(ourState.isNaN, "state of \(name) should be unknown")
            }
            let ours = Self.value(families, valueName, labels)
            if let theirs = Double(reading) {
                #expect(ours != nil, "no value for \(name)")
                if let ours { #expect(abs(ours / scale - theirs) <= 0.0051, "value of \(name): \(ours) vs \(theirs)") }
            } else {
                // No reading (discrete, compact or non-linear): NaN beside the state, as ipmi_exporter exports it.
                #expect(ours?.isNaN == true, "\(name) has no reading but we exported \(String(describing: ours))")
            }
            compared += 1
        }
        #expect(compared >= 30)
    }

    @Test func entitySensorNamesAreFreeIPMIs() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        var module = Self.module(collectors: [.ipmi])
        module.entitySensorNames = true
        let families = await harness.scrape(bmc, module: module)
        #expect(Self.value(families, "ipmi_up", ["collector": "ipmi"]) == 1)
        var ours: [String: Set<String>] = [:]
        for family in families where family.name.hasSuffix("_state") {
            for sample in family.samples {
                let labels = Dictionary(sample.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                if let id = labels["id"], let name = labels["name"] { ours[id, default: []].insert(name) }
            }
        }

        let csv = try await Self.freeIPMISensors(bmc, ["--entity-sensor-names"])
        var theirs: [String: Set<String>] = [:]
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2, ours[fields[0]] != nil else { continue }  // not available: no series of ours
            theirs[fields[0], default: []].insert(fields[1])
        }
        // Entity names of all kinds: an instance shown (several processors), none (one fan entity), shared records
        // whose instances increment, device-relative numbering aside.
        #expect(theirs.count >= 40)
        #expect(theirs["4"] == ["Processor 1 CPU1 Temp"])
        for (id, names) in theirs { #expect(ours[id] == names, "record \(id)") }
    }

    static func familyNames(unit: String, type: String) -> (String, String, Double) {
        switch unit {
        case "C": ("ipmi_temperature_celsius", "ipmi_temperature_state", 1)
        case "RPM": ("ipmi_fan_speed_rpm", "ipmi_fan_speed_state", 1)
        case "V": ("ipmi_voltage_volts", "ipmi_voltage_state", 1)
        case "A": ("ipmi_current_amperes", "ipmi_current_state", 1)
        case "W": ("ipmi_power_watts", "ipmi_power_state", 1)
        case "%" where type == "Fan": ("ipmi_fan_speed_ratio", "ipmi_fan_speed_state", 0.01)
        default: ("ipmi_sensor_value", "ipmi_sensor_state", 1)
        }
    }

    @Test func aWarmScrapeNeedsNoHandshakeAndNoSDRRead() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        _ = await harness.scrape(bmc)
        let handshakes = Self.selfMetric(harness.metrics, "ipmi_exporter_handshakes_total", ["result": "success"])
        let misses = Self.selfMetric(harness.metrics, "ipmi_exporter_sdr_cache_misses_total")
        let packetsBefore = harness.transport.statistics.snapshot.packetsSent
        let second = await harness.scrape(bmc)
        let packetsAfter = harness.transport.statistics.snapshot.packetsSent
        #expect(Self.value(second, "ipmi_up", ["collector": "ipmi"]) == 1)
        #expect(handshakes == 1)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_handshakes_total", ["result": "success"]) == 1)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_sdr_cache_misses_total") == misses)
        // The first scrape's cold start read the repository (the miss); its collector then found it current (a hit),
        // as did the second scrape's.
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_sdr_cache_hits_total") == 2)
        // One request per sensor (58), one SDR repository info, Get Device ID and system info ×2, chassis, SEL info.
        let sent = packetsAfter - packetsBefore
        #expect(sent <= 70, "a warm scrape sent \(sent) packets")
    }

    @Test func aRestartedBMCCostsAtMostOneFailedScrape() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        var settings = SessionCache.Settings()
        settings.clientOptions.requestTimeout = .milliseconds(300)
        settings.clientOptions.retries = 1
        let harness = try await Harness.make(settings: settings)
        defer { Task { await harness.shutdown() } }
        #expect(Self.value(await harness.scrape(bmc), "ipmi_up", ["collector": "ipmi"]) == 1)
        try bmc.restart()
        var ups: [Double] = []
        for _ in 0..<3 {
            ups.append(Self.value(await harness.scrape(bmc), "ipmi_up", ["collector": "ipmi"]) ?? -1)
        }
        #expect(ups.filter { $0 == 0 }.count <= 1)
        #expect(ups.last == 1)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_rehandshakes_total") >= 1)
    }

    @Test func aCollectorWhoseCommandTheBMCRefusesIsLoggedOnceAtInfoAndCountedOnce() async throws {
        // ipmi_sim has no DCMI: DCMI Get Power Reading answers C1h (invalid command). The refusal is remembered for
        // the session, so the later scrapes report the collector down without asking again.
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let log = CapturedLog()
        let harness = try await Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let module = Self.module(collectors: [.dcmi, .chassis])
        for _ in 0..<3 {
            let families = await harness.scrape(bmc, module: module)
            #expect(Self.value(families, "ipmi_up", ["collector": "dcmi"]) == 0)
            #expect(Self.value(families, "ipmi_up", ["collector": "chassis"]) == 1)
        }
        let failures = log.text.split(separator: "\n").filter { $0.contains("msg=\"collector failed\"") }
        #expect(failures.count == 3)
        #expect(failures.filter { $0.contains("level=info") }.count == 1)
        #expect(failures.filter { $0.contains("level=debug") }.count == 2)
        #expect(failures.allSatisfy { $0.contains("collector=dcmi") && $0.contains("0xc1") })
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_errors_total", ["reason": "unsupported"]) == 1)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_errors_total", ["reason": "completion_code"]) == 0)
    }

    /// `cipher_suite: 0` (no authentication, integrity or confidentiality) logs in when a module names it, and reads
    /// what cipher suite 3 reads; ipmitool `-C 0` logs into the same BMC and reads the same firmware revision.
    @Test func aModuleWithCipherSuite0LogsInUnauthenticated() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        var zero = Self.module()
        zero.cipherSuite = 0
        let unauthenticated = await harness.scrape(bmc, module: zero)
        for collector in ["ipmi", "bmc", "chassis", "sel"] {
            #expect(Self.value(unauthenticated, "ipmi_up", ["collector": collector]) == 1, "\(collector)")
        }
        var three = Self.module()
        three.cipherSuite = 3
        let authenticated = await harness.scrape(bmc, module: three)
        // Readings, without the unreadable sensors (NaN, which equals nothing).
        func readings(_ families: [MetricFamily]) -> [String: Double] {
            DegradationTests.values(families).filter { !$0.value.isNaN }
        }
        #expect(readings(unauthenticated).count >= 30)
        #expect(readings(unauthenticated) == readings(authenticated))
        let info = try bmc.ipmitool(["mc", "info"], cipherSuite: 0)
        let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("Firmware Revision") })
        let theirs = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        let ours = unauthenticated.first { $0.name == "ipmi_bmc_info" }?.samples.first?.labels.first {
            $0.name == "firmware_revision"
        }?.value
        #expect(ours == theirs)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_handshakes_total", ["result": "success"]) == 2)
    }

    @Test func aWrongPasswordReportsDownAndLeaksNoSession() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: Self.module(password: "not-the-password"))
        for collector in ["ipmi", "bmc", "chassis", "sel"] {
            #expect(Self.value(families, "ipmi_up", ["collector": collector]) == 0)
        }
        #expect(harness.transport.sessionCount == 0)
        #expect(Self.selfMetric(harness.metrics, "ipmi_exporter_handshakes_total", ["result": "failure"]) == 1)
        // A good scrape afterwards still works: nothing of the failed attempt lingers.
        let good = await harness.scrape(bmc)
        #expect(Self.value(good, "ipmi_up", ["collector": "ipmi"]) == 1)
    }

    @Test func concurrentScrapesOfDifferentBMCsAreNotMixedUp() async throws {
        var first = IPMISim.labConfiguration(name: "first")
        first.emuCommands = []
        var second = IPMISim.labConfiguration(name: "second")
        // The second BMC reports another firmware revision and a different chassis power state.
        second.device = "0x20 no-device-sdrs 0x03 7 0x42 0x9f 0x1291 0xf02"
        first.device = "0x20 no-device-sdrs 0x03 9 0x08 0x9f 0x1291 0xf02"
        let bmcs = [try await IPMISim.start(first), try await IPMISim.start(second)]
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        let results = await withTaskGroup(of: (Int, String?).self) { group in
            for round in 0..<10 {
                for (index, bmc) in bmcs.enumerated() {
                    group.addTask {
                        _ = round
                        let families = await harness.scrape(bmc)
                        let info = families.first { $0.name == "ipmi_bmc_info" }?.samples.first
                        return (index, info?.labels.first { $0.name == "firmware_revision" }?.value)
                    }
                }
            }
            return await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
        }
        #expect(results.count == 20)
        #expect(results.filter { $0.0 == 0 }.allSatisfy { $0.1 == "9.08" })
        #expect(results.filter { $0.0 == 1 }.allSatisfy { $0.1 == "7.42" })
    }

    @Test(.enabled(if: ExternalCommand.isAvailable("promtool"), "promtool is not installed"))
    func theExpositionPassesPromtool() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(
            bmc, module: Self.module(collectors: [.ipmi, .bmc, .chassis, .sel, .dcmi, .bmcWatchdog, .selEvents]))
        let text = PrometheusText.render(families)
        let file = NSTemporaryDirectory() + "exposition-\(bmc.port).txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await ExternalCommand.run("sh", ["-c", "promtool check metrics < \(file)"])
        // ipmi_sel_logs_count keeps ipmi_exporter's name for compatibility; promtool dislikes the _count suffix.
        let complaints = (result.stdout + result.stderr).split(separator: "\n")
            .filter { !$0.contains("ipmi_sel_logs_count") }
        #expect(complaints.isEmpty, "\(complaints)")
    }
}
