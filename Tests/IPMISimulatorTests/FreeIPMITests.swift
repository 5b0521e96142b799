import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// FreeIPMI is the second independent client.
@Suite("FreeIPMI against the simulator", .serialized)
struct FreeIPMITests {
    static func arguments(port: Int, suite: Int = 17, password: String = "password", cache: String) -> [String] {
        [
            "-h", "127.0.0.1:\(port)", "-u", "admin", "-p", password, "-D", "LAN_2_0", "-I", String(suite),
            "--session-timeout=3000", "--retransmission-timeout=500",
        ] + (cache.isEmpty ? [] : ["--sdr-cache-directory", cache, "--quiet-cache"])
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "sim-freeipmi-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(
        "ipmi-sensors over suites FreeIPMI implements, with and without opensesspriv",
        arguments: [17, 16, 15, 3, 12, 11, 8, 1])
    func ipmiSensors(suite: Int) async throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC { fleet in
            for workaround in [[], ["-W", "opensesspriv"]] {
                let output = try ExternalCommand.output(
                    "ipmi-sensors", Self.arguments(port: fleet.ports[0], suite: suite, cache: cache) + workaround)
                let lines = output.split(separator: "\n").dropFirst()
                #expect(lines.count == 50)
                #expect(
                    output.contains(
                        "| FAN6             | Fan                      | 450.00     | RPM   | 'At or Below (<=) Lower Critical Threshold'"
                    ))
                // PCIe Slot3 Temp: nominal 79 ± 1, upper non-critical 75.
                let slot3 = lines.first { $0.contains("| PCIe Slot3 Temp ") }
                #expect(slot3?.contains("'At or Above (>=) Upper Non-Critical Threshold'") == true)
                #expect(
                    output.contains(
                        "| Fan Redundancy   | Fan                      | N/A        | N/A   | 'Redundancy Lost'"))
            }
        }
    }

    @Test("ipmimonitoring states: one warning, two critical")
    func ipmimonitoring() async throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC { fleet in
            let output = try ExternalCommand.output(
                "ipmimonitoring",
                Self.arguments(port: fleet.ports[0], cache: cache) + ["--comma-separated-output", "--no-header-output"])
            let rows = output.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(rows.count == 50)
            let critical = rows.filter { $0[3] == "Critical" }.map { String($0[1]) }.sorted()
            #expect(critical == ["FAN6", "Fan Redundancy"])
            // FreeIPMI maps non-critical thresholds to Nominal by default; the warning shows in the event.
            let slot3 = rows.first { $0[1] == "PCIe Slot3 Temp" }
            #expect(slot3?[5] == "C")
            #expect(slot3?[6].contains("Upper Non-Critical") == true)
            let vbat = rows.first { $0[1] == "VBAT" }
            let value = Double(vbat.map { String($0[4]) } ?? "") ?? 0
            #expect((2.98...3.14).contains(value))
        }
    }

    @Test("bmc-info and a refused wrong password")
    func bmcInfo() async throws {
        try await withSimulatedBMC { fleet in
            let info = try ExternalCommand.output("bmc-info", Self.arguments(port: fleet.ports[0], cache: ""))
            #expect(info.contains("Device ID             : 32"))
            #expect(info.contains("Firmware Revision     : 2.45"))
            #expect(info.contains("Product ID            : 21321"))
            #expect(info.contains("System Firmware Version       : SIM-BIOS 1.4.2"))
            let wrong = try ExternalCommand.run(
                "bmc-info", Self.arguments(port: fleet.ports[0], password: "wrong", cache: ""))
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("password invalid"))
        }
    }

    @Test("ipmi-sel lists the configured events, ipmi-dcmi the power statistics")
    func selAndDCMI() async throws {
        let cache = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC { fleet in
            let sel = try ExternalCommand.output("ipmi-sel", Self.arguments(port: fleet.ports[0], cache: cache))
            let events = sel.split(separator: "\n").dropFirst()
            #expect(events.count == 4)
            #expect(events.contains { $0.contains("FAN6") && $0.contains("Lower Critical - going low") })
            #expect(events.contains { $0.contains("Fan Redundancy") && $0.contains("Redundancy Lost") })
            let power = try ExternalCommand.output(
                "ipmi-dcmi", Self.arguments(port: fleet.ports[0], cache: "") + ["--get-system-power-statistics"])
            // System Power: nominal 284 W is the average; current within nominal ± (drift 40 + spread 16 + 4).
            #expect(power.contains("Average Power over sampling duration : 284 watts"))
            let current = power.split(separator: "\n").first { $0.hasPrefix("Current Power") }
                .flatMap { $0.split(separator: ":").last?.split(separator: " ").first }
                .flatMap { Int($0) }
            #expect((224...344).contains(current ?? 0))
        }
    }
}
