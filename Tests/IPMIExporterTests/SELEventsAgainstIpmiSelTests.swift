import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

/// The `sel-events` collector against `ipmi-sel` (run with ipmi_exporter 1.10's arguments) on the same ipmi_sim
/// SEL: the states counted and the entries each rule matches, where the rules' regular expressions are applied to
/// ipmi-sel's Event column as the oracle, and one rule per text ipmi-sel printed. Covers threshold entries (their
/// readings converted with the SDR), discrete entries and OEM records, timestamped and not, assertions and
/// deassertions, and the event data FreeIPMI appends.
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

    /// Sensor type, sensor number, event direction and type, event data 1-3 of system event records (§32.1) whose
    /// State and Event differ by direction, by what event data 1 says event data 2 and 3 hold (§29.7), or by an offset
    /// the tables do not name.
    static let moreKinds = [
        // Deassertions: of a sensor-specific event (state unchanged), of threshold events (critical becomes
        // warning, non-critical nominal, non-recoverable stays), of a generic redundancy event.
        "0x0C 0x08 0xEF 0x01 0xFF 0xFF", "0x04 0x42 0x81 0x02 0xFF 0xFF", "0x04 0x42 0x81 0x00 0xFF 0xFF",
        "0x04 0x42 0x81 0x04 0xFF 0xFF", "0x04 0x42 0x81 0x09 0xFF 0xFF", "0x08 0x55 0x8B 0x01 0xFF 0xFF",
        // Threshold offsets whose assertion is not the worst: going the other way.
        "0x04 0x42 0x01 0x01 0xFF 0xFF", "0x04 0x42 0x01 0x03 0xFF 0xFF", "0x04 0x42 0x01 0x06 0xFF 0xFF",
        "0x04 0x42 0x01 0x08 0xFF 0xFF",
        // Threshold event data: the reading alone, the threshold alone, OEM codes, extension codes.
        "0x04 0x42 0x01 0x42 0x11 0xFF", "0x04 0x42 0x01 0x12 0x05 0x0C", "0x04 0x42 0x01 0xA2 0x11 0x22",
        "0x04 0x42 0x01 0xF2 0x11 0x22",
        // Discrete event data: OEM codes (unspecified FFh left out), extension codes, severity in event data 2.
        "0x0C 0x08 0x6F 0xA0 0xFF 0x05", "0x0C 0x08 0x6F 0x81 0x12 0xFF", "0x0C 0x08 0x6F 0xF1 0x01 0x03",
        "0x0C 0x08 0x6F 0x31 0x01 0x03", "0x0C 0x08 0x6F 0xF1 0xFF 0xFF", "0x08 0x55 0x0B 0x51 0x23 0xFF",
        "0x08 0x55 0x0B 0x41 0x0F 0xFF", "0x08 0x55 0x0B 0x41 0xF2 0xFF", "0x07 0x51 0x6F 0xF0 0x11 0x22",
        // Generic types: severity, state, limit, availability (no state), redundancy.
        "0x01 0x5b 0x07 0x02 0xFF 0xFF", "0x01 0x5b 0x87 0x00 0xFF 0xFF", "0x01 0x5b 0x03 0x01 0xFF 0xFF",
        "0x01 0x5b 0x85 0x01 0xFF 0xFF", "0x05 0x5b 0x05 0x00 0xFF 0xFF", "0x01 0x5b 0x0A 0x02 0xFF 0xFF",
        "0x08 0x55 0x0B 0x00 0xFF 0xFF",
        // Sensor-specific: drive slot, event logging, system event, watchdog 2, power supply presence.
        "0x0D 0x52 0x6F 0x00 0xFF 0xFF", "0x0D 0x52 0xEF 0x01 0xFF 0xFF", "0x10 0x90 0x6F 0x02 0xFF 0xFF",
        "0x12 0x91 0x6F 0x00 0xFF 0xFF", "0x23 0x92 0x6F 0x01 0xFF 0xFF", "0x08 0x50 0xEF 0x00 0xFF 0xFF",
        // OEM: an OEM event type with its codes, an OEM sensor type; offsets no table names.
        "0xC0 0x08 0x70 0xF1 0x11 0x22", "0xC0 0x08 0x6F 0x01 0xFF 0xFF", "0x0C 0x08 0x6F 0x0E 0xFF 0xFF",
        "0x04 0x42 0x01 0x0D 0xFF 0xFF", "0x08 0x55 0x0B 0x5E 0xFF 0xFF",
    ]

    @Test func statesAndRuleMatchesAreIpmiSels() async throws {
        var configuration = IPMISim.labConfiguration(name: "sel")
        configuration.emuCommands =
            [
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
            ] + Self.moreKinds.map { "sel_add 0x20 0x02 0 0 0 0 0x20 0x00 0x04 " + $0 }
        let bmc = try await IPMISim.start(configuration)
        let rows = try await SELOracle.ipmiSelRows(bmc)
        #expect(rows.count == 7 + Self.moreKinds.count)
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
