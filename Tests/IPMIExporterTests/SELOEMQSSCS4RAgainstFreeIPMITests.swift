import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The Quanta QSSC-S4R's SEL interpretation (``SELOEMQSSCS4R``, Intel's manufacturer ID 343 with product 64) against
/// the installed libfreeipmi's own (scripts/freeipmi-sel-text.py makes ipmi-sel's calls): for every sensor type,
/// sensor number, generator and event/reading type the board's interpretation tests (and neighbours it must not
/// take), every event data 1 (both directions), and every value of each byte the text depends on, our Event and
/// State columns equal FreeIPMI's, record for record. The oracle runs once, on all the records.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMQSSCS4RAgainstFreeIPMITests {
    static let qssc = SELDeviceIdentity(manufacturerID: 343, productID: 64)

    /// A system event record (IPMI v2.0 §32.1): record ID 1, type 02h, no timestamp, IPMB LUN 0, event message
    /// format 04h.
    static func record(
        generator: UInt8 = 0x33, sensorType: UInt8, sensorNumber: UInt8, eventType: UInt8, data: [UInt8]
    ) -> [UInt8] {
        [0x01, 0x00, 0x02, 0, 0, 0, 0, generator, 0x00, 0x04, sensorType, sensorNumber, eventType] + data
    }

    /// Shapes (sensor type, sensor numbers, event/reading types, generators) for which every event data 1 is tried:
    /// the board's sensors with every event type it reads (and the standard ones), beside sensor numbers it does not
    /// read; the Node Manager's, the DIMM thermal sensor's, the SMI timeout's and the NMI state's, whose states and
    /// text FreeIPMI gives this board.
    static let shapes: [(sensorType: UInt8, numbers: [UInt8], types: [UInt8], generators: [UInt8])] = {
        let types: [UInt8] = [0x03, 0x0B, 0x6F] + Array(0x70...0x77)
        return [
            (0x13, [0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x17, 0x18], types, [0x33]),
            (0x0C, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0B, 0x0C, 0x11], types, [0x33]),
            (0x0F, [0x05, 0x06], types, [0x33, 0x20]),
            (0x21, [0x20, 0x21], types, [0x33]),
            (0x28, [0x6E, 0x6D], [0x6F, 0x75, 0x76], [0x2C]),
            (0xDC, [0x17], [0x72, 0x73, 0x74, 0x75, 0x76], [0x2C]),
            (0xF3, [0x10], [0x03, 0x6F], [0x20]),
            (0xC0, [0x10], [0x03], [0x20]),
        ]
    }()

    /// The events whose event data 2 and 3 are read alone, by sensor type, sensor number, event type and offset: each
    /// byte goes through all 256 values, the other fixed, with event data 1 saying both, one, or neither hold OEM
    /// codes.
    static let singleByteEvents: [(sensorType: UInt8, number: UInt8, type: UInt8, offset: UInt8)] = [
        (0x13, 0x03, 0x6F, 0x04), (0x13, 0x03, 0x6F, 0x05), (0x0C, 0x02, 0x6F, 0x00), (0x0C, 0x02, 0x6F, 0x01),
        (0x0C, 0x01, 0x0B, 0x00), (0x0C, 0x01, 0x0B, 0x01), (0x21, 0x20, 0x6F, 0x00), (0x13, 0x04, 0x70, 0x00),
        (0x13, 0x05, 0x71, 0x06), (0x13, 0x06, 0x72, 0x00), (0x13, 0x07, 0x73, 0x03), (0x13, 0x17, 0x74, 0x00),
        (0x13, 0x18, 0x74, 0x0F),
    ]

    /// Two BMCs FreeIPMI does not read as the QSSC-S4R: Intel's product 65, and product 64 under Quanta's own ID.
    static let neighbours = [
        SELDeviceIdentity(manufacturerID: 343, productID: 65), SELDeviceIdentity(manufacturerID: 7244, productID: 64),
    ]

    /// The POST error codes' high bytes whose codes FreeIPMI names, and those of its memory errors (Eh in bits
    /// 15:12): every low byte with each; every high byte with four low bytes.
    static let postHighBytes: [UInt8] = [0x00, 0x01, 0x52, 0x81, 0x83, 0x84, 0x86, 0xA0] + Array(0xE0...0xEF)
    static let postLowBytes: [UInt8] = [0x00, 0x12, 0x48, 0xFF]

    static func records() -> [(device: SELDeviceIdentity, record: [UInt8])] {
        var records: [(device: SELDeviceIdentity, record: [UInt8])] = []
        func add(_ record: [UInt8]) { records.append((qssc, record)) }
        // A byte that changes from record to record, FFh (unspecified) one time in eight.
        func byte(_ n: Int, _ salt: Int) -> UInt8 {
            n % 8 == salt ? 0xFF : UInt8(truncatingIfNeeded: n &* 167 &+ salt &* 61 &+ 13)
        }
        for shape in shapes {
            for number in shape.numbers {
                for type in shape.types {
                    for generator in shape.generators {
                        for data1 in 0...255 {
                            // Deasserted for odd values of bits 7:4, so each offset is seen both ways.
                            let direction: UInt8 = data1 >> 4 & 1 == 1 ? 0x80 : 0x00
                            let n = records.count
                            let record = record(
                                generator: generator, sensorType: shape.sensorType, sensorNumber: number,
                                eventType: type | direction, data: [UInt8(data1), byte(n, 3), byte(n, 5)])
                            add(record)
                            // One in four on the neighbours too, which read it as generic.
                            if data1 % 4 == 0 { records += neighbours.map { ($0, record) } }
                        }
                    }
                }
            }
        }
        // Bits 7:4 of event data 1: both bytes OEM codes, event data 2 only, event data 3 only, both extension
        // codes, both unspecified.
        let flags: [UInt8] = [0xA0, 0x80, 0x20, 0xF0, 0x00]
        for event in singleByteEvents {
            for flag in flags {
                for value in 0...255 {
                    for data in [[UInt8(value), 0x5A], [0xA5, UInt8(value)]] {
                        add(
                            record(
                                sensorType: event.sensorType, sensorNumber: event.number, eventType: event.type,
                                data: [flag | event.offset] + data))
                    }
                }
            }
        }
        // The events whose two bytes are read together (both OEM codes): the BIOS's POST error codes (event data 2
        // the low byte); sparing (fully redundant, redundancy lost) and the configuration mismatch, which read fields
        // of each byte apart: every value of each byte against sixteen of the other.
        func post(_ low: UInt8, _ high: UInt8) {
            add(record(sensorType: 0x0F, sensorNumber: 0x06, eventType: 0x6F, data: [0xA0, low, high]))
        }
        for high in postHighBytes { for low in 0...255 { post(UInt8(low), high) } }
        for high in 0...255 { for low in postLowBytes { post(low, UInt8(high)) } }
        let others: [UInt8] = [
            0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x10, 0x1F, 0x20, 0x35, 0x7F, 0x80, 0xC4, 0xEF, 0xFF,
        ]
        for (number, type, offset): (UInt8, UInt8, UInt8) in [
            (0x11, 0x0B, 0x00), (0x11, 0x0B, 0x01), (0x03, 0x6F, 0x07),
        ] {
            for value in 0...255 {
                for other in others {
                    for data in [[UInt8(value), other], [other, UInt8(value)]] {
                        add(
                            record(
                                sensorType: 0x0C, sensorNumber: number, eventType: type, data: [0xA0 | offset] + data))
                    }
                }
            }
        }
        return records
    }

    @Test func everyEntryAsLibfreeipmiPrintsIt() async throws {
        let records = Self.records()
        let comparison = try await FreeIPMISELOracle.compare(records, label: "qssc-s4r")
        var interpreted = 0
        for ((device, record), theirs) in zip(records, comparison.answers) {
            let entry = try #require(SELEntry(record: record))
            if device == Self.qssc, theirs.first != entry.text(sensor: nil, device: nil) { interpreted += 1 }
        }
        // The records reach the board's interpretation: a third read otherwise than the generic text.
        #expect(records.count > 150_000 && interpreted > 50_000, "\(interpreted) of \(records.count) interpreted")
        FreeIPMISELOracle.expectNone(comparison, of: records.count)
    }
}
