import Foundation
import IPMIExporter
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Intel's Node Manager texts (OEM sensor type DCh) against libfreeipmi's, for every combination the Node Manager's
/// interpretation reads: an ipmi_sim BMC's SDR repository holds the Node Manager discovery record (with sensor
/// numbers other than the usual 18h-1Bh, so a hard-coded number would show), FreeIPMI's `ipmi-sensors` caches it in
/// an SDR cache file, and `scripts/freeipmi-sel-text.py --sdr-cache` gives the Event and State columns libfreeipmi
/// prints with that cache, for each record; ours are rendered with the record decoded by ``IntelNodeManagerRecord``.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmi-sensors")
            && ExternalCommand.isAvailable("python3"),
        "needs ipmi_sim, FreeIPMI and python3"))
struct SELOEMIntelNodeManagerAgainstFreeIPMITests {
    /// The discovery record (OEM, C0h): Intel's manufacturer ID, subtype 0Dh, version 01h, the Node Manager at
    /// 7-bit address 16h (2Ch) on channel 6, LUN 0; health 51h, exception 52h, capabilities 53h, alert threshold
    /// 54h.
    static let record: [UInt8] = [
        0x00, 0x00, 0x51, 0xC0, 0x0B, 0x57, 0x01, 0x00, 0x0D, 0x01, 0x2C, 0x60, 0x51, 0x52, 0x53, 0x54,
    ]
    static let (health, exception, capabilities, threshold): (UInt8, UInt8, UInt8, UInt8) = (0x51, 0x52, 0x53, 0x54)

    /// The boards FreeIPMI reads with the Node Manager's interpretation (``SELOEMIntel/nodeManagerTextDevices``:
    /// Intel's, an Inventec, a Quanta), and boards of the same manufacturers it does not.
    static let fullDevices: [(UInt32, UInt16)] = [(343, 77), (343, 112), (20569, 51)]
    static let otherDevices: [(UInt32, UInt16)] = [
        (343, 78), (343, 111), (343, 73), (343, 64), (343, 62), (20569, 52), (7244, 21401), (343, 40), (343, 9999),
        (7244, 1), (20569, 53),
    ]

    /// A system event record (IPMI v2.0 §32.1) from the Management Engine (generator 2Ch), or `generator`.
    static func line(
        _ device: (UInt32, UInt16), sensorType: UInt8 = 0xDC, sensor: UInt8, type: UInt8, _ data: [UInt8],
        generator: UInt8 = 0x2C
    ) -> FreeIPMISELOracle.Case {
        let bytes: [UInt8] = [0x01, 0x00, 0x02, 0, 0, 0, 0, generator, 0x00, 0x04, sensorType, sensor, type] + data
        return (SELDeviceIdentity(manufacturerID: device.0, productID: device.1), bytes)
    }

