import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The Event and State columns of Intel S5500WB entries (manufacturer 343, product 62) against the installed
/// libfreeipmi's (scripts/freeipmi-sel-text.py makes the calls ipmi-sel makes): every sensor, event/reading type and
/// event data 1 its interpretation looks at, with every event data 2 and 3 value where the text depends on it, every
/// POST error code, and neighbouring sensors, types and generators that must keep the generic text.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMIntelS5500WBAgainstFreeIPMITests {
    static let device = SELDeviceIdentity(manufacturerID: 343, productID: 62)

    /// A system event record (IPMI v2.0 §32.1): the generator's slave address or software ID (byte 8), event message
    /// revision 04h, then sensor type, sensor number, direction and event/reading type, event data 1-3.
    static func record(
        generator: UInt8 = 0x33, _ sensorType: UInt8, _ sensorNumber: UInt8, _ eventType: UInt8,
        deasserted: Bool = false, _ data1: UInt8, _ data2: UInt8, _ data3: UInt8
    ) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x5F, generator, 0x00, 0x04, sensorType, sensorNumber,
            eventType | (deasserted ? 0x80 : 0), data1, data2, data3,
        ]
    }

    static let allBytes = (0...255).map { UInt8($0) }
    /// Event data 2 and 3 pairs for going through event data 1: both zero, both "unspecified" (FFh), two others.
    static let pairs: [(UInt8, UInt8)] = [(0x00, 0x00), (0xFF, 0xFF), (0x9C, 0x2B)]

    /// Every event data 1 of a sensor with each of ``pairs``, the "unspecified" pair deasserted.
    static func everyData1(generator: UInt8 = 0x33, _ type: UInt8, _ number: UInt8, _ event: UInt8) -> [[UInt8]] {
        allBytes.flatMap { data1 in
            pairs.map { data2, data3 in
                record(generator: generator, type, number, event, deasserted: data2 == 0xFF, data1, data2, data3)
            }
        }
    }

    /// Every event data 2 (event data 3 fixed) and every event data 3 (event data 2 fixed), for each event data 1 of
    /// `offsets` with every combination of bits 7:4 (what event data 2 and 3 hold).
    static func everyByte(_ type: UInt8, _ number: UInt8, _ event: UInt8, offsets: [UInt8]) -> [[UInt8]] {
        offsets.flatMap { offset in
            (0..<16).flatMap { flags -> [[UInt8]] in
                let data1 = UInt8(flags) << 4 | offset
                return allBytes.map { record(type, number, event, data1, $0, 0x47) }
                    + allBytes.map { record(type, number, event, data1, 0x5A, $0) }
            }
        }
    }

    static func cases() -> [[UInt8]] {
        var records: [[UInt8]] = []
        // OEM critical interrupt sensors (13h): the six the board names (sensor number, OEM type) and every other
        // pairing of those numbers and types, plus two numbers it does not name, and the six under another sensor type.
        let oemSensors: [(UInt8, UInt8)] = [
            (0x04, 0x70), (0x05, 0x71), (0x06, 0x72), (0x07, 0x73), (0x17, 0x74), (0x18, 0x74),
        ]
        for number: UInt8 in [0x04, 0x05, 0x06, 0x07, 0x17, 0x18] {
            for event: UInt8 in 0x70...0x74 { records += everyData1(0x13, number, event) }
        }
        records += everyData1(0x13, 0x03, 0x70) + everyData1(0x13, 0x14, 0x74)
        for (number, event) in oemSensors {
            records += allBytes.map { record(0x07, number, event, $0, 0x9C, 0x2B) }
            records += everyByte(0x13, number, event, offsets: [0x01])
        }
        // Legacy PCI (13h, number 03h) PERR/SERR; its number under a generic type; neighbouring numbers.
        for number: UInt8 in [0x02, 0x03, 0x04] {
            records += everyData1(0x13, number, 0x6F) + everyData1(0x13, number, 0x03)
        }
        records += everyByte(0x13, 0x03, 0x6F, offsets: [0x04, 0x05])
        // Memory (0Ch): ECC errors (number 02h), parity errors (14h), mirroring (01h) and sparing (11h) redundancy.
        for number: UInt8 in [0x01, 0x02, 0x11, 0x14] {
            records += everyData1(0x0C, number, 0x6F) + everyData1(0x0C, number, 0x0B)
        }
        records += everyByte(0x0C, 0x02, 0x6F, offsets: [0x00, 0x01])
        // Parity: the error type and validity bits (event data 2 bits 4:0, and some higher) with every DIMM byte.
        let parityData2 = (0...31).map { UInt8($0) } + [0x20, 0x47, 0x5B, 0x9D, 0xC2, 0xE9, 0xF8, 0xFF]
        for data2 in parityData2 { records += allBytes.map { record(0x0C, 0x14, 0x6F, 0xA2, data2, $0) } }
        // Mirroring and sparing: every event data 2 with event data 3 local and global, several instances; and every
        // event data 3 with two event data 2.
        for number: UInt8 in [0x01, 0x11] {
            for offset: UInt8 in [0x00, 0x01] {
                for data3: UInt8 in [0x00, 0x05, 0x0F, 0x70, 0x80, 0x8A, 0x8F, 0xF3] {
                    records += allBytes.map { record(0x0C, number, 0x0B, 0xA0 | offset, $0, data3) }
                }
            }
        }
        for data2: UInt8 in [0x21, 0xE3] { records += allBytes.map { record(0x0C, 0x01, 0x0B, 0xA0, data2, $0) } }
        // POST errors (system firmware progress 0Fh, number 06h, from the SMI handler): every code whose high byte
        // (event data 3) is one Intel's table uses, and every high byte with four low bytes; every event data 1 from
        // the SMI handler, the POST (01h) and the BMC (20h); the neighbouring number 07h.
        let highBytes: [UInt8] = [
            0x00, 0x01, 0x52, 0x81, 0x83, 0x84, 0x85, 0x86, 0x90, 0x92, 0x94, 0x95, 0x96, 0xA0, 0xA4, 0xA5, 0xA6, 0xB6,
        ]
        for high in highBytes { records += allBytes.map { record(0x0F, 0x06, 0x6F, 0xA0, $0, high) } }
        for low: UInt8 in [0x00, 0x12, 0xA0, 0xFF] {
            records += allBytes.map { record(0x0F, 0x06, 0x6F, 0xA0, low, $0) }
        }
        for generator: UInt8 in [0x33, 0x01, 0x20] {
            records += allBytes.map { record(generator: generator, 0x0F, 0x06, 0x6F, $0, 0x12, 0x00) }
        }
        records += everyData1(0x0F, 0x06, 0x6F) + everyData1(0x0F, 0x07, 0x6F)
        // What SELOEMIntel gives the board: the SMI timeout (F3h) and Node Manager (DCh) states, the Node Manager's
        // DIMM thermal sensor event; and the NMI state sensor (C0h), which is another board's.
        for deasserted in [false, true] {
            records += allBytes.map { record(0xF3, 0x01, 0x03, deasserted: deasserted, $0, 0xFF, 0xFF) }
            records += allBytes.map { record(0xC0, 0x01, 0x03, deasserted: deasserted, $0, 0xFF, 0xFF) }
            for event: UInt8 in 0x72...0x75 {
                records += allBytes.map { record(0xDC, 0x10, event, deasserted: deasserted, $0, 0x00, 0x00) }
            }
        }
        records += everyData1(0x28, 0x6E, 0x76)
        return records
    }

    @Test func everyInterpretedEntryReadsAsLibfreeipmiPrintsIt() async throws {
        let records = Self.cases()
        let mismatches = try await FreeIPMISELOracle.run(records.map { (Self.device, $0) }, interpretedOn: nil)
            .mismatches
        // The count, not the list, in the expression: a failure prints the expression's value.
        let differing = mismatches.count
        #expect(
            differing == 0,
            "\(differing) of \(records.count) records differ:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }
}
