import Foundation
import IPMIExporter
import IPMITestSupport
import PrometheusText
import Testing

@testable import ExporterCollectors

/// FreeIPMI's manufacturer-specific SEL interpretation (`ipmi-sel --interpret-oem-data`, as ipmi_exporter runs it)
/// against ours, on ipmi_sim BMCs whose Get Device ID reports the manufacturers and products FreeIPMI interprets
/// (and some it does not), each with the same SEL of entries those interpretations concern. For every entry, our
/// Event and State equal ipmi-sel's; and a scrape of the `sel-events` collector, which learns the BMC's IDs itself,
/// counts what ipmi-sel shows.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sel") && ExternalCommand.isAvailable("ipmitool"),
        "needs ipmi_sim, FreeIPMI and ipmitool"),
    .serialized)
struct SELOEMAgainstIpmiSelTests {
    /// `sel_add` arguments after the MC address (ipmi_sim_cmd(5)): record type, then the record's bytes 4-16.
    static let entries = [
        // Supermicro CPU temperature (OEM sensor type C0h, OEM event type 70h): offset 02h asserted and
        // deasserted, with OEM codes in event data 2 and 3, and another offset.
        "0x02 0 0 0 0 0x20 0x00 0x04 0xC0 0x10 0x70 0x02 0xFF 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0xC0 0x10 0xF0 0x02 0xFF 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0xC0 0x10 0x70 0xA2 0x11 0x22",
        "0x02 0 0 0 0 0x20 0x00 0x04 0xC0 0x10 0x70 0x01 0xFF 0xFF",
        // Memory errors (0Ch) with OEM codes in event data 2 and 3 (the DIMM on Supermicro X10), pairs below and
        // above 8, a deassertion, another offset, and an OEM code in event data 2 only.
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA0 0x2A 0x01",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA1 0x9B 0x03",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0xEF 0xA0 0x3C 0x02",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA1 0xF0 0x00",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA2 0x2A 0x01",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x80 0x2A 0xFF",
        // The Linux kernel's OS critical stop (generator 21h) with the panic's first characters, one with a NUL,
        // one empty, and the same entry from the BMC.
        "0x02 0 0 0 0 0x21 0x00 0x04 0x20 0x41 0x6F 0xA0 0x42 0x43",
        "0x02 0 0 0 0 0x21 0x00 0x04 0x20 0x41 0x6F 0xA0 0x00 0x43",
        "0x02 0 0 0 0 0x21 0x00 0x04 0x20 0x00 0x6F 0xA1 0x42 0x43",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x20 0x41 0x6F 0xA0 0x42 0x43",
        // OEM codes in event data 3 (a Sun X4140's FRU position number) of a threshold, a sensor-specific and a
        // generic entry.
        "0x02 0 0 0 0 0x20 0x00 0x04 0x04 0x42 0x01 0x22 0x04 0x0C",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x08 0x55 0x6F 0x21 0x04 0x0C",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x08 0x55 0x0B 0x21 0x04 0x07",
        // The kernel's panic string record (F0h), full and empty; another non-timestamped OEM record; a timestamped
        // OEM record of Supermicro's.
        "0xF0 0x20 0x01 0x6F 0x6F 0x70 0x73 0x20 0x61 0x74 0x20 0x78 0x79 0x7A",
        "0xF0 0x20 0x02 0 0 0 0 0 0 0 0 0 0 0",
        "0xE0 1 2 3 4 5 6 7 8 9 10 11 12 13",
        "0xC1 0 0 0 0 0x7C 0x2A 0x00 1 2 3 4 5 6",
    ]

