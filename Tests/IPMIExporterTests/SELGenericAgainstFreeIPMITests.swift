import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The generic SEL texts and states, those of a BMC whose manufacturer FreeIPMI has no interpretation for (and of an
/// unknown BMC, `device: nil`), against the installed libfreeipmi's (scripts/freeipmi-sel-text.py makes ipmi-sel's
/// calls), for entries without an SDR: every event/reading type (threshold, generic discrete, sensor-specific, OEM
/// and undefined ones), every event data 1 of every sensor type for the sensor-specific type and of a representative
/// set for the others, both directions, event data 2 and 3 where the text reads them (previous state and severity, OEM
/// codes, threshold readings), several generator IDs, and OEM records of every OEM record type. All in one run of the
/// oracle. (The sensor-specific extension codes' texts are checked byte by byte by SELEventDataAgainstFreeIPMITests.)
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELGenericAgainstFreeIPMITests {
    /// Manufacturer 1 (not one FreeIPMI interprets), product 1.
    static let device = SELDeviceIdentity(manufacturerID: 1, productID: 1)

    /// Sensor types for the event/reading types that do not depend much on it: reserved (00h), temperature,
    /// voltage, fan, processor, power supply, memory, system firmware progress, event logging disabled, system event,
    /// chip set, OS critical stop, slot/connector, watchdog 2, management subsystem health, session audit, version
    /// change, FRU state, the last defined (2Ch) and first undefined (2Dh), OEM (C0h, DCh) and FFh.
    static let representativeSensorTypes: [UInt8] = [
        0x00, 0x01, 0x02, 0x04, 0x07, 0x08, 0x0C, 0x0F, 0x10, 0x12, 0x19, 0x20, 0x21, 0x23, 0x28, 0x2A, 0x2B, 0x2C,
        0x2D, 0xC0, 0xDC, 0xFF,
    ]
    /// Generic discrete types (§42.1, table 42-2): 02h-0Ch.
    static let genericTypes: [UInt8] = Array(0x02...0x0C)
    /// Types §42.1 does not define: 00h, the one after the generic ones (0Dh), one in the middle (50h), the ones
    /// before sensor-specific (6Eh) and after OEM (7Fh is OEM's last; event type byte 7Fh with bit 7 clear).
    static let undefinedTypes: [UInt8] = [0x00, 0x0D, 0x50, 0x6E]
    /// Event data 2 and 3 pairs a record cycles through (the same pair would hide a text reading the wrong byte):
    /// unspecified (FFh), zero, one of each, and others.
    static let dataPairs: [(UInt8, UInt8)] = [
        (0x5A, 0x0B), (0xFF, 0xFF), (0x00, 0x00), (0x12, 0xFF), (0xFF, 0x34), (0x07, 0xA5), (0xC3, 0x81),
    ]

    /// A system event record (IPMI v2.0 §32.1): generator ID (bytes 8-9), event message revision (04h), sensor type
    /// and number, event/reading type with the direction in bit 7 (byte 13), event data 1-3.
    static func event(
        _ sensorType: UInt8, _ number: UInt8, _ eventType: UInt8, _ data1: UInt8, _ data2: UInt8, _ data3: UInt8,
        deasserted: Bool = false, generator: (UInt8, UInt8) = (0x20, 0x00)
    ) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x78, 0x56, 0x34, 0x12, generator.0, generator.1, 0x04, sensorType, number,
            eventType | (deasserted ? 0x80 : 0), data1, data2, data3,
        ]
    }

    /// Every event data 1 for each sensor type of `sensorTypes` and event type of `eventTypes`, half of them
    /// deasserted (each offset both ways, as the upper bits go), event data 2 and 3 cycling through ``dataPairs``.
    static func everyData1(_ sensorTypes: [UInt8], _ eventTypes: [UInt8]) -> [[UInt8]] {
        var records: [[UInt8]] = []
        for sensorType in sensorTypes {
            for eventType in eventTypes {
                for data1 in 0...255 {
                    let deasserted = (data1 >> 4 ^ Int(sensorType) ^ Int(eventType)) & 1 == 1
                    let pair = dataPairs[(Int(sensorType) + data1) % dataPairs.count]
                    records.append(
                        event(
                            sensorType, UInt8(data1 & 0x3F), eventType, UInt8(data1), pair.0, pair.1,
                            deasserted: deasserted))
                }
            }
        }
        return records
    }

    static func records() -> [[UInt8]] {
        // Sensor-specific: every sensor type.
        var records = everyData1(Array(0...255).map(UInt8.init), [0x6F])
        // Threshold, generic discrete, OEM and undefined types: the representative sensor types.
        records += everyData1(representativeSensorTypes, [0x01] + genericTypes + undefinedTypes)
        records += everyData1([0x01, 0x07, 0xC0, 0xFF], Array(0x70...0x7F))
        // Previous state and severity (event data 1 bits 7:6 = 01b, event data 3 unspecified or an OEM code or an
        // extension code): every event data 2 of every sensor type, sensor-specific, the offset following the
        // sensor type; and of the generic types.
        for sensorType in 0...255 {
            for data2 in 0...255 {
                let upper: UInt8 = [0x40, 0x60, 0x70][data2 % 3]
                let data1 = upper | UInt8(sensorType & 0x0F)
                records.append(event(UInt8(sensorType), 0x10, 0x6F, data1, UInt8(data2), UInt8(255 - data2)))
            }
        }
        for eventType in genericTypes + [0x01, 0x70, 0x0D] {
            for sensorType: UInt8 in [0x01, 0x12, 0x2C] {
                for data2 in 0...255 {
                    records.append(event(sensorType, 0x10, eventType, 0x43, UInt8(data2), 0xFF))
                }
            }
        }
        // OEM codes and threshold readings: every event data 2 (event data 3 unspecified or not), every event data 3.
        for eventType: UInt8 in [0x01, 0x03, 0x6F, 0x70, 0x7F, 0x50] {
            for sensorType: UInt8 in [0x02, 0x21] {
                for upper: UInt8 in [0xA0, 0x50, 0x60] {
                    for byte in 0...255 {
                        records.append(event(sensorType, 0x20, eventType, upper | 0x04, UInt8(byte), 0xFF))
                        records.append(event(sensorType, 0x20, eventType, upper | 0x04, 0xFF, UInt8(byte)))
                        records.append(event(sensorType, 0x20, eventType, upper | 0x04, UInt8(byte), 0x33))
                    }
                }
            }
        }
        // Generator IDs: the BMC (20h), another controller (41h), a satellite (33h), system software 00h (01h),
        // the Linux kernel (21h), on channels and LUNs; each offset of a few sensor and event types, with nothing,
        // previous states, OEM codes and extension codes in event data 2 and 3.
        let generators: [(UInt8, UInt8)] = [
            (0x20, 0x00), (0x41, 0x00), (0x33, 0x13), (0x01, 0x00), (0x21, 0x00), (0x20, 0x63), (0x81, 0xF0),
        ]
        for generator in generators {
            for sensorType: UInt8 in [0x00, 0x01, 0x07, 0x0C, 0x10, 0x12, 0x20, 0x23, 0x2C, 0xC0, 0xFF] {
                for eventType: UInt8 in [0x6F, 0x01, 0x03, 0x70] {
                    for upper: UInt8 in [0x00, 0x50, 0xA0, 0xF0] {
                        for offset: UInt8 in 0...15 {
                            records.append(
                                event(sensorType, 0x48, eventType, upper | offset, 0x4C, 0x58, generator: generator))
                        }
                    }
                }
            }
            // The Linux kernel's panic characters (OS critical stop, sensor number and both bytes OEM codes).
            for (number, data2, data3): (UInt8, UInt8, UInt8) in [
                (0x4F, 0x6F, 0x70), (0x00, 0x41, 0x42), (0x41, 0x00, 0x42), (0x41, 0x42, 0x00), (0x41, 0xFF, 0xFF),
            ] {
                for data1: UInt8 in [0xA0, 0xA1, 0xA5, 0x80, 0x20, 0xB0, 0xE0] {
                    records.append(event(0x20, number, 0x6F, data1, data2, data3, generator: generator))
                    records.append(event(0x20, number, 0x03, data1, data2, data3, generator: generator))
                }
            }
        }
        // OEM records: every record type, each with a few payloads (no byte a line or field separator: the Linux
        // kernel's panic record, F0h, prints its bytes as they are).
        for type in 0xC0...0xFF {
            for fill: UInt8 in [0x20, 0x41, 0xFF] {
                var record: [UInt8] = [0x05, 0x00, UInt8(type)] + (3..<16).map { UInt8($0) ^ fill }
                records.append(record)
                record[5] = 0x00
                records.append(record)
            }
        }
        return records
    }

    @Test func everyGenericEntryAsLibfreeipmiPrintsIt() async throws {
        let records = Self.records()
        let device = Self.device
        let comparison = try await FreeIPMISELOracle.run(
            records.map { (device: device, record: $0) }, interpretedOn: nil)
        print("SELGenericAgainstFreeIPMITests: \(records.count) records compared")
        // The BMC of an uninterpreted manufacturer (the comparison's own), and a BMC whose identity is unknown.
        FreeIPMISELOracle.expectNone(comparison, of: records.count)
        var unknownIdentity: [String] = []
        for (record, theirs) in zip(records, comparison.answers) {
            let entry = try #require(SELEntry(record: record))
            let ours = [entry.text(sensor: nil, device: nil), entry.state(device: nil).rawValue]
            if ours != theirs {
                unknownIdentity.append("\(FreeIPMISELOracle.hex(record)): ours \(ours) theirs \(theirs)")
            }
        }
        #expect(unknownIdentity.isEmpty, "device nil: \(unknownIdentity.count) differ: \(unknownIdentity.prefix(20))")
        let lines = comparison.answers

        // The oracle did answer each kind of text.
        let theirs = Set(lines.map { $0.first ?? "" })
        for text in [
            "Lower Critical - going low ; Sensor Reading = ", "OEM Event Offset = 0", "Event Offset = 0",
            "OEM defined = ", "transition to Non-Critical from OK", "Device Removed/Device Absent", "Previous State = ",
            "Severity State = ", "OEM Event Data2 code = ", "OEM Event Data3 code = ", "Event Data2 = ",
            "Correctable memory error ; ", "Timestamp Clock Synch ; ",
        ] {
            #expect(theirs.contains { $0.contains(text) }, "no answer of the oracle has \"\(text)\"")
        }
        let states = Set(lines.compactMap(\.last))
        #expect(states == ["Nominal", "Warning", "Critical", "N/A"], "the oracle's states: \(states)")
    }

    /// Which record types are system event and OEM records, as libfreeipmi classifies them (ipmi-sel prints no row
    /// for the others, only "Unknown SEL Record Type" on standard error): our entries exist for exactly those.
    @Test func recordTypesAsLibfreeipmiClassifiesThem() async throws {
        let scriptDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts").path
        let program = """
            import sys; sys.path.insert(0, sys.argv[1])
            from freeipmi_tables import library
            lib, _ = library()
            print(" ".join(str(lib.ipmi_sel_record_type_class(t)) for t in range(256)))
            """
        let output = try await ExternalCommand.output("python3", ["-c", program, scriptDirectory], timeout: 60)
        let classes = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        try #require(classes.count == 256, "the oracle answered \(output.prefix(200))")
        // libfreeipmi's classes (freeipmi/sel/ipmi-sel.h): 0 system event, 1 timestamped OEM, 2 non-timestamped OEM.
        for type in 0...255 {
            var record = Self.event(0x01, 0x01, 0x01, 0x52, 0x10, 0x20)
            record[2] = UInt8(type)
            let entry = SELEntry(record: record)
            // A timestamped OEM record has six OEM bytes, a non-timestamped one thirteen.
            let ours = entry.map { $0.oemData.map { $0.count == 13 ? 2 : 1 } ?? 0 } ?? 3
            #expect(ours == classes[type], "record type \(String(format: "%02Xh", type))")
        }
    }
}
