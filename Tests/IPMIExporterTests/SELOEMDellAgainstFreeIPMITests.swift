import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Dell PowerEdge SEL texts (``SELOEMDell``, manufacturer 674, product 256: the 2900, 2950, R610, R710 and R720)
/// against the installed libfreeipmi's (scripts/freeipmi-sel-text.py makes ipmi-sel's calls): every event data 1,
/// both directions, of every sensor type, event/reading type and sensor number FreeIPMI's Dell interpretation tests
/// (and neighbours it must leave alone); every value of event data 2 and of event data 3 of each event it reads them
/// for, with event data 1 saying both, one or neither hold OEM codes. Dell's interpretation has no OEM record (C0h-FFh)
/// text. Other Dell products, and product 256 of another manufacturer, get the generic text. One run of the oracle.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMDellAgainstFreeIPMITests {
    static let dell = SELDeviceIdentity(manufacturerID: 674, productID: 256)
    /// Dell's products 0 and 257, and Intel's (343) product 256, which FreeIPMI reads generically.
    static let neighbours = [
        SELDeviceIdentity(manufacturerID: 674, productID: 257), SELDeviceIdentity(manufacturerID: 674, productID: 0),
        SELDeviceIdentity(manufacturerID: 343, productID: 256),
    ]

    /// A system event record (IPMI v2.0 §32.1): record ID 1, type 02h, no timestamp, generator 20h (the BMC), IPMB
    /// LUN 0, event message format 04h; the direction in bit 7 of the event/reading type byte.
    static func record(
        sensorType: UInt8, number: UInt8, type: UInt8, deasserted: Bool, data: [UInt8]
    ) -> [UInt8] {
        [0x01, 0x00, 0x02, 0, 0, 0, 0, 0x20, 0x00, 0x04, sensorType, number, type | (deasserted ? 0x80 : 0)] + data
    }

    /// The sensor numbers Dell gives fixed meanings (PCI parity error 04h, CPU protocol error 0Ah, CPU machine check
    /// 0Dh, chipset error 19h, QPI link error 29h, TXT SENTER command error 2Ah) and one it does not (30h).
    static let numbers: [UInt8] = [0x04, 0x0A, 0x0D, 0x19, 0x29, 0x2A, 0x30]

    /// Shapes for which every event data 1 is tried both ways: sensor-specific (6Fh) on the sensor types Dell reads
    /// (physical security, processor, power supply, memory, firmware progress, event logging disabled, critical
    /// interrupt, OS critical stop, version change, its OEM types C0h-C4h) and beside them (C5h, BFh, 01h);
    /// generic severity (07h) and redundancy (0Bh), Dell's status (70h), diagnostic data (7Eh) and failure (8Ah)
    /// types, a threshold (01h) and other OEM types (71h, 72h), on processor, memory, link tuning and others.
    static let shapes: [(sensorType: UInt8, numbers: [UInt8], types: [UInt8])] = {
        let specific: [UInt8] = [0x07, 0x13, 0x20, 0xC2]
        var shapes: [(sensorType: UInt8, numbers: [UInt8], types: [UInt8])] = []
        for sensorType: UInt8 in [0x01, 0x05, 0x07, 0x08, 0x0C, 0x0F, 0x10, 0x13, 0x20, 0x2B] + Array(0xBF...0xC5) {
            shapes.append((sensorType, specific.contains(sensorType) ? numbers : [0x30], [0x6F]))
        }
        let types: [UInt8] = [0x01, 0x07, 0x0B, 0x70, 0x71, 0x72, 0x7E, 0x8A]
        shapes.append((0x07, [0x0A, 0x0D, 0x30], types))
        for sensorType: UInt8 in [0x0C, 0xC1, 0xC0, 0x10] { shapes.append((sensorType, [0x30], types)) }
        return shapes
    }()

    /// The events whose event data 2 or 3 Dell's interpretation reads (sensor type, sensor number, event/reading
    /// type, offset, deassertion).
    static let dataEvents: [(sensorType: UInt8, number: UInt8, type: UInt8, offset: UInt8, deasserted: Bool)] = [
        // Physical security: intrusion while on or off.
        (0x05, 0x30, 0x6F, 0x00, false), (0x05, 0x30, 0x6F, 0x04, true),
        // Processor: IERR; to non-recoverable on the machine check and protocol error sensors and another.
        (0x07, 0x30, 0x6F, 0x00, false), (0x07, 0x0D, 0x07, 0x06, false), (0x07, 0x0A, 0x07, 0x06, true),
        (0x07, 0x30, 0x07, 0x06, false),
        // Power supply failure detected and configuration error.
        (0x08, 0x30, 0x6F, 0x01, false), (0x08, 0x30, 0x6F, 0x06, false),
        // Memory: the DIMM events, redundancy, severity, failed to transition to online (Dell's failure type 8Ah;
        // 71h beside it).
        (0x0C, 0x30, 0x6F, 0x00, false), (0x0C, 0x30, 0x6F, 0x01, true), (0x0C, 0x30, 0x6F, 0x06, false),
        (0x0C, 0x30, 0x6F, 0x07, false), (0x0C, 0x30, 0x6F, 0x0A, false), (0x0C, 0x30, 0x6F, 0x02, false),
        (0x0C, 0x30, 0x0B, 0x00, false), (0x0C, 0x30, 0x0B, 0x01, false), (0x0C, 0x30, 0x07, 0x01, false),
        (0x0C, 0x30, 0x07, 0x02, true), (0x0C, 0x30, 0x71, 0x03, false), (0x0C, 0x30, 0x8A, 0x03, false),
        // POST fatal error; correctable memory error logging disabled.
        (0x0F, 0x30, 0x6F, 0x0F, false), (0x10, 0x30, 0x6F, 0x00, false),
        // Critical interrupt: PCI PERR on the parity error, chipset and another sensor; SERR; bus fatal error.
        (0x13, 0x04, 0x6F, 0x04, false), (0x13, 0x19, 0x6F, 0x04, false), (0x13, 0x30, 0x6F, 0x04, false),
        (0x13, 0x30, 0x6F, 0x05, false), (0x13, 0x30, 0x6F, 0x0A, false),
        // OS critical stop on the TXT sensor; version change: hardware incompatibility, hardware change both ways.
        (0x20, 0x2A, 0x6F, 0x00, false), (0x2B, 0x30, 0x6F, 0x02, false), (0x2B, 0x30, 0x6F, 0x06, true),
        (0x2B, 0x30, 0x6F, 0x06, false),
        // Link tuning: virtual MAC, option ROM; diagnostic data. Non-fatal (PCIe, QPI), fatal IO error.
        (0xC1, 0x30, 0x6F, 0x01, false), (0xC1, 0x30, 0x6F, 0x02, false), (0xC1, 0x30, 0x7E, 0x03, false),
        (0xC2, 0x30, 0x6F, 0x00, false), (0xC2, 0x29, 0x6F, 0x02, false), (0xC3, 0x30, 0x6F, 0x01, false),
    ]

    static func records() -> [(device: SELDeviceIdentity, record: [UInt8])] {
        var records: [(device: SELDeviceIdentity, record: [UInt8])] = []
        // A byte that changes from record to record, FFh (unspecified) one time in eight.
        func byte(_ n: Int, _ salt: Int) -> UInt8 {
            n % 8 == salt ? 0xFF : UInt8(truncatingIfNeeded: n &* 167 &+ salt &* 61 &+ 13)
        }
        for shape in shapes {
            for number in shape.numbers {
                for type in shape.types {
                    for deasserted in [false, true] {
                        for data1 in 0...255 {
                            let n = records.count
                            let record = record(
                                sensorType: shape.sensorType, number: number, type: type, deasserted: deasserted,
                                data: [UInt8(data1), byte(n, 3), byte(n, 5)])
                            records.append((dell, record))
                            // One in eight on a neighbour too.
                            if data1 % 8 == 0 { records.append((neighbours[data1 / 8 % 3], record)) }
                        }
                    }
                }
            }
        }
        // Each byte through all 256 values against some values of the other: six with both bytes OEM codes
        // (event data 1 bits 7:4 = Ah), one with one (8h, 2h), neither (0h) or both extension codes (Fh).
        let others: [UInt8] = [0x00, 0x01, 0x14, 0x80, 0xC3, 0xFF]
        for event in dataEvents {
            for (flags, fixed) in [(0xA0, others), (0x80, [0x81]), (0x20, [0xE1]), (0x00, [0xE0])]
                + [(0xF0, [0x12])]
            {
                for value in 0...255 {
                    for other in fixed {
                        for data in [[UInt8(value), other], [other, UInt8(value)]] {
                            records.append(
                                (
                                    dell,
                                    record(
                                        sensorType: event.sensorType, number: event.number, type: event.type,
                                        deasserted: event.deasserted, data: [UInt8(flags) | event.offset] + data)
                                ))
                        }
                    }
                }
            }
        }
        return records
    }

    @Test func everyEntryAsLibfreeipmiPrintsIt() async throws {
        let records = Self.records()
        let run = try await FreeIPMISELOracle.run(records, interpretedOn: Self.dell)
        let (mismatches, interpreted) = (run.mismatches, run.interpreted)
        // The records reach Dell's interpretation: many read otherwise than the generic text, and the oracle gave
        // each kind of Dell text.
        #expect(interpreted > 50_000, "\(interpreted) of \(records.count) interpreted")
        let events = Set(run.answers.compactMap(\.first))
        for text in [
            "Degraded, thermal protection", "Failed to program virtual MAC address ; Device 0, Function 0 ; Bus 255",
            "QPI Link Degrade ; Reporting Agent ID", "Fatal IO error ; Slot 3", "IPMI Function ready",
            "OEM Diagnostic Data Event ; Register Offset = 3", "Intrusion while system On", "IERR ; CPU 1 ; APIC ID",
            "Front Side Bus 1", "Memory is in Spare mode", "Power Supply Failure detected ; PSU Communication Error",
            "POST Fatal Error ; No memory detected", "BIOS Fatal Error code: ", "TXT Error Code = ",
            "TXT Error Type = ", "Device Slot 67", "Device Embedded", "Power Supply rating mismatch ; Power Supply 3",
            "DIMM A1", "DIMM B3", "Memory Card 1, DIMM", "DIMM DIMM", "PCI SERR ; Bus 3, Device",
            "Hardware Type = CPU", "Mezzanine B", "Mezzanine C2",
        ] {
            #expect(events.contains { $0.contains(text) }, "no answer of the oracle contains \"\(text)\"")
        }
        print("SELOEMDellAgainstFreeIPMITests: \(records.count) records compared, \(interpreted) interpreted")
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(records.count) differ:\n\(mismatches.prefix(30).joined(separator: "\n"))")
    }
}