    /// Every combination: event data 1 (all of it, or its flag combinations with the offsets) for each Node
    /// Manager event type and sensor number, then event data 2 and 3 (all 256 values each) where the text reads them.
    static func lines() -> [FreeIPMISELOracle.Case] {
        var lines: [FreeIPMISELOracle.Case] = []
        // The Node Manager's event types (72h also deasserted), for every sensor number; another OEM type and the
        // generic state type (SMaRT/CLST's) for two.
        let sensors: [UInt8] = [health, exception, capabilities, threshold, 0x17, 0xC1, 0xB2, 0x18]
        let types: [UInt8] = [0x72, 0xF2, 0x73, 0x74, 0x75]
        var sources: [(UInt8, UInt8)] = types.flatMap { type in sensors.map { (type, $0) } }
        sources += [(0x70, health), (0x70, 0xB2), (0x03, health), (0x03, 0xB2)]
        let pairs: [[UInt8]] = [[0xA3, 0x01], [0xFF, 0xFF]]
        let flagged = Array(0x00...0x0F) + Array(0xA0...0xAF)
        for (devices, data1s) in [(fullDevices, Array(0...255)), (otherDevices, flagged)] {
            for device in devices {
                for (type, sensor) in sources {
                    for data1 in data1s {
                        for pair in data1s.count == 256 ? pairs : [pairs[0]] {
                            lines.append(line(device, sensor: sensor, type: type, [UInt8(data1)] + pair))
                        }
                    }
                }
                // Another generator: FreeIPMI compares the sensor number alone.
                lines.append(line(device, sensor: health, type: 0x73, [0xA2, 0xA1, 0x03], generator: 0x20))
                // Another sensor type with the Node Manager's sensor numbers and types.
                lines.append(line(device, sensorType: 0xC0, sensor: exception, type: 0x72, [0xA8, 0x01, 0x02]))
            }
        }
        let device = fullDevices[0]
        let all = Array(UInt8.min...UInt8.max)
        func sweep(sensor: UInt8, type: UInt8, data1: [UInt8], data2: [UInt8], data3: [UInt8]) {
            for d1 in data1 {
                for d2 in data2 {
                    for d3 in data3 { lines.append(line(device, sensor: sensor, type: type, [d1, d2, d3])) }
                }
            }
        }
        // Health: the error type and domain in event data 2; event data 3 by error type, when event data 2 is an
        // OEM code.
        sweep(
            sensor: health, type: 0x73, data1: [0xA2, 0x22, 0x62, 0xE2], data2: all, data3: [0x00, 0x0F, 0xA5, 0xFF])
        sweep(sensor: health, type: 0x73, data1: [0xA2], data2: [0x83, 0xA1, 0xB2, 0xC4, 0xF0, 0x00], data3: all)
        // Firmware health: the event in event data 2, event data 3 by event.
        sweep(sensor: 0x17, type: 0x75, data1: [0xA0, 0x00], data2: all, data3: [0x00, 0x01, 0x1D, 0x8E, 0xFF])
        sweep(sensor: 0x17, type: 0x75, data1: [0xA0], data2: [0x03, 0x04, 0x07, 0x0D, 0x0F, 0x10, 0xFF], data3: all)
        // Exception, alert threshold and CUPS: the domain in event data 2, the policy in event data 3.
        for (sensor, data1) in [(exception, [UInt8]([0xA8, 0x08])), (threshold, [0xA0, 0xA9]), (0xC1, [0xA1, 0xA8])] {
            sweep(sensor: sensor, type: 0x72, data1: data1, data2: all, data3: [0x07])
            sweep(sensor: sensor, type: 0x72, data1: data1, data2: [0x02], data3: all)
        }
        // SMaRT/CLST (E5-2600 v3 boards): event data 3 when event data 1 says it is an OEM code.
        for device in [(UInt32(343), UInt16(112)), (343, 77)] {
            for d1 in [0xA0, 0xA1, 0x20, 0x60, 0xE0, 0x10, 0x30] as [UInt8] {
                for d2: UInt8 in [0x12, 0xFF] {
                    for d3 in all { lines.append(line(device, sensor: 0xB2, type: 0x03, [d1, d2, d3])) }
                }
            }
        }
        return lines
    }

