import Foundation
import IPMI
import IPMITestSupport
import Testing

@testable import ExporterCollectors

/// Our Event and State columns of Fujitsu iRMC entries against the installed libfreeipmi's
/// (scripts/freeipmi-sel-text.py, the calls ipmi-sel makes, without a BMC): every event data 1 byte of every OEM sensor
/// type (C0h-FFh) and of the standard ones, in both directions, under other event/reading types, every event data 2
/// and 3 byte on some of them, generator IDs, and the products FreeIPMI takes for iRMCs and their neighbours.
///
/// Without a BMC libfreeipmi cannot ask the iRMC for its text, so it fails each entry it would ask about (event data 2
/// and 3 both OEM codes): the script prints "N/A" for it (ipmi-sel stops listing there). For those the suite checks
/// what we print without the iRMC's text (ipmi-sel's text without `--interpret-oem-data`, the script's for a
/// manufacturer it knows nothing of) and with an empty one (the iRMC's name of event data 1, then event data 2 and 3
/// as usual: both parts the script's). OEM records are not here: the script prints "%E", which has nothing for them
/// (ipmi-sel prints "%o"); SELOEMFujitsuAgainstIpmiSelTests compares them with ipmi-sel.
@Suite(.enabled(if: ExternalCommand.isAvailable("python3"), "needs python3 and libfreeipmi"))
struct SELOEMFujitsuAgainstFreeIPMITests {
    static let irmcS2 = SELDeviceIdentity(manufacturerID: 10368, productID: 0x0260)
    /// A manufacturer FreeIPMI has no interpretation for: its text is ipmi-sel's without `--interpret-oem-data`.
    static let plain = SELDeviceIdentity(manufacturerID: 0, productID: 0)
    /// Fujitsu's OEM sensor types with names, and the two FreeIPMI keeps reserved.
    static let fujitsuTypes: [UInt8] = [
        0xC0, 0xDD, 0xDE, 0xDF, 0xE1, 0xE3, 0xE4, 0xE6, 0xE8, 0xE9, 0xEA, 0xEC, 0xEE, 0xEF,
    ]
    /// Event data 2 and 3 pairs, taken in turn.
    static let pairs: [(UInt8, UInt8)] = [(0x00, 0x00), (0x5A, 0xA5), (0xFF, 0xFF), (0x12, 0xFF), (0xFF, 0x34)]

    struct Case {
        var device: SELDeviceIdentity
        var record: [UInt8]
    }

    /// A system event record (IPMI v2.0 §32.1): generator, sensor type and number, event direction and type, event
    /// data 1-3.
    static func record(generator: UInt8 = 0x20, _ sensorType: UInt8, _ type: UInt8, _ data: [UInt8]) -> [UInt8] {
        [0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, generator, 0x00, 0x04, sensorType, 0x01, type] + data
    }

    static func cases() -> [Case] {
        var cases: [Case] = []
        func add(_ device: SELDeviceIdentity, _ record: [UInt8]) { cases.append(Case(device: device, record: record)) }
        func pair(_ index: Int) -> (UInt8, UInt8) { pairs[index % pairs.count] }
        // Every OEM sensor type, sensor-specific, both directions, every event data 1.
        for sensorType in 0xC0...0xFF {
            for direction: UInt8 in [0x6F, 0xEF] {
                for data1 in 0...255 {
                    let (data2, data3) = pair(data1 + sensorType)
                    add(irmcS2, record(UInt8(sensorType), direction, [UInt8(data1), data2, data3]))
                }
            }
        }
        // The products FreeIPMI takes for iRMCs (0200h-05FFh, S1 and S2 alike) and their neighbours.
        let devices = [
            SELDeviceIdentity(manufacturerID: 10368, productID: 0x0200),
            SELDeviceIdentity(manufacturerID: 10368, productID: 0x05FF),
            SELDeviceIdentity(manufacturerID: 10368, productID: 0x01FF),
            SELDeviceIdentity(manufacturerID: 10368, productID: 0x0600),
            SELDeviceIdentity(manufacturerID: 10369, productID: 0x0260),
        ]
        for device in devices {
            for sensorType in fujitsuTypes + [0x0C] {
                for data1 in 0...255 {
                    let (data2, data3) = pair(data1)
                    add(device, record(sensorType, 0x6F, [UInt8(data1), data2, data3]))
                }
            }
        }
        // Fujitsu's sensor types under other event/reading types: threshold, generic discrete, OEM.
        for sensorType in fujitsuTypes {
            for type: UInt8 in [0x01, 0x03, 0x07, 0x70] {
                for data1 in 0...255 {
                    let (data2, data3) = pair(data1 + Int(type))
                    add(irmcS2, record(sensorType, type, [UInt8(data1), data2, data3]))
                }
            }
        }
        // Every event data 2 and every event data 3, under every combination of what event data 1 says they hold: on
        // a named Fujitsu type, a reserved one and a standard one.
        for sensorType: UInt8 in [0xE6, 0xEA, 0x0C] {
            for flags in 0...15 {
                let data1 = UInt8(flags << 4 | 0x01)
                for byte in 0...255 {
                    add(irmcS2, record(sensorType, 0x6F, [data1, UInt8(byte), 0x34]))
                    add(irmcS2, record(sensorType, 0x6F, [data1, 0x12, UInt8(byte)]))
                }
            }
        }
        // The standard sensor types on an iRMC: FreeIPMI's generic names.
        for sensorType in 0x00...0x2C {
            for data1 in 0...255 {
                let (data2, data3) = pair(data1 + sensorType)
                add(irmcS2, record(UInt8(sensorType), 0x6F, [UInt8(data1), data2, data3]))
            }
        }
        // Generator IDs: the BMC, the Linux kernel (software ID 10h, whose OS critical stop FreeIPMI reads before
        // any manufacturer's interpretation), other software and a controller.
        for generator: UInt8 in [0x20, 0x21, 0x41, 0x81] {
            for sensorType: UInt8 in [0x20, 0xC0, 0xE6] {
                for data1 in 0...255 {
                    let (data2, data3) = (UInt8(0x41), UInt8(0x42))
                    add(irmcS2, record(generator: generator, sensorType, 0x6F, [UInt8(data1), data2, data3]))
                }
            }
        }
        return cases
    }

