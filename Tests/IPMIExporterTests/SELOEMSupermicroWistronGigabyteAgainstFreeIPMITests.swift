import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// The Supermicro, Wistron C6220, Gigabyte MD90-FS0-ZB/MG20-OP0-ZB, Sun X4140 and Linux kernel panic
/// interpretations (SELOEMInterpretation.swift, ``SELOEMWistron``, ``SELOEMGigabyte``) against the installed
/// libfreeipmi's own (scripts/freeipmi-sel-text.py makes ipmi-sel's calls): for each board, every sensor type, sensor
/// number, generator and event/reading type its interpretation tests (and neighbours it must leave alone), every
/// event data 1 (both directions), every value of each event data byte the text reads; the same entries on
/// neighbouring products, which FreeIPMI reads generically. Our Event and State columns equal FreeIPMI's, record for
/// record; one oracle run per test.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMSupermicroWistronGigabyteAgainstFreeIPMITests {
    typealias Record = FreeIPMISELOracle.Case

    /// A system event record (IPMI v2.0 §32.1): record ID 1, type 02h, no timestamp, event message format 04h.
    static func record(
        generator: UInt8 = 0x20, channel: UInt8 = 0x00, sensorType: UInt8, sensorNumber: UInt8, eventType: UInt8,
        data: [UInt8]
    ) -> [UInt8] {
        [0x01, 0x00, 0x02, 0, 0, 0, 0, generator, channel, 0x04, sensorType, sensorNumber, eventType] + data
    }

    /// A byte that changes from record to record, FFh (unspecified) one time in eight.
    static func byte(_ n: Int, _ salt: Int) -> UInt8 {
        n % 8 == salt ? 0xFF : UInt8(truncatingIfNeeded: n &* 167 &+ salt &* 61 &+ 13)
    }

    /// Every event data 1 of a shape, deasserted for odd values of bits 7:4 so each offset is seen both ways, with
    /// event data 2 and 3 changing from record to record.
    static func everyData1(
        _ records: inout [Record], devices: [SELDeviceIdentity], generator: UInt8 = 0x20, sensorType: UInt8,
        number: UInt8, eventType: UInt8
    ) {
        for data1 in 0...255 {
            let direction: UInt8 = data1 >> 4 & 1 == 1 ? 0x80 : 0x00
            let n = records.count
            let record = record(
                generator: generator, sensorType: sensorType, sensorNumber: number, eventType: eventType | direction,
                data: [UInt8(data1), byte(n, 3), byte(n, 5)])
            records += devices.map { ($0, record) }
        }
    }

    /// Bits 7:4 of event data 1: both bytes OEM codes, event data 2 only, event data 3 only, both extension codes,
    /// both unspecified.
    static let flags: [UInt8] = [0xA0, 0x80, 0x20, 0xF0, 0x00]

    /// Each of event data 2 and 3 through all 256 values, the other fixed, under every flag combination.
    static func everySingleByte(
        _ records: inout [Record], devices: [SELDeviceIdentity], generator: UInt8 = 0x20, sensorType: UInt8,
        number: UInt8, eventType: UInt8, offset: UInt8
    ) {
        for flag in flags {
            for value in 0...255 {
                for data in [[UInt8(value), 0x5A], [0xA5, UInt8(value)]] {
                    let record = record(
                        generator: generator, sensorType: sensorType, sensorNumber: number, eventType: eventType,
                        data: [flag | offset] + data)
                    records += devices.map { ($0, record) }
                }
            }
        }
    }

    /// Runs the oracle on `records` and expects no difference; that there are at least `atLeast` of them, and that
    /// at least `interpreted` reach an interpretation: FreeIPMI prints them otherwise than the generic text (nil:
    /// the interpretation is the same whatever the BMC, there is no generic text to tell it from).
    static func check(_ records: [Record], label: String, atLeast: Int, interpreted: Int?) async throws {
        let comparison = try await FreeIPMISELOracle.run(records, interpretedOn: nil)
        var count = 0
        for (record, theirs) in zip(records, comparison.answers) {
            let entry = try #require(SELEntry(record: record.record))
            if theirs != [entry.text(sensor: nil, device: nil), entry.state(device: nil).rawValue] { count += 1 }
        }
        #expect(
            records.count > atLeast && count > interpreted ?? -1, "\(label): \(count) of \(records.count) interpreted")
        FreeIPMISELOracle.expectNone(comparison, of: records.count)
    }

    // MARK: Supermicro

    static let supermicroIDs: [UInt32] = [10876, 47488]
    /// The products of FreeIPMI's "Overheat" list and of its X10 DIMM list, and products on neither.
    static let overheatProducts: [UInt16] = [
        43707, 1549, 6, 1541, 1572, 1551, 1037, 1585, 43025, 4520, 48145, 1576, 1574, 1603, 1600, 42769,
    ]
    static let dimmProducts: [UInt16] = [2201, 2148, 1832, 2051, 2049, 2097, 2065, 2099, 2100, 2081, 2098, 2117, 2115]
    static let otherProducts: [UInt16] = [4, 5, 1573, 2202]

    static func supermicroRecords() -> [Record] {
        var records: [Record] = []
        var overheatDevices: [SELDeviceIdentity] = []
        for id in supermicroIDs {
            for product in overheatProducts + otherProducts {
                overheatDevices.append(SELDeviceIdentity(manufacturerID: id, productID: product))
            }
        }
        // Peppercon's boards (product 4) and Magnum Technologies' X8DTL (product 6), each with the other's product.
        for (id, products): (UInt32, [UInt16]) in [(10437, [4, 6, 5]), (5593, [6, 4, 7])] {
            for product in products {
                overheatDevices.append(SELDeviceIdentity(manufacturerID: id, productID: product))
            }
        }
        // The CPU temperature sensor (C0h) with the OEM event type it logs (70h) and others; a neighbour sensor type.
        for (sensorType, eventType): (UInt8, UInt8) in [
            (0xC0, 0x70), (0xC0, 0x71), (0xC0, 0x6F), (0xC0, 0x03), (0xC0, 0x01), (0xC1, 0x70), (0x01, 0x70),
        ] {
            everyData1(&records, devices: overheatDevices, sensorType: sensorType, number: 0x92, eventType: eventType)
        }
        // The CPU temperature's every event data 1 in the other direction too (its state holds either way).
        for data1 in 0...255 {
            let direction: UInt8 = data1 >> 4 & 1 == 1 ? 0x00 : 0x80
            let record = record(
                sensorType: 0xC0, sensorNumber: 0x92, eventType: 0x70 | direction, data: [UInt8(data1), 0x00, 0xFF])
            records += overheatDevices.map { ($0, record) }
        }
        var dimmDevices: [SELDeviceIdentity] = []
        for id in supermicroIDs {
            for product in dimmProducts + [1572, 2202] {
                dimmDevices.append(SELDeviceIdentity(manufacturerID: id, productID: product))
            }
        }
        dimmDevices += [SELDeviceIdentity(manufacturerID: 10437, productID: 2201)]
        // Memory (0Ch) as sensor-specific and generic events, and a neighbour sensor type.
        for (sensorType, eventType): (UInt8, UInt8) in [(0x0C, 0x6F), (0x0C, 0x03), (0x07, 0x6F)] {
            everyData1(&records, devices: dimmDevices, sensorType: sensorType, number: 0xA0, eventType: eventType)
        }
        // Correctable and uncorrectable memory errors with OEM codes: every event data 2 against a few event data 3
        // on each board; every pair of bytes on one board of each ID.
        let data3s: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x80, 0xFF]
        for device in dimmDevices {
            for offset: UInt8 in [0x00, 0x01] {
                for data2 in 0...255 {
                    let data3 = data3s[(data2 + Int(offset)) % data3s.count]
                    records.append(
                        (
                            device,
                            record(
                                sensorType: 0x0C, sensorNumber: 0xA0, eventType: 0x6F,
                                data: [0xA0 | offset, UInt8(data2), data3])
                        ))
                }
            }
        }
        for id in supermicroIDs {
            let device = SELDeviceIdentity(manufacturerID: id, productID: id == 10876 ? 2201 : 2115)
            for data2 in 0...255 {
                for data3 in 0...255 where data3 % 4 == data2 % 4 || data3 < 8 {
                    records.append(
                        (
                            device,
                            record(
                                sensorType: 0x0C, sensorNumber: 0xA0, eventType: 0x6F,
                                data: [0xA0 | UInt8(data3 & 1), UInt8(data2), UInt8(data3)])
                        ))
                }
            }
        }
        // The memory errors under every other event data 1 flag combination, on one board.
        everySingleByte(
            &records, devices: [SELDeviceIdentity(manufacturerID: 10876, productID: 2201)], sensorType: 0x0C,
            number: 0xA0, eventType: 0x6F, offset: 0x01)
        return records
    }

    @Test func supermicroAsLibfreeipmiPrintsIt() async throws {
        try await Self.check(Self.supermicroRecords(), label: "supermicro", atLeast: 100_000, interpreted: 20_000)
    }

    // MARK: Wistron C6220

    static let wistron = SELDeviceIdentity(manufacturerID: 11161, productID: 131)
    /// Another Wistron product and the C6220's product under Dell's ID, which FreeIPMI reads otherwise.
    static let wistronNeighbours = [
        SELDeviceIdentity(manufacturerID: 11161, productID: 132),
        SELDeviceIdentity(manufacturerID: 674, productID: 131),
    ]

    /// Sensor types with the BIOS's sensor numbers for them (and a neighbour number).
    static let wistronSensors: [(type: UInt8, numbers: [UInt8])] = [
        (0x07, [0x04, 0x05]), (0x0C, [0x60, 0x61]), (0x12, [0x81, 0x85, 0x86, 0x89, 0x8A]),
        (0x13, [0x72, 0x73, 0x77]), (0x0F, [0x86, 0x81]), (0xC0, [0x71, 0x72, 0x73]),
    ]

    /// Events whose event data 2 or 3 the C6220 reads alone: sensor type, number, offset.
    static let wistronSingleByteEvents: [(type: UInt8, number: UInt8, offset: UInt8)] = {
        var events: [(type: UInt8, number: UInt8, offset: UInt8)] = []
        for offset: UInt8 in [0x00, 0x01, 0x02, 0x03, 0x04, 0x0A, 0x05] { events.append((0x07, 0x04, offset)) }
        for offset: UInt8 in [0x04, 0x05, 0x07, 0x08, 0x0A, 0x09] { events.append((0x13, 0x73, offset)) }
        for offset: UInt8 in [0x07, 0x08, 0x0A, 0x09] {
            events.append((0xC0, 0x71, offset))
            events.append((0xC0, 0x72, offset))
        }
        for offset: UInt8 in [0x07, 0x08, 0x0A] { events.append((0x13, 0x77, offset)) }
        for number: UInt8 in [0x85, 0x89, 0x8A] { events += [(0x12, number, 0x01), (0x12, number, 0x02)] }
        return events
    }()

    static func wistronRecords() -> [Record] {
        var records: [Record] = []
        for sensor in wistronSensors {
            for number in sensor.numbers {
                for eventType: UInt8 in [0x6F, 0x03, 0x0B, 0x70] {
                    for generator: UInt8 in [0x01, 0x21, 0x33] {
                        everyData1(
                            &records, devices: [wistron], generator: generator, sensorType: sensor.type,
                            number: number, eventType: eventType)
                    }
                }
            }
        }
        // The same from the BIOS on the neighbours, which FreeIPMI reads generically.
        for sensor in wistronSensors {
            everyData1(
                &records, devices: wistronNeighbours, generator: 0x01, sensorType: sensor.type,
                number: sensor.numbers[0], eventType: 0x6F)
        }
        for event in wistronSingleByteEvents {
            everySingleByte(
                &records, devices: [wistron], generator: 0x01, sensorType: event.type, number: event.number,
                eventType: 0x6F, offset: event.offset)
            // The PCI and IOH core events as generic discrete events too: FreeIPMI's event data 3 reading of them
            // does not test the event type itself.
            if event.number == 0x73 || event.number == 0x71 {
                everySingleByte(
                    &records, devices: [wistron], generator: 0x01, sensorType: event.type, number: event.number,
                    eventType: 0x03, offset: event.offset)
            }
        }
        // Events whose two bytes are read together, whatever event data 1 says: each byte through all values against
        // eight of the other, under a flag that changes, from the BIOS on the system bus or on channel 1 (LUN 3).
        let others: [UInt8] = [0x00, 0x01, 0x04, 0x10, 0x1F, 0x80, 0xC3, 0xFF]
        let together: [(type: UInt8, number: UInt8, offset: UInt8, eventType: UInt8)] = [
            (0x0C, 0x60, 0x00, 0x6F), (0x0C, 0x60, 0x01, 0x6F), (0x0C, 0x60, 0x03, 0x6F), (0x0C, 0x60, 0x04, 0x6F),
            (0x0C, 0x60, 0x08, 0x6F), (0x0C, 0x60, 0x02, 0x6F), (0x0C, 0x60, 0x00, 0x03), (0x12, 0x81, 0x01, 0x6F),
            (0x12, 0x81, 0x01, 0x03), (0x12, 0x81, 0x02, 0x6F), (0x0F, 0x86, 0x00, 0x6F), (0x0F, 0x86, 0x00, 0x03),
        ]
        for event in together {
            for value in 0...255 {
                for (index, other) in others.enumerated() {
                    let flag = flags[(value + index) % flags.count]
                    for data in [[UInt8(value), other], [other, UInt8(value)]] {
                        records.append(
                            (
                                wistron,
                                record(
                                    generator: 0x01, channel: index % 2 == 0 ? 0x00 : 0x13, sensorType: event.type,
                                    sensorNumber: event.number,
                                    eventType: event.eventType, data: [flag | event.offset] + data)
                            ))
                    }
                }
            }
        }
        // The POST error codes: every low byte with the high bytes FreeIPMI names codes in, every high byte with a
        // few low bytes.
        for high: UInt8 in [0x00, 0x80, 0x01, 0x81] {
            for low in 0...255 {
                records.append(
                    (
                        wistron,
                        record(
                            generator: 0x01, sensorType: 0x0F, sensorNumber: 0x86, eventType: 0x6F,
                            data: [0xA0, UInt8(low), high])
                    ))
            }
        }
        return records
    }

    @Test func wistronAsLibfreeipmiPrintsIt() async throws {
        try await Self.check(Self.wistronRecords(), label: "wistron", atLeast: 100_000, interpreted: 30_000)
    }

    // MARK: Gigabyte, Sun X4140

    static let gigabytes = [
        SELDeviceIdentity(manufacturerID: 15370, productID: 266),
        SELDeviceIdentity(manufacturerID: 15370, productID: 280),
    ]
    static let gigabyteNeighbour = SELDeviceIdentity(manufacturerID: 15370, productID: 267)
    static let sunX4140 = SELDeviceIdentity(manufacturerID: 42, productID: 18177)

    static func gigabyteAndSunRecords() -> [Record] {
        var records: [Record] = []
        let devices = gigabytes + [gigabyteNeighbour, sunX4140]
        for sensorType: UInt8 in [0x13, 0x0C, 0x07, 0x01] {
            for eventType: UInt8 in [0x6F, 0x03, 0x0B, 0x01, 0x70] {
                for generator: UInt8 in [0x20, 0x01, 0x41] {
                    everyData1(
                        &records, devices: devices, generator: generator, sensorType: sensorType,
                        number: generator == 0x20 ? 0x30 : 0x9C, eventType: eventType)
                }
            }
        }
        // The PCI and memory events (and neighbour offsets), from two generators and sensor numbers.
        let events: [(type: UInt8, offset: UInt8)] = [
            (0x13, 0x04), (0x13, 0x05), (0x13, 0x06), (0x0C, 0x00), (0x0C, 0x01), (0x0C, 0x05), (0x0C, 0x02),
        ]
        for event in events {
            for (generator, number): (UInt8, UInt8) in [(0x20, 0x30), (0x01, 0xE1)] {
                everySingleByte(
                    &records, devices: gigabytes, generator: generator, sensorType: event.type, number: number,
                    eventType: 0x6F, offset: event.offset)
            }
            everySingleByte(
                &records, devices: [gigabyteNeighbour], sensorType: event.type, number: 0x30, eventType: 0x03,
                offset: event.offset)
        }
        // The Sun X4140's event data 3 of threshold and discrete events (FreeIPMI 1.6 leaves it generic).
        for (sensorType, eventType, offset): (UInt8, UInt8, UInt8) in [
            (0x01, 0x01, 0x02), (0x01, 0x01, 0x09), (0x04, 0x07, 0x01), (0x0C, 0x6F, 0x00), (0x25, 0x08, 0x01),
        ] {
            everySingleByte(
                &records, devices: [sunX4140], sensorType: sensorType, number: 0x11, eventType: eventType,
                offset: offset)
        }
        return records
    }

    @Test func gigabyteAndSunAsLibfreeipmiPrintsThem() async throws {
        try await Self.check(Self.gigabyteAndSunRecords(), label: "gigabyte-sun", atLeast: 50_000, interpreted: 5_000)
    }

    // MARK: Linux kernel panics

    /// Boards of every kind: no interpretation, and boards with one (Supermicro, Wistron, Gigabyte, Intel, Dell).
    static let anyBoards = [
        SELDeviceIdentity(manufacturerID: 0, productID: 0), SELDeviceIdentity(manufacturerID: 10876, productID: 2201),
        wistron, gigabytes[0], SELDeviceIdentity(manufacturerID: 343, productID: 64),
        SELDeviceIdentity(manufacturerID: 674, productID: 256), sunX4140,
    ]

    /// Tab, line feed and carriage return, which would break the oracle's lines and columns if printed.
    static let lineBreaking: Set<UInt8> = [0x09, 0x0A, 0x0D]

    static func linuxKernelRecords() -> [Record] {
        var records: [Record] = []
        // OS critical stop (20h) from the kernel (software ID 10h: 21h) and neighbours (the BMC, another software
        // ID; a neighbour sensor type), with every event data 1.
        for (generator, sensorType): (UInt8, UInt8) in [(0x21, 0x20), (0x20, 0x20), (0x23, 0x20), (0x21, 0x1F)] {
            for eventType: UInt8 in [0x6F, 0x03, 0x70] {
                everyData1(
                    &records, devices: anyBoards, generator: generator, sensorType: sensorType, number: 0x41,
                    eventType: eventType)
            }
        }
        // The panic string's first three characters: the sensor number, event data 2 and 3 each through every
        // value but those (a NUL anywhere ends it), under every flag combination and both channels.
        let texts: [[UInt8]] = [[0x41, 0x42, 0x43], [0x00, 0x42, 0x43], [0x41, 0x00, 0x43], [0x20, 0x7E, 0x00]]
        for (index, text) in texts.enumerated() {
            for position in 0..<3 {
                for value in 0...255 where !lineBreaking.contains(UInt8(value)) {
                    var bytes = text
                    bytes[position] = UInt8(value)
                    let flag = flags[(value + position) % flags.count]
                    let record = record(
                        generator: 0x21, channel: index % 2 == 0 ? 0x00 : 0x03, sensorType: 0x20,
                        sensorNumber: bytes[0], eventType: 0x6F, data: [flag | UInt8(value % 2), bytes[1], bytes[2]])
                    records += anyBoards.map { ($0, record) }
                }
            }
        }
        // Non-timestamped OEM records of the kernel (F0h) and of other types: the string bytes with NULs at every
        // place, every byte value but those at each place.
        for recordType: UInt8 in [0xF0, 0xF1, 0xEF, 0xE0, 0xDF, 0xC0, 0xFF] {
            for position in 0..<13 {
                for value in stride(from: 0, through: 255, by: recordType == 0xF0 ? 1 : 17)
                where !lineBreaking.contains(UInt8(value)) {
                    var data = Array("SLpanic text!".utf8)
                    data[position] = UInt8(value)
                    if recordType == 0xF0, value % 7 == 0 { data[min(position + 3, 12)] = 0 }
                    let record: [UInt8] = [0x02, 0x00, recordType] + data
                    records += anyBoards.map { ($0, record) }
                }
            }
        }
        return records
    }

    @Test func linuxKernelPanicsAsLibfreeipmiPrintsThem() async throws {
        try await Self.check(Self.linuxKernelRecords(), label: "linux-kernel", atLeast: 50_000, interpreted: nil)
    }
}
