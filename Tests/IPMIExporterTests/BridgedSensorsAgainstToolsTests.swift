import ExporterScrape
import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// `bridge_sensors` against ipmi_sim hosting a satellite controller at 30h behind its BMC (the bridging lab of
/// `Tests/Lab`), with FreeIPMI's `ipmi-sensors` run at test time on the same BMC as the oracle: with the option, as
/// `ipmi-sensors --bridge-sensors`; without it, as `ipmi-sensors`.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct BridgedSensorsAgainstToolsTests {
    typealias Lab = ScrapeAgainstLabBMCTests

    static func module(bridgeSensors: Bool) -> ModuleConfig {
        var module = Lab.module(collectors: [.ipmi])
        module.bridgeSensors = bridgeSensors
        return module
    }

    static let stateFamilies: Set<String> = [
        "ipmi_temperature_state", "ipmi_fan_speed_state", "ipmi_voltage_state", "ipmi_current_state",
        "ipmi_power_state", "ipmi_sensor_state",
    ]

    /// Record IDs of our sensor series.
    static func ourIDs(_ families: [MetricFamily]) -> Set<String> {
        var ids: Set<String> = []
        for family in families where stateFamilies.contains(family.name) {
            for sample in family.samples {
                if let id = sample.labels.first(where: { $0.name == "id" })?.value { ids.insert(id) }
            }
        }
        return ids
    }

    /// Checks every sensor FreeIPMI lists with a reading or state against our series (name, state, value) and
    /// returns the record IDs of those sensors: the series ipmi_exporter (ipmimonitoring) would have.
    static func compare(_ families: [MetricFamily], withFreeIPMI csv: String) -> Set<String> {
        var available: Set<String> = []
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 7 else { continue }
            let (id, name, type, state, reading, unit, event) = (
                fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]
            )
            if state == "N/A", reading == "N/A", event == "N/A" { continue }
            available.insert(id)
            let labels = ["id": id, "name": name]
            let (valueName, stateName, scale) = Lab.familyNames(unit: unit, type: type)
            let ourState = Lab.value(families, stateName, labels)
            #expect(ourState != nil, "no state sample for \(name) (\(id))")
            switch state {
            // Documented difference: past a non-critical threshold is Warning for us, Nominal for FreeIPMI.
            case "Nominal": #expect(ourState == (event.contains("Non-Critical") ? 1 : 0), "state of \(name)")
            case "Warning": #expect(ourState == 1, "state of \(name)")
            case "Critical": #expect(ourState == 2, "state of \(name)")
            default: #expect(ourState?.isNaN == true, "state of \(name) should be unknown")
            }
            let ours = Lab.value(families, valueName, labels)
            if let theirs = Double(reading) {
                #expect(ours.map { abs($0 / scale - theirs) <= 0.0051 } == true, "value of \(name): \(ours as Any)")
            } else {
                #expect(ours?.isNaN == true, "\(name) has no reading but we exported \(ours as Any)")
            }
        }
        return available
    }

    /// `ipmi-sensors --bridge-sensors` leaves out a sensor whose bridged read failed, says so on stderr
    /// ("ipmi_sensor_read: internal IPMI error") and exits 1; the lines it printed are the oracle.
    @Test(arguments: [true, false])
    func theSeriesAreFreeIPMIsWithTheSameOption(bridgeSensors: Bool) async throws {
        let bmc = try await IPMISim.start(IPMISim.bridgedLabConfiguration())
        let harness = try await Lab.Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: Self.module(bridgeSensors: bridgeSensors))
        #expect(Lab.value(families, "ipmi_up", ["collector": "ipmi"]) == 1)

        let result = try Lab.runFreeIPMISensors(
            bmc, ["--output-sensor-state"] + (bridgeSensors ? ["--bridge-sensors"] : []))
        #expect(result.status == 0 || (bridgeSensors && result.status == 1), "\(result.stderr)")
        #expect(
            result.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("ipmi_sensor_read:") }, "\(result.stderr)")
        let csv = result.stdout
        let theirs = Self.compare(families, withFreeIPMI: csv)
        #expect(Self.ourIDs(families) == theirs)
        #expect(!theirs.isEmpty)
        // The lab names the satellite's sensors "Sat …": read (LUN 1 included) with the option, left out without.
        let satellite = csv.split(separator: "\n").filter { $0.contains(",Sat ") && !$0.hasSuffix(",N/A") }
        let ourSatellite = families.flatMap(\.samples).filter { $0.labels.contains { $0.value.hasPrefix("Sat ") } }
        if bridgeSensors {
            #expect(satellite.count >= 6, "\(csv)")
            #expect(satellite.contains { $0.contains("Sat LUN1 Temp") })
        } else {
            #expect(satellite.isEmpty, "\(csv)")
            #expect(ourSatellite.isEmpty)
        }
    }

    /// ipmitool's `sdr elist` bridges to the owners of the sensors on its own: the satellite's readings agree.
    @Test func theSatellitesReadingsAreIpmitools() async throws {
        let bmc = try await IPMISim.start(IPMISim.bridgedLabConfiguration())
        let harness = try await Lab.Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: Self.module(bridgeSensors: true))
        var compared = 0
        for line in try bmc.ipmitool(["sdr", "elist"]).split(separator: "\n") {
            // "Sat CPU Temp     | 10h | unc |  3.1 | 88 degrees C"
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count == 5, columns[0].hasPrefix("Sat "),
                let reading = columns[4].split(separator: " ").first.flatMap({ Double($0) })
            else { continue }
            let family = [
                "degrees C": "ipmi_temperature_celsius", "Volts": "ipmi_voltage_volts", "RPM": "ipmi_fan_speed_rpm",
            ]
            let unit = columns[4].split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            let name = try #require(family[unit], "unit \(unit) of \(columns[0])")
            let ours = Lab.value(families, name, ["name": columns[0]])
            #expect(ours.map { abs($0 - reading) <= 0.0051 } == true, "\(columns[0]): \(ours as Any) vs \(reading)")
            compared += 1
        }
        #expect(compared >= 6)
    }

    /// ipmitool's `sensor` asks each sensor's owner for its thresholds through Send Message: with `bridge_sensors` the
    /// `thresholds` collector does too, and every threshold equals ipmitool's (the satellite's CPU temperature has
    /// thresholds of its own, unlike the BMC's sensor of the same number and its SDR); without, the satellite's
    /// sensors have none. (FreeIPMI asks the BMC with the satellite's sensor number and stops: no oracle here.)
    @Test(arguments: [true, false])
    func theSatellitesThresholdsAreIpmitools(bridgeSensors: Bool) async throws {
        let bmc = try await IPMISim.start(IPMISim.bridgedLabConfiguration(name: "bridged-thresholds"))
        let harness = try await Lab.Harness.make()
        defer { Task { await harness.shutdown() } }
        var module = Lab.module(collectors: [.ipmi, .thresholds])
        module.bridgeSensors = bridgeSensors
        let families = await harness.scrape(bmc, module: module)
        #expect(Lab.value(families, "ipmi_up", ["collector": "thresholds"]) == 1)
        let levels = [
            "lower_non_recoverable", "lower_critical", "lower_non_critical", "upper_non_critical", "upper_critical",
            "upper_non_recoverable",
        ]
        var compared = 0
        var satellite = 0
        // "Sat 5V Rail      | 4.992      | Volts      | ok    | na        | 4.498     | 4.732     | 5.252     | …"
        for line in try bmc.ipmitool(["sensor"]).split(separator: "\n") {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count == 10 else { continue }
            let isSatellite = columns[0].hasPrefix("Sat ")
            for (index, level) in levels.enumerated() {
                let ours = Lab.value(families, "ipmi_sensor_threshold", ["name": columns[0], "level": level])
                guard let theirs = Double(columns[4 + index]), bridgeSensors || !isSatellite else {
                    #expect(ours == nil, "\(columns[0]) \(level): ours \(ours as Any), ipmitool \(columns[4 + index])")
                    continue
                }
                // ipmitool prints three decimals; ours are FreeIPMI's two.
                #expect(ours.map { abs($0 - theirs) <= 0.005 + 1e-9 } == true, "\(columns[0]) \(level): \(ours as Any)")
                compared += 1
                if isSatellite { satellite += 1 }
            }
        }
        // The BMC's CPU1 Temp (3) and 12V Rail (4); the satellite's CPU and PCH temperatures (3 each), 5V rail (4)
        // and fan (3).
        #expect(compared == (bridgeSensors ? 20 : 7))
        #expect(satellite == (bridgeSensors ? 13 : 0))
        if bridgeSensors {
            #expect(
                Lab.value(families, "ipmi_sensor_threshold", ["name": "Sat CPU Temp", "level": "upper_critical"]) == 100
            )
        }
    }

    /// A controller the BMC cannot reach (40h: Send Message answered 83h) is logged once at info and counted once;
    /// its sensors are not asked for again in the session, while the satellite's are read on every scrape.
    @Test func aRefusingControllerIsRememberedForTheSession() async throws {
        let bmc = try await IPMISim.start(IPMISim.bridgedLabConfiguration())
        let log = CapturedLog()
        let harness = try await Lab.Harness.make(logger: log.logger(level: .debug))
        defer { Task { await harness.shutdown() } }
        let plain = Self.module(bridgeSensors: false)
        let bridged = Self.module(bridgeSensors: true)
        var sent: [String: [Int]] = [:]
        // The same session serves both modules; the first scrape is the cold start.
        for module in [plain, bridged, plain, bridged, bridged] {
            let before = harness.transport.statistics.snapshot.packetsSent
            let families = await harness.scrape(bmc, module: module)
            #expect(Lab.value(families, "ipmi_up", ["collector": "ipmi"]) == 1)
            sent[module.bridgeSensors ? "bridged" : "plain", default: []].append(
                Int(harness.transport.statistics.snapshot.packetsSent - before))
        }
        let refusals = log.text.split(separator: "\n").filter { $0.contains("bridged sensor reads refused") }
        #expect(refusals.count == 1)
        #expect(refusals.allSatisfy { $0.contains("level=info") && $0.contains("0x40") && $0.contains("0x83") })
        #expect(Lab.selfMetric(harness.metrics, "ipmi_exporter_errors_total", ["reason": "unsupported"]) == 1)
        let plainWarm = try #require(sent["plain"]?.last)
        let bridgedScrapes = try #require(sent["bridged"])
        // The lab has 8 sensors on controllers the BMC reaches (7 on 30h, one on 2Ch of channel 6, which ipmi_sim
        // answers CCh every time) and one on 40h: the first bridged scrape asks for all 9, the later ones for 8.
        #expect(bridgedScrapes == [plainWarm + 9, plainWarm + 8, plainWarm + 8], "\(sent)")
    }

    /// On a target whose sensors all belong to the BMC, `bridge_sensors` sends nothing more and changes no series.
    @Test func bridgeSensorsCostsNothingWithoutBridgedSensors() async throws {
        let bmc = try await IPMISim.start(IPMISim.labConfiguration())
        let harness = try await Lab.Harness.make()
        defer { Task { await harness.shutdown() } }
        _ = await harness.scrape(bmc, module: Self.module(bridgeSensors: false))
        var sent: [Int] = []
        var series: [[String]] = []
        for bridge in [false, true] {
            let before = harness.transport.statistics.snapshot.packetsSent
            let families = await harness.scrape(bmc, module: Self.module(bridgeSensors: bridge))
            sent.append(Int(harness.transport.statistics.snapshot.packetsSent - before))
            // As text: a NaN sample is not equal to itself.
            series.append(families.filter { !$0.name.contains("duration") }.map { String(describing: $0) })
        }
        #expect(sent[0] == sent[1])
        #expect(series[0] == series[1])
    }
}
