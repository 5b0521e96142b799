import Foundation
import IPMITestSupport
import Testing

@testable import ExporterCollectors
@testable import IPMI

/// The Event and State columns of the Intel S2600 boards' entries against the installed libfreeipmi's own answers
/// (scripts/freeipmi-sel-text.py makes the calls ipmi-sel makes): for each board FreeIPMI reads with its S2600 files
/// (S2600JF 77, S2600WP 78, S2600KP 111, S2600GZ 73, S2600WT2/WTT/KPR 112, all under Intel's number 343), every
/// sensor the BIOS's POST and SMI handler and the BMC log that those files test, with every event data 1 and every
/// value of event data 2 and of event data 3, the POST error codes (event data 2 and 3 together) with every low byte
/// under each high byte Intel's tables use, deassertions, another channel and LUN, and the same sensors from the
/// wrong generator.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMIntelS2600AgainstFreeIPMITests {
    /// (generator ID, sensor type, sensor number, event/reading type), as FreeIPMI's S2600 files test them.
    typealias Source = (generator: UInt8, sensorType: UInt8, sensorNumber: UInt8, eventType: UInt8)
    static let post: UInt8 = 0x01, smi: UInt8 = 0x33, bmc: UInt8 = 0x20
    static let sources: [Source] = [
        // The POST: QPI link width reduced, memory RAS configuration status and RAS mode select, POST errors.
        (post, 0x13, 0x09, 0x77), (post, 0x0C, 0x02, 0x09), (post, 0x0C, 0x12, 0x09), (post, 0x0F, 0x06, 0x6F),
        // The SMI handler: PCI Express fatal (two sensors) and correctable errors, QPI fatal (two) and correctable
        // errors, chipset proprietary, memory error extension, mirroring and sparing redundancy, memory ECC and
        // parity errors, legacy PCI errors, BIOS recovery.
        (smi, 0x13, 0x04, 0x70), (smi, 0x13, 0x14, 0x76), (smi, 0x13, 0x05, 0x71), (smi, 0x13, 0x07, 0x73),
        (smi, 0x13, 0x17, 0x74), (smi, 0x13, 0x06, 0x72), (smi, 0x13, 0x08, 0x75), (smi, 0x0C, 0x10, 0x7F),
        (smi, 0x0C, 0x01, 0x0B), (smi, 0x0C, 0x11, 0x0B), (smi, 0x0C, 0x02, 0x6F), (smi, 0x0C, 0x13, 0x6F),
        (smi, 0x13, 0x03, 0x6F), (smi, 0x0F, 0x15, 0x70),
        // The BMC: firmware update status, IERR recovery dump info.
        (bmc, 0x2B, 0x12, 0x70), (bmc, 0xD1, 0x7D, 0x70),
    ]
    static let devices: [UInt16] = [77, 78, 111, 73, 112]
    /// High bytes (event data 3) of the POST error codes in FreeIPMI's Intel tables, and a few it has none under.
    static let postCodeHighBytes: [UInt8] = [
        0x00, 0x01, 0x02, 0x0E, 0x0F, 0x51, 0x52, 0x57, 0x7F, 0x81, 0x83, 0x84, 0x85, 0x86, 0x90, 0x92, 0x94, 0x95,
        0x96, 0xA0, 0xA1, 0xA4, 0xA5, 0xA6, 0xB6, 0xE0, 0xE4, 0xF0, 0xFF,
    ]

    static func record(_ source: Source, _ data: [UInt8]) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, source.generator, 0x00, 0x04, source.sensorType,
            source.sensorNumber,
        ]
            + [source.eventType] + data
    }

    /// The offsets FreeIPMI reads event data 2 and 3 at, and one past them: 00h-05h of the sensor-specific memory,
    /// critical interrupt and firmware events (legacy PCI PERR/SERR are 04h/05h), 00h-02h of the others (device
    /// enabled 00h-01h, redundancy 00h and 02h, the OEM types 00h-01h).
    static func sweptOffsets(_ source: Source) -> ClosedRange<UInt8> {
        source.eventType == 0x6F ? 0...5 : 0...2
    }

    /// Every case: the device's product and the record.
    static func cases() -> [(product: UInt16, record: [UInt8])] {
        var cases: [(UInt16, [UInt8])] = []
        for product in devices {
            // The E5-2600 v3 boards (111, 73, 112) share one interpretation: the value sweeps run on one of them.
            let sweep = product == 77 || product == 78 || product == 111
            for source in sources {
                for data1 in 0...255 {
                    for (data2, data3) in [(0x00, 0x00), (0x5A, 0xC3), (0xFF, 0xFF)] as [(UInt8, UInt8)] {
                        cases.append((product, record(source, [UInt8(data1), data2, data3])))
                    }
                }
                // The same sensor from another generator.
                let other = source.generator == smi ? post : smi
                for offset in 0...15 {
                    var moved = source
                    moved.generator = other
                    cases.append((product, record(moved, [0xA0 | UInt8(offset), 0x5A, 0xC3])))
                    // Deasserted (event direction, bit 7 of byte 13), and from channel 1, LUN 3 (byte 9).
                    for (data2, data3) in [(0x5A, 0xC3), (0x40, 0x85)] as [(UInt8, UInt8)] {
                        var deasserted = record(source, [0xA0 | UInt8(offset), data2, data3])
                        deasserted[12] |= 0x80
                        var channel = record(source, [0xA0 | UInt8(offset), data2, data3])
                        channel[8] = 0x13
                        cases += [(product, deasserted), (product, channel)]
                    }
                }
                guard sweep else { continue }
                for offset in Self.sweptOffsets(source) {
                    for byte in 0...255 {
                        cases.append((product, record(source, [0xA0 | offset, UInt8(byte), 0x2B])))
                        cases.append((product, record(source, [0xA0 | offset, 0x2B, UInt8(byte)])))
                    }
                }
            }
            // POST error codes: System Firmware Error (offset 00h) with both bytes OEM codes.
            for high in postCodeHighBytes {
                for low in 0...255 {
                    cases.append((product, record(sources[3], [0xA0, UInt8(low), high])))
                }
            }
        }
        return cases
    }

    @Test func everyEntryAsLibfreeipmiPrintsIt() async throws {
        let cases = Self.cases()
        let mismatches = try await FreeIPMISELOracle.run(
            cases.map { (SELDeviceIdentity(manufacturerID: 343, productID: $0.product), $0.record) },
            interpretedOn: nil
        ).mismatches
        print("S2600: \(cases.count) records compared, \(mismatches.count) differ")
        #expect(
            mismatches.isEmpty,
            "\(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }
}
