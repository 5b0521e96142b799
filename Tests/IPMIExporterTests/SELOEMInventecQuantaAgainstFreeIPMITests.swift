import Foundation
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Our Event and State columns for the Inventec 5441 and 5442 (Dell Xanadu II and III) and the Quanta S99Q (Dell
/// FS12-TY) against the installed libfreeipmi's (scripts/freeipmi-sel-text.py makes the calls ipmi-sel makes), for
/// every combination their interpretation can tell apart: every event data 1 (offset and the event data 2 and 3
/// flags in bits 7:4) of each sensor their BIOS, SMI handler and BMC log, with event data 2 and 3 swept through all
/// 256 values, the POST error codes (event data 2 and 3 read as one 16-bit code) all 65,536 of them, the Node
/// Manager's events these boards share with Intel's, and near misses (another generator, sensor number, sensor type,
/// event type, direction, product or manufacturer) that must keep the generic text.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMInventecQuantaAgainstFreeIPMITests {
    static let inventec5441 = SELDeviceIdentity(manufacturerID: 20569, productID: 51)
    static let inventec5442 = SELDeviceIdentity(manufacturerID: 20569, productID: 52)
    static let quantaS99Q = SELDeviceIdentity(manufacturerID: 7244, productID: 21401)
    /// Another product of each manufacturer, which FreeIPMI gives no interpretation.
    static let otherInventec = SELDeviceIdentity(manufacturerID: 20569, productID: 53)
    static let otherQuanta = SELDeviceIdentity(manufacturerID: 7244, productID: 21400)

    /// The sensor a family of entries comes from: generator ID (IPMI v2.0 §32.1 byte 8), sensor type, sensor number,
    /// event direction and event/reading type.
    struct Family: Hashable {
        var generator: UInt8
        var sensorType: UInt8
        var sensorNumber: UInt8
        var eventType: UInt8

        /// A copy with one field changed: the near misses.
        func with(_ change: (inout Family) -> Void) -> Family {
            var copy = self
            change(&copy)
            return copy
        }
    }

    /// The Inventec boards' sensors whose event data FreeIPMI reads: the BIOS's POST start (OEM sensor type C1h,
    /// event type 70h), the POST error codes (generator 31h), the BMC's port 80 codes, the SMI handler's memory
    /// errors.
    static let postError = Family(generator: 0x31, sensorType: 0x0F, sensorNumber: 0x06, eventType: 0x6F)
    static let inventecFamilies = [
        Family(generator: 0x01, sensorType: 0xC1, sensorNumber: 0x81, eventType: 0x70), postError,
        Family(generator: 0x20, sensorType: 0x0F, sensorNumber: 0x55, eventType: 0x6F),
        Family(generator: 0x21, sensorType: 0x0C, sensorNumber: 0x60, eventType: 0x6F),
    ]
    /// The S99Q BIOS's sensors whose event data FreeIPMI reads: PCI, QPI and internal errors (critical interrupt),
    /// memory errors.
    static let quantaFamilies = [
        Family(generator: 0x01, sensorType: 0x13, sensorNumber: 0x81, eventType: 0x6F),
        Family(generator: 0x01, sensorType: 0x13, sensorNumber: 0x82, eventType: 0x6F),
        Family(generator: 0x01, sensorType: 0x13, sensorNumber: 0x83, eventType: 0x6F),
        Family(generator: 0x01, sensorType: 0x0C, sensorNumber: 0x60, eventType: 0x6F),
    ]
    /// Sensors FreeIPMI knows by number but names only in the sensor name column: the Inventec BIOS's POST OK
    /// (system event), the S99Q's software NMI (critical interrupt).
    static let inventecNamedOnly = Family(generator: 0x01, sensorType: 0x12, sensorNumber: 0x85, eventType: 0x6F)
    static let quantaNamedOnly = Family(generator: 0x01, sensorType: 0x13, sensorNumber: 0xA5, eventType: 0x6F)
    /// The Node Manager's events (from the ME, 2Ch): thermal sensor on DIMM SMBus status (sensor type 28h, sensor
    /// 6Eh, event type 76h), and its OEM sensor type DCh with the exception, health, capabilities and firmware
    /// health event types (72h-75h).
    static let nodeManagerFamilies =
        [Family(generator: 0x2C, sensorType: 0x28, sensorNumber: 0x6E, eventType: 0x76)]
        + (0x72...0x75).map { Family(generator: 0x2C, sensorType: 0xDC, sensorNumber: 0x17, eventType: $0) }

    /// Pairs of event data 2 and 3 for the sweeps over every event data 1: each value the interpretations tell
    /// apart (thresholds 00h and 01h, DIMMs, error sources, port 80 codes, FFh "unspecified") in either byte, with
    /// FFh beside a value and alone.
    static let somePairs: [(UInt8, UInt8)] = [
        (0x00, 0x01), (0x01, 0x06), (0x06, 0x13), (0x13, 0x16), (0x16, 0x18), (0x18, 0x3A), (0x3A, 0x00),
        (0xFF, 0x02), (0x02, 0xFF), (0xFF, 0xFF), (0x87, 0x78), (0x11, 0x12),
    ]
    static let fewPairs: [(UInt8, UInt8)] = [(0x00, 0x01), (0x13, 0xFF)]

    /// Records of a family: each event data 1 with each of `pairs`; with `sweep`, for each offset with bits 7:4
    /// 1010b (OEM codes in both bytes) every value of each byte, and with 1000b and 0010b (OEM codes in event data 2,
    /// in event data 3) every third value of the OEM byte.
    static func records(_ family: Family, pairs: [(UInt8, UInt8)], sweep: Bool) -> [[UInt8]] {
        var tails: [[UInt8]] = []
        for data1 in 0...255 {
            for (data2, data3) in pairs { tails.append([UInt8(data1), data2, data3]) }
        }
        if sweep {
            for offset: UInt8 in 0...15 {
                for byte in 0...255 {
                    let value = UInt8(byte)
                    tails += [[0xA0 | offset, value, 0x01], [0xA0 | offset, 0x00, value]]
                    if byte % 3 == 0 { tails += [[0x80 | offset, value, 0x01], [0x20 | offset, 0x01, value]] }
                }
            }
        }
        return tails.map { record(family, $0) }
    }

    static func record(_ family: Family, _ data: [UInt8], lun: UInt8 = 0x00) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x10, 0x20, 0x30, 0x40, family.generator, lun, 0x04, family.sensorType,
            family.sensorNumber,
            family.eventType,
        ] + data
    }

    /// Every 16-bit value of event data 2 and 3 with OEM codes in both, at each offset: the POST error codes.
    static func everyCode(_ family: Family, offsets: ClosedRange<UInt8>) -> [[UInt8]] {
        var records: [[UInt8]] = []
        for offset in offsets {
            for code in 0...0xFFFF {
                records.append(record(family, [0xA0 | offset, UInt8(code & 0xFF), UInt8(code >> 8)]))
            }
        }
        return records
    }

    /// Near misses of a family: another generator, sensor number, sensor type, event type (sensor-specific and
    /// OEM swapped), deasserted, another LUN/channel byte.
    static func nearMisses(_ family: Family) -> [[UInt8]] {
        let variants = [
            family.with { $0.generator ^= 0x02 }, family.with { $0.sensorNumber &+= 1 },
            family.with { $0.sensorType ^= 0x01 }, family.with { $0.eventType = $0.eventType == 0x6F ? 0x70 : 0x6F },
            family.with { $0.eventType |= 0x80 },
        ]
        var misses = variants.flatMap { Self.records($0, pairs: fewPairs, sweep: false) }
        for data1 in 0...255 { misses.append(record(family, [UInt8(data1), 0x01, 0x13], lun: 0x03)) }
        return misses
    }

    /// The lines the oracle reads: device, then the record.
    static func cases() -> [(device: SELDeviceIdentity, record: [UInt8])] {
        var cases: [(SELDeviceIdentity, [UInt8])] = []
        func add(_ device: SELDeviceIdentity, _ records: [[UInt8]]) {
            cases += records.map { (device, $0) }
        }
        for device in [inventec5441, inventec5442] {
            for family in inventecFamilies {
                add(device, records(family, pairs: somePairs, sweep: true))
                add(device, nearMisses(family))
            }
            add(
                device,
                ([inventecNamedOnly] + nodeManagerFamilies).flatMap { records($0, pairs: fewPairs, sweep: false) })
        }
        // The POST error codes: every code, at offset 0 (System Firmware Error).
        add(inventec5441, everyCode(postError, offsets: 0...0))
        for family in quantaFamilies {
            add(quantaS99Q, records(family, pairs: somePairs, sweep: true))
            add(quantaS99Q, nearMisses(family))
        }
        add(
            quantaS99Q, ([quantaNamedOnly] + nodeManagerFamilies).flatMap { records($0, pairs: fewPairs, sweep: false) }
        )
        // Other products: every family, no interpretation.
        add(
            otherInventec,
            (inventecFamilies + [inventecNamedOnly] + nodeManagerFamilies).flatMap {
                records($0, pairs: fewPairs, sweep: false)
            })
        add(
            otherQuanta,
            (quantaFamilies + [quantaNamedOnly] + nodeManagerFamilies).flatMap {
                records($0, pairs: fewPairs, sweep: false)
            })
        return cases
    }

    @Test func everyCombinationReadsAsLibfreeipmiReadsIt() async throws {
        let cases = Self.cases()
        #expect(cases.count > 250_000, "only \(cases.count) records generated")
        let mismatches = try await FreeIPMISELOracle.run(cases, interpretedOn: nil).mismatches
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(cases.count) differ, first:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }
}
