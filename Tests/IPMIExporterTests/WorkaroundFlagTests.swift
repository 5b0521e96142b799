import ExporterScrape
import IPMIExporter
import IPMISimulator
import PrometheusText
import Testing

/// FreeIPMI's workaround flags (`workaround_flags`, or `-W` in `custom_args`) against the simulator's quirks, each a BMC
/// broken as ipmi-sensors(8) describes: without the flag the scrape fails (or reads wrong) and the log names the flag
/// to try; with it every collector is up and the threshold sensors read what the simulator holds.
@Suite(.serialized)
struct WorkaroundFlagTests {
    struct Outcome {
        var families: [MetricFamily]
        var log: String
        /// The simulator's readings of its threshold sensors, by record ID.
        var truth: [String: Double]

        func up(_ collector: String) -> Double? { FaultToleranceTests.up(families, collector) }

        /// Log lines that tell the user to try `flag`.
        func hints(_ flag: String) -> [Substring] {
            log.split(separator: "\n").filter { $0.contains("workaround_flags: [\(flag)]") }
        }

        /// Whether every threshold sensor is exported at the simulator's reading (a fan in percent as a ratio).
        var readsTruth: Bool {
            let values = DegradationTests.values(families)
            return truth.count > 30
                && truth.allSatisfy { id, reading in
                    guard let value = values[id] else { return false }
                    return abs(value - reading) < 1e-6 || abs(value - reading / 100) < 1e-6
                }
        }
    }

    /// One scrape of a simulated BMC with `quirks`, by a module with `flags` (over IPMI 1.5 with `ipmi15`).
    static func scrape(
        quirks: BMCQuirks, flags: Set<String>, suite: UInt8? = nil, ipmi15: Bool = false
    ) async throws -> Outcome {
        let log = CapturedLog()
        var faults = BMCFaults()
        faults.quirks = quirks
        var configuration = SimulatorConfiguration.defaultServer.steady
        // The simulator offers cipher suite 0 only when told to, as a BMC should.
        if suite == 0 { configuration.cipherSuites = [0, 3, 17] }
        var setup = try await FaultToleranceTests.Setup.make(
            bmcs: 1, requestTimeout: .milliseconds(1000), retries: 2,
            configuration: configuration, faults: faults,
            logger: log.logger(level: .info))
        setup.module.workaroundFlags = flags
        setup.module.cipherSuite = suite
        setup.module.ipmi15 = ipmi15
        let families = await setup.prepareAndScrape(0, deadline: .seconds(5))
        let sensors = try #require(try await setup.fleet.truth().bmcs.values.first).sensors.values
        await setup.shutdown()
        var truth: [String: Double] = [:]
        for sensor in sensors where sensor.threshold {
            if let reading = sensor.reading { truth[String(sensor.recordID)] = reading }
        }
        return Outcome(families: families, log: log.text, truth: truth)
    }

    static let collectors = ["ipmi", "bmc", "chassis", "sel"]