    /// Entries FreeIPMI interprets on a Wistron C6220 (Dell PowerEdge C6220), logged by its BIOS (generator 01h).
    static let wistronEntries = [
        // Processor (BIOS, generator 01h) IERR and throttled with the processor in event data 2.
        "0x02 0 0 0 0 0x01 0x00 0x04 0x07 0x04 0x6F 0x80 0x01 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x07 0x04 0x6F 0x8A 0x03 0xFF",
        // PCI errors: device and function, bus.
        "0x02 0 0 0 0 0x01 0x00 0x04 0x13 0x73 0x6F 0xA4 0x2B 0x05",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x13 0x73 0x6F 0xAA 0xFF 0xFF",
        // OEM sensor type C0h (IOH core error): named offsets with the local error bit and the QPI error, an offset
        // named "reserved", one beyond the table.
        "0x02 0 0 0 0 0x01 0x00 0x04 0xC0 0x71 0x6F 0xA7 0x11 0x02",
        "0x02 0 0 0 0 0x01 0x00 0x04 0xC0 0x72 0x6F 0xAA 0x00 0x05",
        "0x02 0 0 0 0 0x01 0x00 0x04 0xC0 0x72 0x6F 0xA8 0x01 0x23",
        "0x02 0 0 0 0 0x01 0x00 0x04 0xC0 0x72 0x6F 0xA9 0x01 0x23",
        "0x02 0 0 0 0 0x01 0x00 0x04 0xC0 0x72 0x6F 0x0C 0x01 0x23",
        // South bridge bus errors' local error bit.
        "0x02 0 0 0 0 0x01 0x00 0x04 0x13 0x77 0x6F 0x87 0x05 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x13 0x77 0x6F 0x88 0x06 0xFF",
        // OEM system boot events at POST end (boot type and device), BIOS recovery, ME failure (and not).
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x85 0x6F 0x81 0x83 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x85 0x6F 0x81 0x0B 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x89 0x6F 0x81 0x02 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x8A 0x6F 0x81 0x01 0xFF",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x8A 0x6F 0x81 0x02 0xFF",
        // Memory (sensor 60h): threshold, CPU and DIMM, whatever event data 1 says ("(null)" for no single DIMM).
        "0x02 0 0 0 0 0x01 0x00 0x04 0x0C 0x60 0x6F 0x00 0x12 0x04",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x0C 0x60 0x6F 0xA1 0x57 0x03",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x0C 0x60 0x6F 0x08 0xF0 0x80",
        // POST start (the BIOS version) and POST errors, known and not.
        "0x02 0 0 0 0 0x01 0x00 0x04 0x12 0x81 0x6F 0x01 0x27 0xC5",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x0F 0x86 0x6F 0x00 0x13 0x80",
        "0x02 0 0 0 0 0x01 0x00 0x04 0x0F 0x86 0x6F 0x00 0x99 0x00",
        // The same processor entry from the BMC, and the Linux kernel's panic (its generator is Wistron's SMI's too).
        "0x02 0 0 0 0 0x20 0x00 0x04 0x07 0x04 0x6F 0x80 0x01 0xFF",
        "0x02 0 0 0 0 0x21 0x00 0x04 0x20 0x41 0x6F 0xA0 0x42 0x43",
    ]

    /// Entries FreeIPMI interprets on Gigabyte MD90-FS0-ZB and MG20-OP0-ZB boards: PCI PERR/SERR with the bus and the
    /// device and function, memory errors with the channel and DIMM (or that it is unknown), and the same with other
    /// event data 1 codes.
    static let gigabyteEntries = [
        "0x02 0 0 0 0 0x20 0x00 0x04 0x13 0x30 0x6F 0xA4 0x03 0x2B",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x13 0x30 0x6F 0x85 0x03 0x2B",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x13 0x30 0x6F 0x25 0x03 0x2B",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x13 0x30 0x6F 0xA7 0x03 0x2B",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA0 0x03 0x21",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x21 0x03 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xA5 0xFF 0x95",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0x25 0xFF 0xFF",
        "0x02 0 0 0 0 0x20 0x00 0x04 0x0C 0x08 0x6F 0xF1 0x03 0x21",
    ]

