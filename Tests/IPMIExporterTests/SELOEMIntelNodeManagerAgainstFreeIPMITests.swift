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
    ) -> String {
        let bytes: [UInt8] = [0x01, 0x00, 0x02, 0, 0, 0, 0, generator, 0x00, 0x04, sensorType, sensor, type] + data
        return "\(device.0) \(device.1) " + bytes.map { String(format: "%02X", $0) }.joined()
    }

    /// Every combination: event data 1 (all of it, or its flag combinations with the offsets) for each Node
    /// Manager event type and sensor number, then event data 2 and 3 (all 256 values each) where the text reads them.
    static func lines() -> [String] {
        var lines: [String] = []
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

    /// libfreeipmi's Event and State columns for `lines`, with the SDR cache file `cache` or without SDRs.
    static func oracle(_ lines: [String], cache: String?, in directory: URL) async throws -> [[String]] {
        let input = directory.appendingPathComponent("records-\(cache == nil ? "plain" : "cached")")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/freeipmi-sel-text.py").path
        // The script reads its standard input; sh gives it the file.
        let output = try await ExternalCommand.output(
            "sh",
            ["-c", "exec python3 \"$0\" $1 < \"$2\"", script, cache.map { "--sdr-cache \($0)" } ?? "", input.path],
            timeout: 300)
        let rows = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        try #require(rows.count == lines.count, "the oracle answered \(rows.count) of \(lines.count) records")
        return rows
    }

    /// Our Event and State columns of each line against the oracle's `rows`: the mismatches (at most 30 shown).
    static func compare(
        _ lines: [String], _ rows: [[String]], nodeManager: IntelNodeManagerRecord?
    ) throws -> (mismatched: Int, shown: [String], named: Int) {
        var (mismatched, shown, named) = (0, [String](), 0)
        for (line, row) in zip(lines, rows) {
            let fields = line.split(separator: " ")
            let device = SELDeviceIdentity(manufacturerID: UInt32(fields[0])!, productID: UInt16(fields[1])!)
            let hex = String(fields[2])
            let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
            let entry = try #require(SELEntry(record: bytes))
            let text = entry.text(sensor: nil, device: device, nodeManager: nodeManager)
            let state = entry.state(device: device).rawValue
            if text != entry.text(sensor: nil, device: device) { named += 1 }
            guard row.count == 2, text != row[0] || state != row[1] else { continue }
            mismatched += 1
            if shown.count < 30 { shown.append("\(line): ours \(text)\t\(state), FreeIPMI \(row[0])\t\(row[1])") }
        }
        return (mismatched, shown, named)
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
        let rows = try await Self.oracle(lines, cache: cache, in: directory)
        // The record took effect in libfreeipmi: some entries read as Node Manager events.
        #expect(rows.filter { $0.first?.contains("Domain ID = ") == true }.count > 1000)
        let record = try #require(IntelNodeManagerRecord(record: Self.record))
        let cached = try Self.compare(lines, rows, nodeManager: record)
        #expect(
            cached.mismatched == 0,
            "\(cached.mismatched) of \(lines.count) differ:\n\(cached.shown.joined(separator: "\n"))")
        #expect(cached.named > 1000, "the record changes few texts")

        // Without SDRs (one line in eight): the texts without the Node Manager's, ipmi-sel's as well.
        let sample = lines.enumerated().filter { $0.offset % 8 == 0 }.map(\.element)
        let plain = try Self.compare(sample, try await Self.oracle(sample, cache: nil, in: directory), nodeManager: nil)
        #expect(
            plain.mismatched == 0,
            "without SDRs \(plain.mismatched) of \(sample.count) differ:\n\(plain.shown.joined(separator: "\n"))")
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
