import ExporterScrape
import Foundation
import IPMIClient
import IPMIExporter
import IPMISimulator
import IPMITestSupport
import Logging
import PrometheusText
import Testing

/// A BMC that refuses commands (IPMI v2.0 §5.2 completion codes C1h …) fails only the collectors that need them:
/// without an SDR repository the sensors come from its device SDRs (§35.2–35.4); without either only `ipmi` is down.
/// What it refused is remembered for the session, so the refused requests are not sent again on every scrape.
@Suite(.serialized)
struct DegradationTests {
    /// The fault-tolerance harness with a log kept for inspection and production-like retransmissions.
    struct Setup: Sendable {
        let base: FaultToleranceTests.Setup
        let log: CapturedLog

        static func make(
            faults: BMCFaults, configuration: SimulatorConfiguration = SimulatorConfiguration.defaultServer.steady,
            module: ModuleConfig = FaultToleranceTests.module
        ) async throws -> Setup {
            let log = CapturedLog()
            var base = try await FaultToleranceTests.Setup.make(
                bmcs: 1, requestTimeout: .milliseconds(500), retries: 2, configuration: configuration, faults: faults,
                logger: log.logger(level: .info))
            base.module = module
            return Setup(base: base, log: log)
        }

        var fleet: SimulatedBMCFleet { base.fleet }

        /// As the coordinator scrapes: a cold start first if the target needs one, then the collection.
        func scrape() async -> [MetricFamily] { await base.prepareAndScrape(0, deadline: .seconds(10)) }

        func errors(_ reason: String) -> Double {
            FaultToleranceTests.counter(base.metrics, "ipmi_exporter_errors_total", label: Label("reason", reason))
        }

        /// Captured log lines containing `text`.
        func lines(containing text: String) -> [Substring] {
            log.text.split(separator: "\n").filter { $0.contains(text) }
        }

        func shutdown() async { await base.shutdown() }
    }

    static func up(_ families: [MetricFamily], _ collector: String) -> Double? {
        FaultToleranceTests.up(families, collector)
    }

    static let others = ["bmc", "chassis", "dcmi", "sel"]