    /// A session quirk: without the flag no collector is up and the log names the flag; with it all are, at the
    /// simulator's readings.
    static func checkSession(_ quirk: BMCQuirks, flag: String, suite: UInt8? = nil, ipmi15: Bool = false) async throws {
        let failed = try await scrape(quirks: quirk, flags: [], suite: suite, ipmi15: ipmi15)
        for collector in collectors { #expect(failed.up(collector) == 0, "\(collector) is down without \(flag)") }
        #expect(!failed.hints(flag).isEmpty, "a log line names \(flag):\n\(failed.log)")
        let fixed = try await scrape(quirks: quirk, flags: [flag], suite: suite, ipmi15: ipmi15)
        for collector in collectors { #expect(fixed.up(collector) == 1, "\(collector) is up with \(flag)") }
        #expect(fixed.readsTruth)
        #expect(fixed.hints(flag).isEmpty)
    }

    /// A sensor quirk: without the flag the sensors do not read what the simulator holds and the log names the
    /// flag; with it they do.
    static func checkSensors(_ quirk: BMCQuirks, flag: String) async throws {
        let wrong = try await scrape(quirks: quirk, flags: [])
        #expect(wrong.up("ipmi") == 1)
        #expect(!wrong.readsTruth, "without \(flag) the sensors read wrong")
        #expect(!wrong.hints(flag).isEmpty, "a log line names \(flag):\n\(wrong.log)")
        let fixed = try await scrape(quirks: quirk, flags: [flag])
        #expect(fixed.up("ipmi") == 1)
        #expect(fixed.readsTruth, "with \(flag) every threshold sensor reads the simulator's value")
        #expect(fixed.hints(flag).isEmpty)
    }

    @Test func theQuirkFreeSimulatorReadsTruthWithoutFlags() async throws {
        let plain = try await Self.scrape(quirks: [], flags: [])
        for collector in Self.collectors { #expect(plain.up(collector) == 1) }
        #expect(plain.readsTruth)
        #expect(!plain.log.contains("workaround_flags: ["))
    }

    @Test func intel20PadsTheUserNameForABMCThatLooksUpOnlyPaddedNames() async throws {
        try await Self.checkSession(.intel20, flag: "intel20")
    }

    @Test func supermicro20ReadsARAKP2OneByteTooLong() async throws {
        try await Self.checkSession(.supermicro20, flag: "supermicro20")
    }

    @Test func nochecksumcheckReadsAnswersWithWrongChecksums() async throws {
        try await Self.checkSession(.nochecksumcheck, flag: "nochecksumcheck")
    }

    /// Sun's RAKP 2 is too long with HMAC-SHA1 only: cipher suite 3.
    @Test func sun20ReadsASHA1RAKP2OneByteTooLong() async throws {
        try await Self.checkSession(.sun20, flag: "sun20", suite: 3)
    }

    /// RAKP-none's RAKP 4 with an integrity check value: a module with `cipher_suite: 0`, which the exporter allows
    /// when a module names it.
    @Test func integritycheckvalueReadsARAKP4WithAnIntegrityCheckValueOverCipherSuite0() async throws {
        try await Self.checkSession(.integritycheckvalue, flag: "integritycheckvalue", suite: 0)
    }

    /// The last SDR points back to the first instead of to FFFFh: without the flag the walk stops where the chain
    /// comes back, the `ipmi` collector is down and names the flag, the others are up; with it the walk stops at the
    /// record count and every sensor reads.
    @Test func assumemaxsdrrecordcountStopsAtTheRecordCountOfAChainWithoutEnd() async throws {
        let flag = "assumemaxsdrrecordcount"
        let failed = try await Self.scrape(quirks: .assumemaxsdrrecordcount, flags: [])
        #expect(failed.up("ipmi") == 0)
        for collector in ["bmc", "chassis", "sel"] { #expect(failed.up(collector) == 1, "\(collector)") }
        #expect(!failed.hints(flag).isEmpty, "a log line names \(flag):\n\(failed.log)")
        let fixed = try await Self.scrape(quirks: .assumemaxsdrrecordcount, flags: [flag])
        for collector in Self.collectors { #expect(fixed.up(collector) == 1, "\(collector) is up with \(flag)") }
        #expect(fixed.readsTruth)
        #expect(fixed.hints(flag).isEmpty)
    }

    /// Two quirks this client copes with by itself: it does not act on the login status of Get Channel
    /// Authentication Capabilities (`authcap`: FreeIPMI refuses such a BMC without the flag, ipmitool does not), and
    /// it always asks for its privilege level in Open Session (`opensesspriv`: FreeIPMI asks for "highest" without
    /// the flag). Both work with and without their flag; the pure state machine tests show what `authcap` changes.
    @Test(arguments: [(BMCQuirks.authcap, "authcap"), (.opensesspriv, "opensesspriv")])
    func quirksThisClientNeedsNoFlagFor(quirk: BMCQuirks, flag: String) async throws {
        for flags: Set<String> in [[], [flag]] {
            let outcome = try await Self.scrape(quirks: quirk, flags: flags)
            for collector in Self.collectors { #expect(outcome.up(collector) == 1, "\(collector) with \(flags)") }
            #expect(outcome.readsTruth)
        }
    }

    @Test func ignorescanningdisabledReadsSensorsThatClaimScanningIsOff() async throws {
        try await Self.checkSensors(.ignorescanningdisabled, flag: "ignorescanningdisabled")
    }

    @Test func assumebmcownerReadsSensorsWhoseRecordsNameAnotherOwner() async throws {
        try await Self.checkSensors(.assumebmcowner, flag: "assumebmcowner")
    }

    @Test func discretereadingReadsAnalogValuesOfSensorsDescribedAsDiscrete() async throws {
        try await Self.checkSensors(.discretereading, flag: "discretereading")
    }
}
