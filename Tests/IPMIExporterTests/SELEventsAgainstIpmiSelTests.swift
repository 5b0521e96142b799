import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// The `sel-events` collector against `ipmi-sel` (run with ipmi_exporter 1.10's arguments) on the same ipmi_sim
/// SEL: the states counted and the entries each rule matches, where the rules' regular expressions are applied to
/// ipmi-sel's Event column as the oracle, and one rule per text ipmi-sel printed. Covers threshold entries (their
/// readings converted with the SDR), discrete entries and OEM records, timestamped and not.
@Suite(
    .enabled(if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sel"), "needs ipmi_sim and FreeIPMI"),
    .serialized)
struct SELEventsAgainstIpmiSelTests {
    static let patterns = [
        "^OEM defined = 01h 02h 03h 04h 05h 06h$",
        "^OEM defined = 01h 02h 03h 04h 05h 06h 07h 08h 09h 0Ah 0Bh 0Ch 0Dh$",
        "^OEM defined",
        "Uncorrectable memory error",
        "Power Supply Failure detected",
        "Sensor Reading = [0-9.]+ RPM",
    ]

    @Test func statesAndRuleMatchesAreIpmiSels() async throws {
        var configuration = IPMISim.labConfiguration(name: "sel")
        configuration.emuCommands = [
            // System event records (§32.1): memory uncorrectable ECC, power supply failure, processor IERR.
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x01 0xFF 0xFF",
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x08 0x50 0x6F 0x01 0xFF 0xFF",
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x07 0x51 0x6F 0x00 0xFF 0xFF",
            // Threshold entries with the trigger reading and threshold in event data 2 and 3 (data 1 = 5xh):
            // Fan3 (sensor 42h) lower critical going low, PSU1 Current (sensor 30h) upper critical going high.
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x04 0x42 0x01 0x52 0x04 0x0C",
            "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 0x03 0x30 0x01 0x59 0x60 0x50",
            // Timestamped OEM record (C1h) of a manufacturer FreeIPMI does not interpret, and a non-timestamped one.
            "sel_add 0x20 0xC1 0 0 0 0 0xa2 0x02 0x00 1 2 3 4 5 6",
            "sel_add 0x20 0xE0 1 2 3 4 5 6 7 8 9 10 11 12 13",
        ]
        let bmc = try await IPMISim.start(configuration)
        let directory = try ServeCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("sdr").path
        try FileManager.default.createDirectory(
            atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let csv = try await ExternalCommand.output(
            "ipmi-sel",
            [
                "-D", "LAN_2_0", "-W", "opensesspriv", "-l", "admin", "-h", bmc.address, "-u", "admin", "-p",
                "password", "--quiet-cache", "--comma-separated-output", "--no-header-output",
                "--sdr-cache-recreate", "--output-event-state", "--interpret-oem-data", "--entity-sensor-names",
                "--sdr-cache-directory", cache,
            ])
        // ID,Date,Time,Name,Type,State,Event: the Event column may hold commas of its own.
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 6).map(String.init) }
            .filter { $0.count == 7 }
        #expect(rows.count == 7)
        var theirStates: [String: Double] = [:]
        for row in rows { theirStates[row[5], default: 0] += 1 }

        var module = ScrapeAgainstLabBMCTests.module(collectors: [.selEvents])
        // Besides the patterns, one rule per Event text ipmi-sel printed, matching exactly that text.
        let exact = Set(rows.map { "^" + NSRegularExpression.escapedPattern(for: $0[6]) + "$" }).sorted()
        let patterns = Self.patterns + exact
        module.selEvents = patterns.enumerated().map { SELEventRule(name: "rule\($0.offset)", pattern: $0.element) }
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: module)
        func samples(_ name: String) -> [String: Double] {
            Dictionary(
                uniqueKeysWithValues: (families.first { $0.name == name }?.samples ?? []).map {
                    ($0.labels.map(\.value).joined(), $0.value)
                })
        }
        #expect(samples("ipmi_sel_events_count_by_state") == theirStates)
        for (index, pattern) in patterns.enumerated() {
            let regex = try Regex(pattern)
            let theirs = Double(rows.filter { $0[6].contains(regex) }.count)
            #expect(theirs > 0, "\(pattern) matches no ipmi-sel row")
            #expect(samples("ipmi_sel_events_count_by_name")["rule\(index)"] == theirs, "\(pattern)")
        }
    }
}
