import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The Open Compute Windmill's SEL texts and states (``SELOEMIntelWindmill``) against the installed libfreeipmi's
/// (scripts/freeipmi-sel-text.py makes ipmi-sel's calls): every event data 1 of every sensor and event type the
/// Windmill's interpretation tests (and neighbours it must leave alone), every event data 2 and 3 of each event it
/// reads them for, every byte of the POST error codes, every device identification number and error code of its OEM
/// records; and the same entries on BMCs that are not a Windmill (Quanta's and Wiwynn's IDs, another Intel product),
/// which FreeIPMI prints generically. All in one run of the oracle.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMIntelWindmillAgainstFreeIPMITests {
    static let windmill = SELDeviceIdentity(manufacturerID: 343, productID: 2818)
    /// Quanta (7244) and Wiwynn (40981) with the Windmill's product ID, and Intel's product before it.
    static let others = [
        SELDeviceIdentity(manufacturerID: 7244, productID: 2818),
        SELDeviceIdentity(manufacturerID: 40981, productID: 2818),
        SELDeviceIdentity(manufacturerID: 343, productID: 2817),
    ]

    /// Sensor types and numbers: the BMC's OEM sensors (C0h), the BIOS's throttling, machine check, PCI Express,
    /// ECC, POST error, other IIO error and ME firmware health sensors; and neighbours (another C0h sensor, a
    /// throttling sensor number under the other sensor type).
    static let sensors: [(type: UInt8, number: UInt8)] = [
        (0xC0, 0x5F), (0xC0, 0x70), (0xC0, 0x28), (0xC0, 0x42), (0xC0, 0x5E), (0xC0, 0x9F), (0xC0, 0x00),
        (0x07, 0x3C), (0x0C, 0x3D), (0x07, 0x40), (0x13, 0x41), (0x0C, 0x63), (0x0F, 0x2B), (0x13, 0x43),
        (0xDC, 0x17), (0x0C, 0x3C),
    ]
    /// Event/reading types: threshold, generic discrete (both ends and between), sensor-specific, OEM (the two the
    /// interpretation reads, both ends).
    static let eventTypes: [UInt8] = [0x01, 0x02, 0x03, 0x07, 0x0C, 0x6F, 0x70, 0x71, 0x75, 0x7F]

    /// Events whose event data 2 and 3 the interpretation reads: sensor type, number, event type, offset. The
    /// discrete ones as sensor-specific (6Fh) and generic (03h) events, which FreeIPMI reads alike.
    typealias Reader = (type: UInt8, number: UInt8, eventType: UInt8, offset: UInt8)
    static let readers: [Reader] = {
        let discrete: [(type: UInt8, number: UInt8, offset: UInt8)] = [
            (0x07, 0x3C, 0x0A), (0x0C, 0x3D, 0x09), (0x07, 0x40, 0x0B), (0x07, 0x40, 0x0C), (0x13, 0x41, 0x07),
            (0x13, 0x41, 0x08), (0x13, 0x41, 0x0A), (0x0C, 0x63, 0x00), (0x0C, 0x63, 0x01),
        ]
        var readers: [Reader] = []
        for sensor in discrete {
            for eventType: UInt8 in [0x6F, 0x03] {
                readers.append((sensor.type, sensor.number, eventType, sensor.offset))
            }
        }
        return readers + [(0xDC, 0x17, 0x75, 0x00), (0x07, 0x17, 0x75, 0x00), (0x13, 0x43, 0x70, 0x00)]
    }()

    /// A system event record (IPMI v2.0 §32.1) from the BMC (generator 20h).
    static func event(
        _ sensorType: UInt8, _ number: UInt8, _ eventType: UInt8, _ data1: UInt8, _ data2: UInt8, _ data3: UInt8
    ) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x04, sensorType, number, eventType, data1, data2,
            data3,
        ]
    }

    /// A timestamped or non-timestamped OEM record (§32.2, §32.3): the bytes after the record type.
    static func oemRecord(_ type: UInt8, _ tail: [UInt8]) -> [UInt8] { [0x02, 0x00, type] + tail }

    static func windmillRecords() -> [[UInt8]] {
        var records: [[UInt8]] = []
        // Every event data 1, asserted (with event data 2 and 3 unspecified too where the interpretation reads them
        // whatever event data 1 says) and deasserted (event type bit 7).
        for sensor in sensors {
            for eventType in eventTypes {
                let bytes: [(UInt8, UInt8)] =
                    [0x6F, 0x70, 0x75].contains(eventType) ? [(0xFF, 0xFF), (0x5A, 0x0B)] : [(0x5A, 0x0B)]
                for data1 in 0...255 {
                    for (data2, data3) in bytes {
                        records.append(event(sensor.type, sensor.number, eventType, UInt8(data1), data2, data3))
                    }
                }
            }
            for data1 in 0...255 { records.append(event(sensor.type, sensor.number, 0xEF, UInt8(data1), 0x5A, 0x0B)) }
        }
        // Every event data 2, then every event data 3, of each event whose bytes are read: both OEM codes, event
        // data 2's only, event data 3's only (an OEM event type's are read whatever event data 1 says).
        for reader in readers {
            for upper: UInt8 in [0xA0, 0x80, 0x20] {
                let data1 = upper | reader.offset
                for byte in 0...255 {
                    records.append(event(reader.type, reader.number, reader.eventType, data1, UInt8(byte), 0x00))
                    records.append(event(reader.type, reader.number, reader.eventType, data1, 0xFF, UInt8(byte)))
                }
            }
        }
        // POST error codes (event data 2 the low byte, 3 the high byte): every low byte with each high byte of a
        // code FreeIPMI names (00h, 01h, 51h, 57h) and FFh, every high byte with a few low bytes.
        for high: UInt8 in [0x00, 0x01, 0x51, 0x57, 0xFF] {
            for low in 0...255 { records.append(event(0x0F, 0x2B, 0x6F, 0xA0, UInt8(low), high)) }
        }
        for low: UInt8 in [0x00, 0x20, 0x24, 0x57] {
            for high in 0...255 { records.append(event(0x0F, 0x2B, 0x6F, 0xA0, low, UInt8(high))) }
        }
        // Known codes without both OEM flags, with another offset, as a generic event type, deasserted.
        for code in SELOEMIntelWindmill.postErrors.keys {
            for (eventType, data1): (UInt8, UInt8) in [
                (0x6F, 0x80), (0x6F, 0x20), (0x6F, 0xA1), (0x03, 0xA0), (0xEF, 0xA0),
            ] {
                records.append(event(0x0F, 0x2B, eventType, data1, UInt8(code & 0xFF), UInt8(code >> 8)))
            }
        }
        records += oemRecords()
        return records
    }

    /// OEM records: every error code (low byte, high byte 00h and 01h) of each device identification number known
    /// and a few unknown, in a timestamped record; other record types.
    static func oemRecords() -> [[UInt8]] {
        var records: [[UInt8]] = []
        let identifications = Array(0x3C00...0x3C10) + [0x0000, 0x003C, 0x3D00, 0xFFFF]
        for identification in identifications {
            for error in 0...0x1FF {
                let tail: [UInt8] = [
                    0x10, 0x20, 0x30, 0x40, 0x57, 0x01, 0x00, UInt8(error & 0xFF), 0x3C,
                    UInt8(identification & 0xFF), UInt8(identification >> 8), UInt8(error & 0xFF), UInt8(error >> 8),
                ]
                records.append(oemRecord(0xC0, tail))
            }
        }
        for type: UInt8 in [0xC1, 0xDF, 0xE0, 0xF0, 0xFF] {
            for error: UInt8 in [0x70, 0x97, 0x00] {
                records.append(oemRecord(type, [0, 0, 0, 0, 0x57, 0x01, 0x00, 0x01, 0x00, 0x02, 0x3C, error, 0x00]))
            }
        }
        return records
    }

    /// Fewer records for the other BMCs: every offset with and without OEM codes, the known POST codes, OEM records.
    static func otherRecords() -> [[UInt8]] {
        var records: [[UInt8]] = []
        for sensor in sensors {
            for eventType: UInt8 in [0x03, 0x6F, 0x70, 0x75] {
                for offset: UInt8 in 0...15 {
                    for upper: UInt8 in [0x00, 0xA0] {
                        records.append(event(sensor.type, sensor.number, eventType, upper | offset, 0x5A, 0x0B))
                    }
                }
            }
        }
        for code in SELOEMIntelWindmill.postErrors.keys {
            records.append(event(0x0F, 0x2B, 0x6F, 0xA0, UInt8(code & 0xFF), UInt8(code >> 8)))
        }
        for data1 in [0x01, 0x10, 0x02, 0x04] { records.append(event(0xC0, 0x5F, 0x6F, UInt8(data1), 0xFF, 0xFF)) }
        for data1 in [0x01, 0x10, 0x02, 0x04] { records.append(event(0xC0, 0x70, 0x6F, UInt8(data1), 0xFF, 0xFF)) }
        records += oemRecords().enumerated().filter { $0.offset % 64 == 0 }.map(\.element)
        return records
    }

    @Test func everyWindmillEntryAsLibfreeipmiPrintsIt() async throws {
        var cases: [FreeIPMISELOracle.Case] = Self.windmillRecords().map { (Self.windmill, $0) }
        for device in Self.others { cases += Self.otherRecords().map { (device, $0) } }
        let run = try await FreeIPMISELOracle.run(cases, interpretedOn: Self.windmill)
        let (lines, mismatches) = (run.answers, run.mismatches)
        print("SELOEMIntelWindmillAgainstFreeIPMITests: \(cases.count) records compared")
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ, first: \(mismatches.prefix(10))")

        // The oracle did interpret the Windmill: each kind of its texts appears in its answers.
        let theirs = Set(lines.map { $0.first ?? "" })
        for text in [
            "SEL Clear", "SEL Rollover", "Power Status = AC Lost", "Status = Hotswap shutdown",
            "Processor Automatically Throttled ; Throttling = External ; CPU/VR = 0",
            "Machine Check Exception ; Error Code Number = 255 ; CPU = 7, Source = Unknown QPI",
            "Bus Fatal Error ; Device 31, Function 7 ; Bus Number = 255",
            "Correctable memory error ; Logical Rank = 3 ; CPU Number = 7, Channel Number = 3, Dimm = 7",
            "OEM Event Offset = 00h ; Health Event = Persistent storage integrity error",
            "OEM Event Offset = 00h ; Error ID = 0xFF ; CPU Number = 7, Source = VT-d",
            "System Firmware Error ; Recover HECI from Abnormal Mode Successfully",
            "Devie ID = 15375, Device Identification Number = IIO NTB Secondary Endpoint, Error = Surprise Down",
        ] {
            #expect(theirs.contains { $0.hasPrefix(text) }, "no answer of the oracle starts with \"\(text)\"")
        }
    }
}
