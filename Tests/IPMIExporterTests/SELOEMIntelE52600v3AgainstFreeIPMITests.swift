import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The Event and State columns of every entry the Intel Xeon E5-2600 v3 boards' interpretation reads (libfreeipmi
/// sel/ipmi-sel-string-intel-e52600v3-common.c, which FreeIPMI uses for the S2600KP, 111; S2600WT2, S2600WTT and
/// S2600KPR, 112; S2600GZ, 73), ours against the installed libfreeipmi's (scripts/freeipmi-sel-text.py, the calls
/// ipmi-sel makes), for each of the three products.
///
/// For each event the file reads (generator, sensor type, sensor number, event/reading type): every event data 1 in
/// both directions; at each offset it reads, every event data 2 and every event data 3 with event data 1 saying
/// both hold OEM codes; and the same sensor from another generator and a neighbouring sensor number, which nothing
/// names. Not here: the BIOS's POST error codes (system firmware progress, sensor 06h: the S2600 boards' POST code
/// work, elsewhere) and the Node Manager's events (OEM sensor types DCh and 28h/6Eh, which need its SDR record).
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMIntelE52600v3AgainstFreeIPMITests {
    static let products: [UInt16] = [111, 112, 73]

    /// A sensor the file reads, and the offsets at which it reads event data 2 or 3 (for the OEM event types, where
    /// it reads them whatever event data 1 says, two offsets).
    struct Sensor {
        var generator: UInt8, sensorType: UInt8, sensorNumber: UInt8, eventType: UInt8
        var offsets: [UInt8]

        /// From "generator sensor-type sensor-number event-type", in hex.
        init(_ text: String, offsets: [UInt8]) {
            let bytes = text.split(separator: " ").map { UInt8($0, radix: 16)! }
            (generator, sensorType, sensorNumber, eventType) = (bytes[0], bytes[1], bytes[2], bytes[3])
            self.offsets = offsets
        }
    }

    /// Generators: the BIOS's POST (01h), its SMI handler (33h), the BMC (20h).
    static let sensors: [Sensor] =
        // The BIOS's and BMC's OEM event types (event data 1 named by offset; event data 2 and 3 read): QPI link
        // width, QPI fatal errors 1 and 2, BIOS recovery, firmware update, PCI Express fatal errors 1 and 2 and
        // correctable errors, IERR recovery dump, QPI correctable errors.
        [
            "01 13 09 77", "33 13 07 73", "33 13 17 74", "33 0F 15 70", "20 2B 12 70", "33 13 04 70", "33 13 14 76",
            "33 13 05 71", "20 D1 7D 70", "33 13 06 72",
        ].map { Sensor($0, offsets: [0, 1]) }
        // The BMC's standard events: power supplies 1 and 2; VRD hot; internal error, ERR2 timeout, auto config;
        // processor 1-4 status (thermal trip); processor 1-4 DIMM thermal trip.
        + ["20 08 50 6F", "20 08 51 6F"].map { Sensor($0, offsets: [1, 2, 6]) }
        + ["20 01 90 05", "20 07 80 03", "20 07 7C 03", "20 28 87 03"].map { Sensor($0, offsets: [1]) }
        + ["20 07 70 6F", "20 07 71 6F", "20 07 72 6F", "20 07 73 6F"].map { Sensor($0, offsets: [1]) }
        + ["20 0C C0 6F", "20 0C C1 6F", "20 0C C2 6F", "20 0C C3 6F"].map { Sensor($0, offsets: [0x0A]) }
        // The BIOS's memory and legacy PCI events: RAS configuration status and mode select; legacy PCI errors;
        // mirroring and sparing redundancy; ECC errors; parity errors.
        + ["01 0C 02 09", "01 0C 12 09"].map { Sensor($0, offsets: [0, 1]) } + [Sensor("33 13 03 6F", offsets: [4, 5])]
        + ["33 0C 01 0B", "33 0C 11 0B"].map { Sensor($0, offsets: [0, 2]) }
        + [Sensor("33 0C 02 6F", offsets: [0, 1]), Sensor("33 0C 13 6F", offsets: [2, 3])]

    /// Sensors nothing names: each one from another generator (the BIOS's from the BMC, the BMC's from the BIOS's
    /// POST), or with a sensor number nothing reads for its type (20h on; for processor 4's sensors, the next).
    static let others: [Sensor] = sensors.flatMap { sensor in
        var otherGenerator = sensor
        otherGenerator.generator = sensor.generator == 0x20 ? 0x01 : 0x20
        var otherNumber = sensor
        otherNumber.sensorNumber &+= sensor.sensorNumber == 0x73 || sensor.sensorNumber == 0xC3 ? 1 : 0x20
        return [otherGenerator, otherNumber]
    }

    /// The system event record (IPMI v2.0 §32.1) of `sensor` with event direction `deasserted`, event data 1-3, and
    /// the generator's channel and LUN (byte 9), which FreeIPMI does not look at.
    static func record(
        _ sensor: Sensor, deasserted: Bool = false, channelLUN: UInt8 = 0, _ data1: UInt8, _ data2: UInt8,
        _ data3: UInt8
    ) -> [UInt8] {
        [
            0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, sensor.generator, channelLUN, 0x04, sensor.sensorType,
            sensor.sensorNumber, sensor.eventType | (deasserted ? 0x80 : 0), data1, data2, data3,
        ]
    }

    static func records() -> [[UInt8]] {
        var records: [[UInt8]] = []
        for sensor in sensors {
            // Every event data 1, both directions, with event data 2 and 3 (and, deasserted, the channel and LUN)
            // varying along.
            for data1 in 0...255 {
                let data = UInt8(truncatingIfNeeded: data1 &* 37 &+ 11)
                records.append(record(sensor, UInt8(data1), data, data &+ 0x55))
                records.append(
                    record(sensor, deasserted: true, channelLUN: data & 0xF3, UInt8(data1), data, data &+ 0x55))
            }
            // Both bytes OEM codes (bits 7:6 and 5:4 10b): every event data 2, then every event data 3 beside event
            // data 2 values that select texts (01h a CATERR; 13h a valid channel and DIMM and error type 3).
            for offset in sensor.offsets {
                for byte in 0...255 {
                    records.append(record(sensor, 0xA0 | offset, UInt8(byte), 0x00))
                    for data2: UInt8 in [0x01, 0x13] {
                        records.append(record(sensor, 0xA0 | offset, data2, UInt8(byte)))
                    }
                }
            }
        }
        for sensor in others {
            for offset in sensor.offsets {
                for data1 in [0xA0 | offset, 0x80 | offset, 0x20 | offset] {
                    for (data2, data3): (UInt8, UInt8) in [(0x00, 0x00), (0x01, 0x01), (0x13, 0x5A), (0x05, 0xFF)] {
                        records.append(record(sensor, data1, data2, data3))
                    }
                }
            }
        }
        return records
    }

    @Test func everyEntryTheE52600v3BoardsReadAsLibfreeipmiDoes() async throws {
        let records = Self.records()
        #expect(records.count > 50_000, "only \(records.count) records per product")
        let cases = Self.products.flatMap { product in
            records.map { (SELDeviceIdentity(manufacturerID: 343, productID: product), $0) }
        }
        let mismatches = try await FreeIPMISELOracle.run(cases, interpretedOn: nil).mismatches
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ, first: \(mismatches.prefix(20))")
    }
}
