import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

@testable import ExporterCollectors

/// Entries whose event data 2 and 3 carry sensor-specific extension codes (IPMI v2.0 §29.7, table 42-3), previous
/// states and severities, in an ipmi_sim SEL, against `ipmi-sel` run with ipmi_exporter 1.10's arguments: for every
/// entry (matched by record ID, its bytes read with `ipmi-sel --hex-dump`), our Event text and State equal
/// ipmi-sel's columns; and the `sel-events` collector, scraping the same BMC, counts by state and by one rule per
/// ipmi-sel text what ipmi-sel shows.
@Suite(
    .enabled(if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sel"), "needs ipmi_sim and FreeIPMI"),
    .serialized)
struct SELEventDataAgainstIpmiSelTests {
    /// Generator ID (slave address or software ID) and sensor type, sensor number, event direction and type, event
    /// data 1-3 of system event records (§32.1). Event data 1 bits 7:6 / 5:4 = 11b: extension codes in event data 2 /
    /// 3; 01b in bits 7:6: previous state and severity; 10b: OEM codes.
    static let kinds: [(generator: UInt8, bytes: String)] =
        [
            // Physical security, LAN leash lost: the network controller.
            "0x05 0x60 0x6F 0xC4 0x02 0xFF",
            // System firmware progress: an error, a hang, a progress code, a code FreeIPMI does not name.
            "0x0F 0x61 0x6F 0xC0 0x0B 0xFF", "0x0F 0x61 0x6F 0xC1 0x13 0xFF", "0x0F 0x61 0x6F 0xC2 0x19 0xFF",
            "0x0F 0x61 0x6F 0xC0 0x0E 0xFF",
            // Event logging disabled: memory module, event type and offset, SEL almost full, machine check instance.
            "0x10 0x62 0x6F 0xC0 0x07 0xFF", "0x10 0x62 0x6F 0xF1 0x6F 0x32", "0x10 0x62 0x6F 0xF1 0x0C 0x05",
            "0x10 0x62 0x6F 0xF5 0xFF 0x5A", "0x10 0x62 0x6F 0xF6 0x04 0x80", "0x10 0x62 0x6F 0xF6 0x04 0x00",
            "0x10 0x62 0x6F 0xC6 0x04 0xFF",
            // System event: auxiliary log (both parts, one), PEF action, timestamp clock synch (known clock or not).
            "0x12 0x63 0x6F 0xC3 0x13 0xFF", "0x12 0x63 0x6F 0xC3 0x2E 0xFF", "0x12 0x63 0x6F 0xC3 0xAF 0xFF",
            "0x12 0x63 0x6F 0xC4 0x01 0xFF", "0x12 0x63 0x6F 0xC5 0x81 0xFF", "0x12 0x63 0x6F 0xC5 0x02 0xFF",
            // Chip set soft power control failure: requested state and state at request.
            "0x19 0x64 0x6F 0xF0 0x0C 0x0D", "0x19 0x64 0x6F 0xF0 0x0D 0x0E",
            // System restart: cause and channel.
            "0x1D 0x65 0x6F 0xF7 0xF4 0x01", "0x1D 0x65 0x6F 0xF6 0x04 0x01",
            // Slot/connector: type and number; an unknown type.
            "0x21 0x66 0x6F 0xF2 0x87 0x0C", "0x21 0x66 0x6F 0xC0 0x0D 0xFF",
            // Watchdog 2: timer use and interrupt type.
            "0x23 0x67 0x6F 0xC8 0x14 0xFF", "0x23 0x67 0x6F 0xC0 0x60 0xFF",
            // Management subsystem health: sensor number; FRU failure.
            "0x28 0x68 0x6F 0xC4 0x42 0xFF", "0x28 0x68 0x6F 0xF5 0x9D 0x20",
            // Session audit: user and channel; deactivation cause; unspecified user; deasserted.
            "0x2A 0x69 0x6F 0xF0 0x45 0x27", "0x2A 0x69 0x6F 0xF1 0x02 0x11", "0x2A 0x69 0x6F 0xF0 0xC0 0x01",
            "0x2A 0x69 0xEF 0xF1 0x02 0x21",
            // Version change: a type; one past the table; a generic event of a version change sensor.
            "0x2B 0x6A 0x6F 0xC7 0x02 0xFF", "0x2B 0x6A 0x6F 0xC1 0x18 0xFF", "0x2B 0x6A 0x03 0xC1 0x02 0xFF",
            // FRU state: previous state and cause; an unknown previous state; previous state and severity (01b).
            "0x2C 0x6B 0x6F 0xC4 0x54 0xFF", "0x2C 0x6B 0x6F 0xC0 0xB8 0xFF", "0x2C 0x6B 0x6F 0x44 0xF3 0xFF",
            "0x2C 0x6B 0x6F 0x44 0x13 0xFF",
            // Power supply configuration error: the error type; one FreeIPMI does not name.
            "0x08 0x6C 0x6F 0xF6 0xFF 0x03", "0x08 0x6C 0x6F 0xF6 0xFF 0x05", "0x08 0x6C 0x6F 0xF6 0xFF 0xF1",
            // Memory: the spare module; another offset's module (not named).
            "0x0C 0x6D 0x6F 0xF8 0xFF 0x0B", "0x0C 0x6D 0x6F 0xF1 0xFF 0x0B",
            // Severity and previous state of a sensor type without a previous-state text.
            "0x0C 0x6D 0x6F 0x41 0x21 0xFF", "0x0C 0x6D 0x6F 0x41 0x9F 0xFF", "0x0C 0x6D 0x6F 0x41 0x2F 0xFF",
            // An OEM event type whose event data 1 says previous state: OEM codes.
            "0xC0 0x6E 0x70 0x51 0x11 0x22",
            // A threshold event of a sensor type with extension texts.
            "0x21 0x6F 0x01 0xF7 0x00 0x03",
            // Sensor types whose event data table 42-3 defines but FreeIPMI prints as bytes: processor, critical
            // interrupt (bus, device/function), OS boot, entity presence, a power supply rating mismatch's extra byte.
            "0x07 0x71 0x6F 0xF0 0x01 0x02", "0x13 0x70 0x6F 0xF4 0x05 0x03", "0x1F 0x73 0x6F 0xC0 0x01 0xFF",
            "0x25 0x72 0x6F 0xC0 0x05 0xFF", "0x08 0x6C 0x6F 0xF6 0x20 0x03",
            // The machine check case with event data 3 unspecified; an OEM sensor type's extension code.
            "0x10 0x62 0x6F 0xF6 0x04 0xFF", "0xC0 0x75 0x6F 0xC1 0x11 0xFF",
            // Offsets FreeIPMI does not name, with event data 2 specified (a threshold one with its reading, from
            // the SDR of Fan3, sensor 42h); event/reading types no table has, their bytes printed whatever event
            // data 1 says.
            "0x0C 0x6D 0x6F 0xCE 0x01 0xFF", "0x04 0x42 0x01 0x5D 0x04 0x0C",
            // Threshold readings of a sensor the SDR does not describe and of a discrete one (power supply 50h):
            // raw bytes.
            "0x04 0x7A 0x01 0x52 0x04 0x0C", "0x08 0x50 0x01 0x52 0x04 0x0C", "0x0C 0x6D 0x20 0x01 0x11 0x22",
            "0x0C 0x6D 0x0D 0x01 0xFF 0xFF",
        ].map { (0x20, $0) } + [
            // A Linux kernel panic (generator 21h, OS critical stop, OEM codes): "Ker", and one cut short by a NUL.
            (0x21, "0x20 0x4B 0x6F 0xA1 0x65 0x72"), (0x21, "0x20 0x4B 0x6F 0xA1 0x00 0x72"),
        ]

    /// The record bytes of each entry, by record ID, from `ipmi-sel --hex-dump` ("RID:[01][00] RT:[02] ...").
    static func hexDump(_ bmc: IPMISim) async throws -> [UInt16: [UInt8]] {
        let output = try await SELOracle.ipmiSel(bmc, ["--hex-dump"])
        var records: [UInt16: [UInt8]] = [:]
        for line in output.split(separator: "\n") {
            let bytes = line.split(separator: "[").dropFirst().compactMap { UInt8($0.prefix(2), radix: 16) }
            guard bytes.count == 16 else { continue }
            records[UInt16(bytes[0]) | UInt16(bytes[1]) << 8] = bytes
        }
        return records
    }

    @Test func everyEntrysEventAndStateAreIpmiSels() async throws {
        var configuration = IPMISim.labConfiguration(name: "seldata")
        configuration.emuCommands = Self.kinds.map {
            "sel_add 0x20 0x02 0 0 0 0 0x\(String($0.generator, radix: 16)) 0x00 0x04 " + $0.bytes
        }
        let bmc = try await IPMISim.start(configuration)
        let rows = try await SELOracle.ipmiSelRows(bmc)
        let records = try await Self.hexDump(bmc)
        #expect(rows.count == Self.kinds.count)
        #expect(records.count == Self.kinds.count)
        var compared = 0
        for row in rows {
            let id = try #require(UInt16(row[0]))
            let entry = try #require(records[id].flatMap { SELEntry(record: $0) }, "record \(id)")
            #expect(entry.state.rawValue == row[5], "record \(id): \(records[id] ?? []), \(row[6])")
            // Fan3's (42h) threshold entry with a reading needs its SDR: compared through the collector below.
            let flags = (entry.eventData[0] >> 6, entry.eventData[0] >> 4 & 0b11)
            if entry.sensorKey.sensorNumber == 0x42, flags.0 == 0b01 || flags.1 == 0b01 { continue }
            #expect(entry.text(sensor: nil) == row[6], "record \(id): \(records[id] ?? [])")
            compared += 1
        }
        // Every entry but the one threshold entry with a reading.
        #expect(compared == Self.kinds.count - 1)

        // The collector over the same SEL: the states, and one rule per text ipmi-sel printed.
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.selEvents])
        let exact = Set(rows.map { "^" + NSRegularExpression.escapedPattern(for: $0[6]) + "$" }).sorted()
        module.selEvents = exact.enumerated().map { SELEventRule(name: "rule\($0.offset)", pattern: $0.element) }
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: module)
        var theirStates: [String: Double] = [:]
        for row in rows { theirStates[row[5], default: 0] += 1 }
        #expect(SELEventMetricsTests.samples(families, "ipmi_sel_events_count_by_state") == theirStates)
        let byName = SELEventMetricsTests.samples(families, "ipmi_sel_events_count_by_name")
        for (index, pattern) in exact.enumerated() {
            let regex = try Regex(pattern)
            let theirs = Double(rows.filter { $0[6].contains(regex) }.count)
            #expect(byName["rule\(index)"] == theirs, "\(pattern)")
        }
    }
}