    /// An S2600JF (Intel, product 77) whose SDR repository holds only the discovery record, and whose SEL holds
    /// Node Manager events: health, exception, capabilities, alert threshold, firmware health, and an exception from
    /// a sensor number that is not the record's.
    static func configuration(name: String) -> IPMISim.Configuration {
        var configuration = IPMISim.Configuration()
        configuration.name = name
        configuration.device = "0x20 no-device-sdrs 0x03 9 8 0x9f 343 77"
        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "0x%02X", $0) }.joined(separator: " ") }
        configuration.emuCommands =
            ["main_sdr_add 0x20 " + hex(record)]
            + [
                [0x51, 0x73, 0xA2, 0xA5, 0x01], [0x52, 0x72, 0xA8, 0x01, 0x03], [0x53, 0x74, 0x07, 0xFF, 0xFF],
                [0x54, 0x72, 0xA1, 0x02, 0x05], [0x17, 0x75, 0xA0, 0x0F, 0x2F], [0x18, 0x72, 0xA8, 0x01, 0x03],
            ].map { "sel_add 0x20 0x02 0 0 0 0 0x2C 0x00 0x04 0xDC " + hex($0) }
        return configuration
    }

    /// The `sel-events` collector reads the record from the BMC's SDRs itself: its texts equal ipmi-sel's.
    @Test func collectorReadsTheRecordAsIpmiSelDoes() async throws {
        let bmc = try await IPMISim.start(Self.configuration(name: "nodemanagersel"))
        let rows = try await SELOracle.ipmiSelRows(bmc)
        #expect(rows.count == 6)
        // Health, exception and alert threshold name their domain; the exception from sensor 18h does not.
        #expect(rows.filter { $0[6].contains("Domain ID = ") }.count == 3, "\(rows)")
        // One rule per entry, named by its record ID, matching exactly the Event text ipmi-sel printed for it: each
        // counts the entries whose text is that one.
        let rules = rows.map { row in
            SELEventRule(name: "entry" + row[0], pattern: "^" + NSRegularExpression.escapedPattern(for: row[6]) + "$")
        }
        let expected = Dictionary(
            uniqueKeysWithValues: rows.map { row in ("entry" + row[0], Double(rows.filter { $0[6] == row[6] }.count)) })
        let harness = try await ScrapeAgainstLabBMCTests.Harness.make()
        defer { Task { await harness.shutdown() } }
        var module = ScrapeAgainstLabBMCTests.module(collectors: [.selEvents])
        module.selEvents = rules
        let samples = SELEventMetricsTests.samples(
            await harness.scrape(bmc, module: module), "ipmi_sel_events_count_by_name")
        #expect(samples == expected)
    }

    @Test func everyNodeManagerEventReadsAsLibfreeipmiPrintsIt() async throws {
        // The SDR cache FreeIPMI writes for a BMC whose repository holds the record.
        let bmc = try await IPMISim.start(Self.configuration(name: "nodemanager"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("sdr-cache").path
        _ = try await bmc.freeIPMI("ipmi-sensors", ["--sdr-cache-file", cache])

        let lines = Self.lines()
        let record = try #require(IntelNodeManagerRecord(record: Self.record))
        let cached = try await FreeIPMISELOracle.run(lines, interpretedOn: nil, sdrCache: cache, nodeManager: record)
        // The record took effect in libfreeipmi: some entries read as Node Manager events.
        #expect(cached.answers.filter { $0.first?.contains("Domain ID = ") == true }.count > 1000)
        #expect(
            cached.mismatches.isEmpty,
            "\(cached.mismatches.count) of \(lines.count) differ:\n\(cached.mismatches.prefix(30).joined(separator: "\n"))"
        )
        // Our texts with the record that differ from ours without it.
        let named = lines.filter { item in
            guard let entry = SELEntry(record: item.record) else { return false }
            return entry.text(sensor: nil, device: item.device, nodeManager: record)
                != entry.text(sensor: nil, device: item.device)
        }.count
        #expect(named > 1000, "the record changes few texts")

        // Without SDRs (one line in eight): the texts without the Node Manager's, ipmi-sel's as well.
        let sample = lines.enumerated().filter { $0.offset % 8 == 0 }.map(\.element)
        let plain = try await FreeIPMISELOracle.run(sample, interpretedOn: nil).mismatches
        #expect(
            plain.isEmpty,
            "without SDRs \(plain.count) of \(sample.count) differ:\n\(plain.prefix(30).joined(separator: "\n"))")
    }
}

/// The texts the SEL cache keeps follow the Node Manager record: an S2600JF's Node Manager health event read before
/// the SDRs hold the record, then with it, then without it again. The texts are libfreeipmi's for this record
/// (`scripts/freeipmi-sel-text.py`, without and with an SDR cache holding the record).
@Suite struct SELOEMIntelNodeManagerCacheTests {
    @Test func keptTextsFollowTheRecord() async throws {
        let bytes: [UInt8] = [0x01, 0x00, 0x02, 0, 0, 0, 0, 0x20, 0x00, 0x04, 0xDC, 0x19, 0x73, 0xA2, 0xA5, 0x01]
        let entry = try #require(SELEntry(record: bytes))
        let record = try #require(IntelNodeManagerRecord(record: IntelNodeManagerRecordBytes.usual))
        let device = SELDeviceIdentity(manufacturerID: 343, productID: 77)
        let generic = "OEM Event Offset = 02h ; OEM Event Data2 code = A5h ; OEM Event Data3 code = 01h"
        let named = "Sensor Node Manager ; Domain ID = 5, Error Type = Policy Misconfiguration ; Policy ID = 1"
        let cache = SELCache()
        #expect(await cache.texts(of: [entry], sensors: [:], device: device) == [generic])
        #expect(await cache.texts(of: [entry], sensors: [:], device: device, nodeManager: record) == [named])
        #expect(await cache.texts(of: [entry], sensors: [:], device: device) == [generic])
        // Another board: no Node Manager texts, record or not.
        let other = SELDeviceIdentity(manufacturerID: 343, productID: 40)
        #expect(await cache.texts(of: [entry], sensors: [:], device: other, nodeManager: record) == [generic])
    }
}

/// A discovery record with the usual sensor numbers: health 19h, exception 18h, capabilities 1Ah, threshold 1Bh.
enum IntelNodeManagerRecordBytes {
    static let usual: [UInt8] = [
        0x00, 0x00, 0x51, 0xC0, 0x0B, 0x57, 0x01, 0x00, 0x0D, 0x01, 0x2C, 0x60, 0x19, 0x18, 0x1A, 0x1B,
    ]
}
