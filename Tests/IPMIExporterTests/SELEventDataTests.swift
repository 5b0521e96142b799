import Foundation
import IPMISensors
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Event data 2 and 3 of sensor-specific extension codes (IPMI v2.0 §29.7, table 42-3) in FreeIPMI's words, byte
/// for byte, and the Event text of whole entries that carry them.
@Suite struct SELEventDataTests {
    static func data2(_ sensorType: UInt8, _ offset: UInt8, _ byte: UInt8) -> String? {
        SELEventData.data2Text(sensorType: sensorType, offset: offset, data2: byte)
    }

    static func data3(_ sensorType: UInt8, _ offset: UInt8, _ data2: UInt8, _ data3: UInt8) -> String? {
        SELEventData.data3Text(sensorType: sensorType, offset: offset, data2: data2, data3: data3)
    }

    @Test func eventData2() {
        #expect(Self.data2(0x05, 0x04, 0x02) == "Network controller #2")
        #expect(Self.data2(0x05, 0x03, 0x02) == nil)
        #expect(Self.data2(0x0F, 0x00, 0x0D) == "CPU speed matching failure")
        #expect(Self.data2(0x0F, 0x00, 0x0E) == nil)
        #expect(Self.data2(0x0F, 0x02, 0x19) == "Primary processor initialization")
        #expect(Self.data2(0x0F, 0x01, 0x15) == "reserved")
        #expect(Self.data2(0x0F, 0x02, 0x1A) == nil)
        #expect(Self.data2(0x10, 0x00, 0x07) == "Memory module/device #7")
        #expect(Self.data2(0x10, 0x01, 0x6F) == "Event/Reading Type Code #111")
        #expect(Self.data2(0x10, 0x06, 0x03) == "Instance ID #3")
        #expect(Self.data2(0x10, 0x05, 0x03) == nil)
        // Auxiliary log: bits 3:0 through the action table, 7:4 through the log type table, either may be missing.
        #expect(Self.data2(0x12, 0x03, 0x13) == "Log entry action = log cleared ; Log Type = OEM1")
        #expect(Self.data2(0x12, 0x03, 0x0F) == "Log Type = MCA log")
        #expect(Self.data2(0x12, 0x03, 0xAF) == nil)
        #expect(Self.data2(0x12, 0x03, 0x2E) == "Log Type = OEM2")
        #expect(Self.data2(0x12, 0x03, 0xF0) == "Log entry action = entry added")
        #expect(Self.data2(0x12, 0x04, 0x01) == nil)
        #expect(
            Self.data2(0x12, 0x05, 0x81) == "SDR Timestamp Clock updated ; event is second of pair")
        #expect(Self.data2(0x12, 0x05, 0x02) == " ; event is first of pair")
        #expect(Self.data2(0x19, 0x00, 0x0C) == "Requested power state = Legacy OFF state")
        #expect(Self.data2(0x19, 0x00, 0x0D) == nil)
        #expect(Self.data2(0x1D, 0x07, 0xF4) == "Watchdog expiration")
        #expect(Self.data2(0x1D, 0x07, 0x0C) == nil)
        #expect(Self.data2(0x1D, 0x06, 0x04) == nil)
        #expect(Self.data2(0x21, 0x02, 0x87) == "Slot/Connector Type = DIMM/memory device")
        #expect(Self.data2(0x21, 0x00, 0x0D) == nil)
        #expect(Self.data2(0x23, 0x08, 0x14) == "Timer use at expiration = SMS/OS ; Interrupt type = SMI")
        #expect(Self.data2(0x23, 0x00, 0x60) == "reserved ; reserved")
        #expect(Self.data2(0x23, 0x00, 0xFF) == "Timer use at expiration = unspecified ; Interrupt type = unspecified")
        #expect(Self.data2(0x28, 0x04, 0x42) == "Sensor Number #66")
        #expect(
            Self.data2(0x28, 0x05, 0x9D)
                == "device is logical FRU Device (accessed via FRU commands to mgmt. controller ; "
                + "LUN for Master Write-Read command or FRU Command #3 ; Private bus ID #5")
        #expect(Self.data2(0x28, 0x01, 0x9D) == nil)
        #expect(Self.data2(0x2A, 0x00, 0xC0) == "User ID for user that activated session = Unspecified")
        #expect(Self.data2(0x2A, 0x00, 0x45) == "User ID for user that activated session #5")
        #expect(Self.data2(0x2A, 0x01, 0x45) == nil)
        #expect(
            Self.data2(0x2B, 0x07, 0x02) == "Version change type = management controller firmware revision")
        #expect(Self.data2(0x2B, 0x01, 0x18) == nil)
        #expect(
            Self.data2(0x2C, 0x07, 0x54)
                == "Previous State = FRU Active ; Cause of state change = Communication Lost")
        #expect(Self.data2(0x2C, 0x00, 0xB8) == "Previous State =  ; reserved")
        #expect(Self.data2(0x08, 0x06, 0x01) == nil)
        #expect(Self.data2(0xC0, 0x00, 0x01) == nil)
    }

    @Test func eventData3() {
        #expect(Self.data3(0x08, 0x06, 0xFF, 0x03) == "Power Supply rating mismatch")
        #expect(Self.data3(0x08, 0x06, 0xFF, 0xF1) == "Revision mismatch")
        #expect(Self.data3(0x08, 0x06, 0xFF, 0x05) == nil)
        #expect(Self.data3(0x08, 0x01, 0xFF, 0x01) == nil)
        #expect(Self.data3(0x0C, 0x08, 0xFF, 0x0B) == "Memory module/device #11")
        #expect(Self.data3(0x0C, 0x01, 0xFF, 0x0B) == nil)
        #expect(
            Self.data3(0x10, 0x01, 0x01, 0x32) == "Event Offset #2 ; assertion event ; "
                + "logging has been disabled for all events of given type")
        #expect(Self.data3(0x10, 0x01, 0x01, 0x05) == "Event Offset #5 ; deassertion event")
        #expect(Self.data3(0x10, 0x05, 0xFF, 0x5A) == "90% full")
        #expect(Self.data3(0x10, 0x06, 0x02, 0x00) == "Entity Instance Number = #2")
        #expect(Self.data3(0x10, 0x06, 0x02, 0x80) == "Vendor-specific Processor Number = #2")
        #expect(Self.data3(0x19, 0x00, 0x00, 0x0D) == "Power state at time of request = unknown")
        #expect(Self.data3(0x19, 0x00, 0x00, 0x0E) == nil)
        #expect(
            Self.data3(0x1D, 0x07, 0x01, 0x01) == "Channel Number used to deliver command that generated restart #1")
        #expect(Self.data3(0x21, 0x09, 0x00, 0x0C) == "Slot/Connector #12")
        #expect(Self.data3(0x28, 0x05, 0x00, 0x20) == "FRU Device ID/Slave Address #32")
        #expect(Self.data3(0x28, 0x04, 0x00, 0x20) == nil)
        #expect(Self.data3(0x2A, 0x00, 0x01, 0x27) == "Channel number that session was activated/deactivated = 7")
        #expect(
            Self.data3(0x2A, 0x01, 0x01, 0x27)
                == "Channel number that session was activated/deactivated = 7 ; Session deactivated by timeout")
        #expect(Self.data3(0x23, 0x00, 0x01, 0x01) == nil)
    }

    /// Whole entries, "generator | sensor type, number, event direction and type, event data 1-3 | ipmi-sel's
    /// text" (generator and bytes in hex).
    static let entries = [
        // Sensor-specific extension codes in both bytes, and one FreeIPMI has no text for (PEF action).
        "20 | 08 50 6F F6 FF 03 | Configuration error ; Power Supply rating mismatch",
        "20 | 2A 60 6F F1 02 11 | Session Deactivated ; Event Data2 = 02h ; "
            + "Channel number that session was activated/deactivated = 1 ; "
            + "Session deactivated by Close Session command",
        "20 | 12 61 6F C4 01 FF | PEF Action ; Event Data2 = 01h",
        // The correctable machine check case prints event data 3's text alone.
        "20 | 10 62 6F F6 04 80 | Correctable Machine Check Error Logging Disabled ; "
            + "Vendor-specific Processor Number = #4",
        // Previous state and severity (01b): most sensor types name no previous state; FRU state names one through
        // its event data 2 table; an unnamed severity and no previous state is the byte.
        "20 | 0C 08 6F 41 21 FF | Uncorrectable memory error ; "
            + "Severity State = transition to Critical from less severe",
        "20 | 2C 63 6F 44 F3 FF | FRU Active ; "
            + "Previous State = Previous State = FRU Activation In Progress ; "
            + "Cause of state change = Normal State Change",
        "20 | 2C 63 6F 44 13 FF | FRU Active ; "
            + "Previous State = Previous State = FRU Activation In Progress ; "
            + "Cause of state change = Normal State Change ; Severity State = transition to Non-Critical from OK",
        "20 | 0C 08 6F 41 9F FF | Uncorrectable memory error ; Event Data2 = 9Fh",
        // An OEM event type with event data 2 "previous state": an OEM code all the same.
        "20 | C0 08 70 51 11 22 | OEM Event Offset = 01h ; OEM Event Data2 code = 11h ; OEM Event Data3 code = 22h",
        // A threshold event whose sensor type has an extension table.
        "20 | 21 42 01 F7 00 03 | Upper Non-critical - going high ; Slot/Connector Type = PCI ; Slot/Connector #3",
        // A Linux kernel panic: generator 21h, OS critical stop, OEM codes; the panic string's first characters, up
        // to a NUL; from another generator the codes are bytes.
        "21 | 20 4B 6F A1 65 72 | Run-time Critical Stop ; Ker",
        "21 | 20 4B 6F A1 00 72 | Run-time Critical Stop ; K",
        "20 | 20 4B 6F A1 65 72 | Run-time Critical Stop ; OEM Event Data2 code = 65h ; OEM Event Data3 code = 72h",
        // Chip set: FreeIPMI 1.6's short texts end at offset 00h, so Thermal Trip (01h) reads as a bare offset.
        "20 | 19 83 6F 00 FF FF | Soft Power Control Failure",
        "20 | 19 83 6F 01 FF FF | Event Offset = 01h",
    ]

    @Test func entryTexts() {
        for line in Self.entries {
            let fields = line.split(separator: " | ", maxSplits: 2).map(String.init)
            let bytes = (fields[0] + " " + fields[1]).split(separator: " ").compactMap { UInt8($0, radix: 16) }
            let record = [0x01, 0x00, 0x02, 0, 0, 0, 0, bytes[0], 0x00, 0x04] + bytes.dropFirst()
            #expect(SELEntry(record: record)?.text(sensor: nil) == fields[2], "\(line)")
        }
    }
}