    /// Event data 1 without what it says of event data 2 and 3 (bits 7:4 zero): the event alone.
    static func eventAlone(_ record: [UInt8]) -> [UInt8] {
        var record = record
        record[13] &= 0x0F
        return record
    }

    @Test func everyEntryReadsAsLibfreeipmiReadsIt() async throws {
        let cases = Self.cases()
        let entries = cases.map { SELEntry(record: $0.record)! }
        // The lines for the script: each case, then for each entry FreeIPMI would ask the iRMC about, the entry
        // and its event alone as an unknown manufacturer's, and its event alone as the iRMC's.
        var lines: [FreeIPMISELOracle.Case] = cases.map { ($0.device, $0.record) }
        var extra: [Int: Int] = [:]
        for (index, (item, entry)) in zip(cases, entries).enumerated()
        where SELOEMFujitsu.isIRMC(item.device) && SELOEMFujitsu.asksText(entry) {
            extra[index] = lines.count
            let alone = Self.eventAlone(item.record)
            lines += [(Self.plain, item.record), (Self.plain, alone), (item.device, alone)]
        }
        // The Event column, and the rest of the line as the State column.
        let theirs = try await FreeIPMISELOracle.answers(lines, timeout: 900).map {
            ($0[0], $0.dropFirst().joined(separator: "\t"))
        }
        try #require(theirs.count == lines.count, "the oracle answered \(theirs.count) of \(lines.count) lines")

        var mismatches: [String] = []
        func compare(_ what: String, _ index: Int, _ ours: String, _ theirs: String) {
            guard ours != theirs else { return }
            let item = cases[index]
            mismatches.append(
                "\(what) \(item.device.manufacturerID)/\(item.device.productID) \(FreeIPMISELOracle.hex(item.record)): "
                    + "ours \"\(ours)\", FreeIPMI's \"\(theirs)\"")
        }
        var named = 0
        var asked = 0
        for (index, entry) in entries.enumerated() {
            let device = cases[index].device
            let (event, state) = theirs[index]
            compare("state", index, entry.state(device: device).rawValue, state)
            guard let first = extra[index] else {
                compare("event", index, entry.text(sensor: nil, device: device, irmcText: nil), event)
                compare("event", index, entry.text(sensor: nil, device: device), event)
                if SELOEMFujitsu.event(entry) != nil, SELOEMFujitsu.isIRMC(device) { named += 1 }
                continue
            }
            asked += 1
            // libfreeipmi fails the entry without the iRMC's answer.
            compare("failed entry", index, "N/A", event)
            let (generic, genericAlone, irmcAlone) = (theirs[first].0, theirs[first + 1].0, theirs[first + 2].0)
            compare("without the iRMC's text", index, entry.text(sensor: nil, device: device, irmcText: nil), generic)
            // An empty text: the iRMC's event, then event data 2 and 3 as usual (what follows the generic event).
            guard generic.hasPrefix(genericAlone) else {
                compare("generic event", index, genericAlone, String(generic.prefix(genericAlone.count)))
                continue
            }
            let data = generic.dropFirst(genericAlone.count)
            let empty = FujitsuSELText.text("", severity: 0, css: false)
            compare("empty text", index, entry.text(sensor: nil, device: device, irmcText: empty), irmcAlone + data)
            let text = FujitsuSELText.text("Fan 2 failed", severity: 2, css: true)
            compare(
                "with a text", index, entry.text(sensor: nil, device: device, irmcText: text),
                irmcAlone + " ; Fan 2 failed (CSS Component)")
        }
        // The names are there: every named offset of every Fujitsu sensor type read on each iRMC product and
        // direction, and entries whose text FreeIPMI asks for.
        #expect(named > 10_000 && asked > 5_000, "named \(named), asked \(asked)")
        #expect(theirs.contains { $0.0 == "FAN failed" } && theirs.contains { $0.0 == "NVRAM defaults loaded" })
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ, first: \(mismatches.prefix(10))")
    }
}