    /// ipmitool's arguments for a simulated BMC on `port` with the test credentials.
    static func ipmitoolArguments(port: Int) -> [String] {
        ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "admin", "-P", "password", "-C", "17"]
    }

    /// Sensor values by record ID (the `id` label) from every value family: the `_state` families carry states.
    static func values(_ families: [MetricFamily]) -> [String: Double] {
        var values: [String: Double] = [:]
        for family in families where family.name.hasPrefix("ipmi_") && !family.name.hasSuffix("_state") {
            for sample in family.samples {
                if let id = sample.labels.first(where: { $0.name == "id" })?.value { values[id] = sample.value }
            }
        }
        return values
    }

    /// A reboot ends the session; the new one asks the BMC again what it refused (to `refusedInAll` refusals).
    static func expectAskedAgainInANewSession(_ setup: Setup, refusedInAll: Int) async throws {
        try await setup.fleet.reboot(bmc: 0)
        for _ in 0..<3 {
            if up(await setup.scrape(), "chassis") == 1 { break }
        }
        #expect(try await setup.fleet.refusedRequests(bmc: 0) == refusedInAll)
    }

    @Test func withoutAnSDRRepositoryTheDeviceSDRsGiveEverySensorAtItsTrueValue() async throws {
        var faults = BMCFaults()
        faults.noSDRRepository = true
        faults.deviceSDRs = true
        let setup = try await Setup.make(faults: faults)
        let truth = try #require(try await setup.fleet.truth().bmcs.values.first)
        let threshold = truth.sensors.filter { $0.value.threshold }
        #expect(threshold.count == 38)
        for scrape in 1...3 {
            let families = await setup.scrape()
            #expect(FaultToleranceTests.allUp(families), "scrape \(scrape)")
            let values = Self.values(families)
            for (name, sensor) in threshold {
                let reading = try #require(sensor.reading, "\(name)")
                let value = try #require(values[String(sensor.recordID)], "\(name) (record \(sensor.recordID))")
                // A fan given in percent is exported as a ratio (0-1).
                #expect(abs(value - reading) < 1e-6 || abs(value - reading / 100) < 1e-6, "\(name): \(value)")
            }
            // One Get SDR Repository Info (C1h) in the session, not one per scrape.
            #expect(try await setup.fleet.refusedRequests(bmc: 0) == 1, "scrape \(scrape)")
        }
        #expect(setup.errors("unsupported") == 0)
        let fallback = setup.lines(containing: "no SDR repository; reading the device SDRs")
        #expect(fallback.count == 1)
        #expect(fallback.first?.contains("level=info") == true)
        #expect(fallback.first?.contains("0xc1") == true)
        await setup.shutdown()
    }

    /// Three scrapes with only the `ipmi` collector down, its refusals (`refused` requests) asked once in the
    /// session, counted once as `unsupported` and logged once at info with `message`.
    static func expectOnlySensorsDown(_ setup: Setup, refused: Int, message: String) async throws {
        for scrape in 1...3 {
            let families = await setup.scrape()
            #expect(up(families, "ipmi") == 0, "scrape \(scrape)")
            for collector in others {
                #expect(up(families, collector) == 1, "\(collector), scrape \(scrape)")
            }
            #expect(families.contains { $0.name == "ipmi_chassis_power_state" })
            #expect(!families.contains { $0.name == "ipmi_temperature_celsius" })
            #expect(try await setup.fleet.refusedRequests(bmc: 0) == refused, "scrape \(scrape)")
        }
        #expect(setup.errors("unsupported") == 1)
        #expect(setup.errors("completion_code") == 0)
        let failed = setup.lines(containing: "collector failed")
        #expect(failed.count == 1)
        #expect(failed.first?.contains("level=info") == true)
        #expect(failed.first?.contains("collector=ipmi") == true)
        #expect(failed.first?.contains(message) == true)
    }

    @Test func withNeitherRepositoryNorDeviceSDRsOnlyTheSensorCollectorIsDown() async throws {
        var faults = BMCFaults()
        faults.noSDRRepository = true
        let setup = try await Setup.make(faults: faults)
        // Get SDR Repository Info and Get Device SDR Info, once each in the session.
        try await Self.expectOnlySensorsDown(setup, refused: 2, message: "no device SDRs")
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func aBMCThatRefusesGetSDRIsNotAskedAgainInTheSession() async throws {
        var faults = BMCFaults()
        faults.refusedCommands = [0x0A: [0x23]]  // Get SDR (IPMI v2.0 §33.12): C1h, the repository info answers
        let setup = try await Setup.make(faults: faults)
        // The first record's whole-record read and then its header read (a refusal of the former is taken for a BMC
        // that reads records in chunks only), in the first scrape only.
        try await Self.expectOnlySensorsDown(setup, refused: 2, message: "refuses to hand over its SDRs")
        try await Self.expectAskedAgainInANewSession(setup, refusedInAll: 4)
        await setup.shutdown()
    }

    @Test func aNewSessionAsksAgainWhatTheBMCSupports() async throws {
        var faults = BMCFaults()
        faults.noSDRRepository = true
        let setup = try await Setup.make(faults: faults)
        #expect(Self.up(await setup.scrape(), "ipmi") == 0)
        #expect(try await setup.fleet.refusedRequests(bmc: 0) == 2)
        // A firmware update brings device SDRs; the reboot ends the session.
        faults.deviceSDRs = true
        try await setup.fleet.setFaults(faults, bmc: 0)
        try await setup.fleet.reboot(bmc: 0)
        var families: [MetricFamily] = []
        for _ in 0..<3 {
            families = await setup.scrape()
            if FaultToleranceTests.allUp(families) { break }
        }
        #expect(FaultToleranceTests.allUp(families))
        #expect(families.contains { $0.name == "ipmi_temperature_celsius" })
        // The new session asked for the repository once more (C1h), then found the device SDRs.
        #expect(try await setup.fleet.refusedRequests(bmc: 0) == 3)
        _ = await setup.scrape()
        #expect(try await setup.fleet.refusedRequests(bmc: 0) == 3)
        await setup.shutdown()
    }

    @Test func aBMCWithoutDCMIFailsOnlyTheDCMICollectorAndIsAskedOncePerSession() async throws {
        var faults = BMCFaults()
        faults.refusedCommands = [0x2C: [0x02]]  // DCMI Get Power Reading (DCMI 1.5 §6.6.1): C1h
        let setup = try await Setup.make(faults: faults)
        for scrape in 1...3 {
            let families = await setup.scrape()
            #expect(Self.up(families, "dcmi") == 0, "scrape \(scrape)")
            for collector in ["ipmi", "bmc", "chassis", "sel"] {
                #expect(Self.up(families, collector) == 1, "\(collector), scrape \(scrape)")
            }
            #expect(families.contains { $0.name == "ipmi_temperature_celsius" })
            #expect(try await setup.fleet.refusedRequests(bmc: 0) == 1, "scrape \(scrape)")
        }
        #expect(setup.errors("unsupported") == 1)
        let failed = setup.lines(containing: "collector failed")
        #expect(failed.count == 1)
        #expect(failed.first?.contains("level=info") == true)
        #expect(failed.first?.contains("collector=dcmi") == true)
        try await Self.expectAskedAgainInANewSession(setup, refusedInAll: 2)
        await setup.shutdown()
    }

    /// A hung controller behind the BMC (the simulator's 32h takes Send Message and never answers, as ipmitool finds
    /// too) costs the request timeout once: then its sensors are left out for a while, logged once and counted once,
    /// and a warm scrape with `bridge_sensors` sends what one without it sends.
    @Test func aHungControllerBehindTheBMCCostsItsTimeoutOnceAndThenIsLeftOut() async throws {
        var configuration = SimulatorConfiguration.defaultServer.steady
        var hung = try #require(configuration.sensors.first { $0.type == "temperature" })
        hung.name = "Hung Temp"
        hung.number = 200
        hung.owner = 0x32
        configuration.sensors.append(hung)
        var module = FaultToleranceTests.module
        module.collectors = [.ipmi]
        module.bridgeSensors = true
        let setup = try await Setup.make(faults: BMCFaults(), configuration: configuration, module: module)
        defer { Task { await setup.shutdown() } }

        // ipmitool, bridging by hand: the satellite at 30h answers, 32h does not.
        let ipmitool = Self.ipmitoolArguments(port: setup.fleet.ports[0]) + ["-N", "1", "-R", "1", "-b", "0"]
        let satellite = try await ExternalCommand.run("ipmitool", ipmitool + ["-t", "0x30", "raw", "6", "1"])
        #expect(satellite.status == 0, "\(satellite.stderr)")
        let silent = try await ExternalCommand.run("ipmitool", ipmitool + ["-t", "0x32", "raw", "4", "0x2d", "200"])
        #expect(silent.status != 0, "\(silent.stdout)")

        let statistics = setup.base.transport.statistics
        var sent: [UInt64] = []
        var retransmitted: [UInt64] = []
        var families: [[MetricFamily]] = []
        for _ in 0..<3 {
            let before = statistics.snapshot
            families.append(await setup.scrape())
            sent.append(statistics.snapshot.packetsSent - before.packetsSent)
            retransmitted.append(statistics.snapshot.retransmissions - before.retransmissions)
        }
        for scrape in families {
            #expect(Self.up(scrape, "ipmi") == 1)
            #expect(Self.values(scrape).count == 50, "the hung controller's sensor has no series")
        }
        #expect(setup.lines(containing: "no bridged sensor read answered").count == 1)
        #expect(setup.lines(containing: "no bridged sensor read answered").allSatisfy { $0.contains("0x32") })
        #expect(setup.errors("timeout") == 1)
        // The first scrape sent the bridged read again after its timeouts; the warm ones send it no more.
        #expect(retransmitted[0] >= 1, "\(retransmitted)")
        #expect(retransmitted[1...] == [0, 0], "\(retransmitted)")
        var plain = setup.base
        plain.module.bridgeSensors = false
        let before = statistics.snapshot.packetsSent
        _ = await plain.prepareAndScrape(0, deadline: .seconds(10))
        #expect(sent[2] == statistics.snapshot.packetsSent - before, "\(sent)")
        #expect(sent[1] == sent[2])
    }

    @Test func theSensorsCommandReadsTheDeviceSDRsOfABMCWithoutARepository() async throws {
        let executable = try HostileInputTests.executable()
        var outputs: [String] = []
        for noRepository in [false, true] {
            var faults = BMCFaults()
            faults.noSDRRepository = noRepository
            faults.deviceSDRs = noRepository
            let fleet = try await SimulatedBMCFleet.start(
                count: 1, basePort: 0, configuration: SimulatorConfiguration.defaultServer.steady, faults: faults,
                logger: quietLogger)
            let address = try #require(fleet.addresses.first)
            let result = try await offPool {
                try ExternalCommand.run(
                    executable.path, ["sensors", "-H", address, "-U", "admin", "--debug"],
                    environment: ["IPMI_PASSWORD": "password"], timeout: 30)
            }
            await fleet.stop()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("no SDR repository") == noRepository, "\(result.stderr)")
            outputs.append(result.stdout)
        }
        #expect(outputs[0].split(separator: "\n").count == 50)
        #expect(outputs[1] == outputs[0])
    }

    @Test func theSimulateCommandActsAsABMCWithDeviceSDRsAndNoRepository() async throws {
        let executable = try HostileInputTests.executable()
        let port = FreePort.udp()
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "simulate", "--listen", "127.0.0.1:\(port)", "--no-sdr-repository", "--device-sdrs", "--steady",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try ExternalCommand.launch(process)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let ipmitool = Self.ipmitoolArguments(port: port)
        // Until the simulator listens.
        var info = ""
        for _ in 0..<50 where info.isEmpty {
            let result = try await ExternalCommand.run("ipmitool", ipmitool + ["-N", "1", "-R", "1", "mc", "info"])
            if result.status == 0 { info = result.stdout } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(info.contains("Provides Device SDRs      : yes"))
        #expect(!info.contains("SDR Repository Device"))
        let repository = try await ExternalCommand.run("ipmitool", ipmitool + ["raw", "0x0a", "0x20"])
        #expect(repository.stderr.contains("rsp=0xc1"), "\(repository.stderr)")
        let elist = try await ExternalCommand.output("ipmitool", ipmitool + ["sdr", "elist"])
        #expect(elist.split(separator: "\n").count == 50)
    }
}