    /// Manufacturer and product IDs of the BMCs: Supermicro boards FreeIPMI names Overheat on (whose state it
    /// knows under one of Supermicro's IDs but not the other), Peppercon and Magnum Technologies boards, X10 boards
    /// that name their DIMMs, a Wistron C6220, Gigabyte boards, a Sun X4140 (whose interpretation of event data 3 FreeIPMI 1.6
    /// discards: the generic text stands), and BMCs FreeIPMI has nothing for.
    static let devices: [(manufacturer: UInt32, product: UInt16)] = [
        (10876, 1572), (10876, 43707), (47488, 43707), (10437, 4), (5593, 6), (10876, 2051), (47488, 2201),
        (42, 18177), (11161, 131), (15370, 266), (15370, 280), (10876, 9999), (4753, 0xF02),
    ]

    @Test(arguments: devices.indices)
    func everyEntryReadsAsIpmiSelPrintsIt(index: Int) async throws {
        let (manufacturer, product) = Self.devices[index]
        var configuration = IPMISim.labConfiguration(name: "seloem\(index)")
        configuration.device = "0x20 no-device-sdrs 0x03 9 8 0x9f \(manufacturer) \(product)"
        let entries =
            Self.entries + (manufacturer == 11161 ? Self.wistronEntries : [])
            + (manufacturer == 15370 ? Self.gigabyteEntries : [])
        configuration.emuCommands = entries.map { "sel_add 0x20 " + $0 }
        let bmc = try await IPMISim.start(configuration)
        let rows = try await SELOracle.ipmiSelRows(bmc)
        #expect(rows.count == entries.count)

        // Entry by entry, read with Get SEL Entry (IPMI v2.0 §31.5) through ipmitool.
        let device = SELDeviceIdentity(manufacturerID: manufacturer, productID: product)
        for row in rows {
            let id = try #require(UInt16(row[0]))
            let record = try await Self.record(id, from: bmc)
            let entry = try #require(SELEntry(record: record))
            #expect(entry.text(sensor: nil, device: device) == row[6], "\(manufacturer)/\(product) record \(id)")
            #expect(entry.state(device: device).rawValue == row[5], "\(manufacturer)/\(product) record \(id)")
        }

        // Through the collector: one rule per Event text ipmi-sel printed, matching exactly that text.
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.selEvents])
        let texts = Set(rows.map { $0[6] }).sorted()
        module.selEvents = texts.enumerated().map {
            SELEventRule(
                name: "rule\($0.offset)", pattern: "^" + NSRegularExpression.escapedPattern(for: $0.element) + "$")
        }
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        let families = await harness.scrape(bmc, module: module)
        func samples(_ name: String) -> [String: Double] { SELEventMetricsTests.samples(families, name) }
        var theirStates: [String: Double] = [:]
        for row in rows { theirStates[row[5], default: 0] += 1 }
        #expect(samples("ipmi_sel_events_count_by_state") == theirStates, "\(manufacturer)/\(product)")
        let byName = samples("ipmi_sel_events_count_by_name")
        for (index, text) in texts.enumerated() {
            #expect(byName["rule\(index)"] == Double(rows.filter { $0[6] == text }.count), "\(text)")
        }
    }

    /// The 16 bytes of SEL record `id`, from ipmitool's raw Get SEL Entry (no reservation, offset 0, whole record);
    /// the answer starts with the next record's ID.
    static func record(_ id: UInt16, from bmc: IPMISim) async throws -> [UInt8] {
        let output = try await ExternalCommand.output(
            "ipmitool",
            SELOracle.ipmitool(bmc) + [
                "raw", "0x0a", "0x43", "0", "0", "\(id & 0xFF)", "\(id >> 8)", "0", "0xff",
            ])
        let bytes = output.split(whereSeparator: \.isWhitespace).compactMap { UInt8($0, radix: 16) }
        try #require(bytes.count == 18, "\(output)")
        return Array(bytes.dropFirst(2))
    }
}