/// ``SELEventData`` against the installed libfreeipmi's own answers (scripts/freeipmi-event-data.py asks the two
/// functions ipmi-sel calls) for every sensor type up to 3Fh, offset and event data 2, and every event data 3 with
/// three event data 2 values: the same text, or no text, for each.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELEventDataAgainstFreeIPMITests {
    @Test func everyByteAsLibfreeipmiNamesIt() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/freeipmi-event-data.py").path
        let data2ForData3: [UInt8] = [0x00, 0x5A, 0xFF]
        let output = try await ExternalCommand.output(
            "python3", [script, "0x3F"] + data2ForData3.map { "\($0)" }, timeout: 600)
        var theirs2: [Int: String] = [:]
        var theirs3: [Int: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let numbers = fields.dropLast().compactMap { Int($0) }
            if fields.first == "2", numbers.count == 4 {
                theirs2[numbers[1] << 12 | numbers[2] << 8 | numbers[3]] = fields.last
            } else if fields.first == "3", numbers.count == 5 {
                theirs3[numbers[1] << 20 | numbers[2] << 16 | numbers[3] << 8 | numbers[4]] = fields.last
            }
        }
        #expect(
            theirs2.count > 10_000 && theirs3.count > 20_000, "the oracle answered too little: \(output.prefix(200))")
        var mismatches: [String] = []
        func compare(_ what: String, _ ours: String?, _ theirs: String?) {
            if ours != theirs { mismatches.append("\(what): \(ours ?? "nil") vs \(theirs ?? "nil")") }
        }
        for sensorType in 0...0x3F {
            for offset in 0...15 {
                let (type, off) = (UInt8(sensorType), UInt8(offset))
                for byte in 0...255 {
                    compare(
                        "data2 \(sensorType)/\(offset)/\(byte)",
                        SELEventData.data2Text(sensorType: type, offset: off, data2: UInt8(byte)),
                        theirs2[sensorType << 12 | offset << 8 | byte])
                    for data2 in data2ForData3 {
                        compare(
                            "data3 \(sensorType)/\(offset)/\(data2)/\(byte)",
                            SELEventData.data3Text(sensorType: type, offset: off, data2: data2, data3: UInt8(byte)),
                            theirs3[sensorType << 20 | offset << 16 | Int(data2) << 8 | byte])
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(10))")
    }
}

/// The Event texts ``SELCache`` keeps between renderings: always what rendering the entries now gives, when the log
/// grew, when a record ID came back with other bytes, when the SDRs changed and when records went away.
@Suite struct SELTextCacheTests {
    static func entry(_ id: UInt16, _ bytes: [UInt8]) -> SELEntry {
        SELEntry(record: [UInt8(id & 0xFF), UInt8(id >> 8), 0x02, 1, 2, 3, 0x60, 0x20, 0x00, 0x04] + bytes)!
    }

    @Test func keptTextsAreTheTextsOfTheEntriesNow() async {
        // Fan3 (sensor 42h) in RPM (unit 18), reading = raw × 60: its threshold entry's text depends on the SDR.
        let fan = SensorDefinition(
            recordID: 1, name: "Fan3", key: SensorKey(ownerID: 0x20, ownerLUN: 0, sensorNumber: 0x42), sensorType: 0x04,
            eventReadingType: 0x01, units: SensorUnits(baseUnit: 18),
            conversion: SensorConversion(
                m: 60, b: 0, bExponent: 0, rExponent: 0, format: .unsigned, linearization: .linear))
        let sensors = SELEntry.sensorsByKey([fan])
        let first = [
            Self.entry(1, [0x0C, 0x08, 0x6F, 0x01, 0xFF, 0xFF]), Self.entry(2, [0x04, 0x42, 0x01, 0x52, 0x04, 0x0C]),
            Self.entry(3, [0x23, 0x67, 0x6F, 0xC8, 0x14, 0xFF]),
        ]
        let cache = SELCache()
        func expectFresh(_ entries: [SELEntry], _ sensors: [SensorKey: SensorDefinition]) async {
            let kept = await cache.texts(of: entries, sensors: sensors)
            #expect(kept == entries.map { $0.text(sensor: $0.sensor(in: sensors)) })
        }
        await expectFresh(first, [:])
        #expect(await cache.texts(of: first, sensors: [:])[1].hasSuffix("Sensor Reading = 04h ; Threshold = 0Ch"))
        // The SDRs arrive: the threshold entry's reading is converted.
        await expectFresh(first, sensors)
        #expect(
            await cache.texts(of: first, sensors: sensors)[1].hasSuffix(
                "Sensor Reading = 240.00 RPM ; Threshold = 720.00 RPM"))
        // Grown by one; then cleared and refilled, record 2 now another event; then shrunk.
        let grown = first + [Self.entry(4, [0x2A, 0x69, 0x6F, 0xF1, 0x02, 0x11])]
        await expectFresh(grown, sensors)
        let refilled = [first[0], Self.entry(2, [0x05, 0x60, 0x6F, 0xC4, 0x02, 0xFF])]
        await expectFresh(refilled, sensors)
        #expect(await cache.texts(of: refilled, sensors: sensors)[1] == "LAN Leash Lost ; Network controller #2")
        await expectFresh([first[2]], sensors)
        await expectFresh([], sensors)
    }
}
