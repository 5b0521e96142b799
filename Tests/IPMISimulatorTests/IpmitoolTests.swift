import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// ipmitool is an independent client: what it prints must match the built-in server's configured values.
@Suite("ipmitool against the simulator", .serialized)
struct IpmitoolTests {
    // ipmitool has no MD5-128 integrity (suites 11 and 12); those are covered by FreeIPMI and our client.
    @Test("mc info over every cipher suite ipmitool implements", arguments: [17, 16, 15, 3, 2, 1, 8, 7, 6])
    func mcInfo(suite: Int) async throws {
        try await withSimulatedBMC { fleet in
            let output = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0], suite: suite) + ["mc", "info"])
            #expect(output.contains("Device ID                 : 32"))
            #expect(output.contains("Firmware Revision         : 2.45"))
            #expect(output.contains("IPMI Version              : 2.0"))
            #expect(output.contains("Product ID                : 21321"))
        }
    }

    @Test("Get SDR with FFh bytes to read answers each whole record, as the spec says (section 33.12)")
    func getSDREntireRecord() async throws {
        try await withSimulatedBMC { fleet in
            var recordID = 0
            var lengths: [Int] = []
            while recordID != 0xFFFF, lengths.count < 100 {
                let output = try await ExternalCommand.output(
                    "ipmitool",
                    ipmitoolArguments(port: fleet.ports[0])
                        + ["raw", "0x0a", "0x23", "0", "0", "\(recordID & 0xFF)", "\(recordID >> 8)", "0", "0xff"])
                let bytes = output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap {
                    UInt8($0, radix: 16)
                }
                #expect(bytes.count >= 7)
                guard bytes.count >= 7 else { break }
                // Next record ID, then the record: its 5-byte header says how many body bytes follow.
                let record = Array(bytes.dropFirst(2))
                #expect(record.count == 5 + Int(record[4]), "record \(recordID)")
                lengths.append(record.count)
                recordID = Int(bytes[0]) | Int(bytes[1]) << 8
            }
            // The 50 records `sdr elist` shows, many longer than the 32 bytes a chunked reader asks for.
            #expect(lengths.count == 50)
            #expect(lengths.contains { $0 > 56 })
        }
    }

    @Test("sdr elist shows every configured sensor with its state")
    func sdrElist() async throws {
        try await withSimulatedBMC { fleet in
            let output = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["sdr", "elist"])
            let lines = output.split(separator: "\n")
            #expect(lines.count == 50)
            let columns = Dictionary(
                lines.map { line in
                    let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                    return (fields[0], fields)
                }, uniquingKeysWith: { a, _ in a })
            #expect(columns["PCIe Slot3 Temp"]?[2] == "unc")
            #expect(columns["FAN6"]?[2] == "lcr")
            #expect(columns["FAN6"]?[4] == "450 RPM")
            #expect(columns["CPU1 Temp"]?[2] == "ok")
            #expect(columns["CPU1 Temp"]?[3] == "3.1")
            #expect(columns["Fan Redundancy"]?[4] == "Redundancy Lost")
            #expect(columns["Drive 2"]?[4] == "Drive Present")
            #expect(columns["PSU1 Status"]?[4] == "Presence detected")
            // CPU1 Temp: nominal 52, drift 4, spread 3.
            let cpu = Double(columns["CPU1 Temp"]?[4].split(separator: " ").first ?? "") ?? -1
            #expect((45...59).contains(cpu))
            // 12V: nominal 12.06 ± 0.12, resolution 0.06.
            let twelve = Double(columns["12V"]?[4].split(separator: " ").first ?? "") ?? -1
            #expect((11.8...12.3).contains(twelve))
            #expect(columns["FAN Duty"]?[4].hasSuffix("percent") == true)
        }
    }

    @Test("sensor shows the configured thresholds")
    func sensorThresholds() async throws {
        try await withSimulatedBMC { fleet in
            let output = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["sensor"])
            let fan = output.split(separator: "\n").first { $0.hasPrefix("FAN6 ") }
                .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
            #expect(fan == ["FAN6", "450.000", "RPM", "cr", "300.000", "500.000", "700.000", "na", "na", "na"])
            let inlet = output.split(separator: "\n").first { $0.hasPrefix("Inlet Temp") }
                .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
            #expect(inlet?[4...] == ["na", "-5.000", "0.000", "40.000", "45.000", "na"])
        }
    }

    @Test("a SEL filled with addSELEntries (simulate --sel-entries) lists every entry, oldest first")
    func filledSEL() async throws {
        var configuration = SimulatorConfiguration.defaultServer
        let configured = configuration.sel?.count ?? 0
        configuration.addSELEntries(300)
        try await withSimulatedBMC(configuration: configuration) { fleet in
            let arguments = ipmitoolArguments(port: fleet.ports[0])
            let info = try await ExternalCommand.output("ipmitool", arguments + ["sel", "info"])
            #expect(info.contains("Entries          : \(configured + 300)"))
            let events = try await ExternalCommand.output("ipmitool", arguments + ["sel", "elist"])
                .split(separator: "\n")
            #expect(events.count == configured + 300)
            // One sensor after another in the order configured: the first added is the first sensor's.
            let first = try #require(configuration.sensors.first?.name)
            #expect(events.count > configured && events[configured].contains(first))
        }
    }

    @Test("chassis status, sel elist, dcmi power reading, system firmware, bridged mc info")
    func otherCommands() async throws {
        try await withSimulatedBMC { fleet in
            let arguments = ipmitoolArguments(port: fleet.ports[0])
            let chassis = try await ExternalCommand.output("ipmitool", arguments + ["chassis", "status"])
            #expect(chassis.contains("System Power         : on"))
            #expect(chassis.contains("Power Restore Policy : previous"))
            let sel = try await ExternalCommand.output("ipmitool", arguments + ["sel", "elist"])
            let events = sel.split(separator: "\n")
            #expect(events.count == 4)
            #expect(events[2].contains("FAN6") && events[2].contains("Lower Critical going low"))
            #expect(events[3].contains("Redundancy Lost"))
            let power = try await ExternalCommand.output("ipmitool", arguments + ["dcmi", "power", "reading"])
            // System Power: nominal 284, drift 40, spread 16, 4 W resolution; average = nominal.
            #expect(power.contains("Average power reading over sample period:      284 Watts"))
            let firmware = try await ExternalCommand.output(
                "ipmitool", arguments + ["mc", "getsysinfo", "system_fw_version"])
            #expect(firmware.trimmingCharacters(in: .whitespacesAndNewlines) == "SIM-BIOS 1.4.2")
            let satellite = try await ExternalCommand.run(
                "ipmitool", arguments + ["-b", "0", "-t", "0x30", "mc", "info"])
            #expect(satellite.stdout.contains("Device ID                 : 48"))
            #expect(satellite.stdout.contains("Firmware Revision         : 1.10"))
        }
    }

    @Test("lan print and fru print show each BMC's LAN parameters and board FRU; the LAN needs Operator")
    func lanAndFRU() async throws {
        try await withSimulatedBMC(count: 2) { fleet in
            for (index, port) in fleet.ports.enumerated() {
                let lan = try await ExternalCommand.output(
                    "ipmitool", ipmitoolArguments(port: port) + ["lan", "print", "1"])
                #expect(lan.contains("IP Address Source       : Static Address"))
                #expect(lan.contains("IP Address              : 127.0.0.\(index + 1)\n"))
                #expect(lan.contains("Subnet Mask             : 255.0.0.0"))
                #expect(lan.contains("MAC Address             : 02:00:00:00:00:0\(index)"))
                #expect(lan.contains("Default Gateway IP      : 127.0.0.1"))
                #expect(lan.contains("802.1q VLAN ID          : Disabled"))
                let fru = try await ExternalCommand.output(
                    "ipmitool", ipmitoolArguments(port: port) + ["fru", "print", "0"])
                #expect(fru.contains("Board Mfg             : Simulated"))
                #expect(fru.contains("Board Product         : BMC \(index)"))
                #expect(fru.contains("Board Serial          : SIM\(index)"))
                #expect(fru.contains("Board Part Number     : SIM-1"))
            }
            let reader = ipmitoolArguments(port: fleet.ports[0], user: "reader", password: "reader", privilege: "USER")
            let refused = try await ExternalCommand.run(
                "ipmitool", reader + ["raw", "0x0c", "0x02", "1", "3", "0", "0"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Insufficient privilege level"))
        }
    }

    @Test("a wrong password is refused")
    func wrongPassword() async throws {
        try await withSimulatedBMC { fleet in
            let result = try await ExternalCommand.run(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0], password: "not-the-password") + ["mc", "info"])
            #expect(result.status != 0)
            #expect(!result.stdout.contains("Device ID"))
            let unknownUser = try await ExternalCommand.run(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0], user: "nobody") + ["mc", "info"])
            #expect(unknownUser.status != 0)
        }
    }

    @Test("a user-level account may read but not power the chassis off")
    func privilegeLimit() async throws {
        try await withSimulatedBMC { fleet in
            let reader = ipmitoolArguments(
                port: fleet.ports[0], user: "reader", password: "reader", privilege: "USER")
            let info = try await ExternalCommand.output("ipmitool", reader + ["mc", "info"])
            #expect(info.contains("Device ID                 : 32"))
            let off = try await ExternalCommand.run("ipmitool", reader + ["chassis", "power", "off"])
            #expect(off.status != 0)
            #expect(off.stderr.contains("Insufficient privilege level"))
            // Asking for more than the account allows fails at RAKP.
            let admin = try await ExternalCommand.run(
                "ipmitool",
                ipmitoolArguments(port: fleet.ports[0], user: "reader", password: "reader", privilege: "ADMINISTRATOR")
                    + ["mc", "info"])
            #expect(admin.status != 0)
            let status = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["chassis", "status"])
            #expect(status.contains("System Power         : on"))
        }
    }
}
