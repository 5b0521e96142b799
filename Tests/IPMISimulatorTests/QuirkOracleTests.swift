import Foundation
import IPMI
import IPMIClient
import IPMISimulator
import IPMITestSupport
import Testing

/// The simulator's quirks (``BMCQuirks``) checked with FreeIPMI's own workaround flags: each quirk breaks FreeIPMI as
/// ipmi-sensors(8) says the broken BMC does, and `-W FLAG` reads it as FreeIPMI reads the healthy simulator. The
/// exporter's side is in WorkaroundFlagTests (IPMIExporterTests).
@Suite("BMC quirks seen by FreeIPMI and ipmitool", .serialized)
struct QuirkOracleTests {
    static let steady = SimulatorConfiguration.defaultServer.steady

    static func faults(_ quirk: BMCQuirks) -> BMCFaults {
        var faults = BMCFaults()
        faults.quirks = quirk
        return faults
    }

    /// ipmi-sensors against the simulator with `quirk`, with `-W flag` when given, over cipher suite 3: FreeIPMI's
    /// `intel20` knows only the SHA-1 and MD5 integrity algorithms of that hardware's time.
    static func ipmiSensors(_ quirk: BMCQuirks, flag: String?) async throws -> ExternalCommand.Result {
        let cache = try FreeIPMITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        return try await withSimulatedBMC(configuration: steady, faults: faults(quirk)) { fleet in
            try await ExternalCommand.run(
                "ipmi-sensors",
                FreeIPMITests.arguments(port: fleet.ports[0], suite: 3, cache: cache) + (flag.map { ["-W", $0] } ?? []))
        }
    }

    /// Name → reading column of ipmi-sensors' table.
    static func readings(_ output: String) -> [String: String] {
        var readings: [String: String] = [:]
        for line in output.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if columns.count >= 4 { readings[columns[1]] = columns[3] }
        }
        return readings
    }

    static var healthy: String {
        get async throws {
            let run = try await ipmiSensors([], flag: nil)
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }
    }

    @Test(
        "a session quirk makes ipmi-sensors fail, and its -W flag makes it read as on the healthy BMC",
        arguments: [
            (BMCQuirks.intel20, "intel20"), (.supermicro20, "supermicro20"), (.opensesspriv, "opensesspriv"),
            (.authcap, "authcap"), (.sun20, "sun20"), (.nochecksumcheck, "nochecksumcheck"),
        ])
    func sessionQuirk(quirk: BMCQuirks, flag: String) async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        let healthy = try await Self.healthy
        let broken = try await Self.ipmiSensors(quirk, flag: nil)
        #expect(broken.status != 0, "ipmi-sensors without -W \(flag): \(broken.stdout)")
        let fixed = try await Self.ipmiSensors(quirk, flag: flag)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout == healthy)
    }

    @Test(
        "a sensor quirk makes ipmi-sensors print N/A, and its -W flag gives the healthy BMC's readings",
        arguments: [
            (BMCQuirks.ignorescanningdisabled, "ignorescanningdisabled"), (.assumebmcowner, "assumebmcowner"),
            (.discretereading, "discretereading"),
        ])
    func sensorQuirk(quirk: BMCQuirks, flag: String) async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        let healthy = Self.readings(try await Self.healthy)
        let numeric = healthy.filter { Double($0.value) != nil }
        #expect(numeric.count >= 30)
        let broken = Self.readings(try await Self.ipmiSensors(quirk, flag: nil).stdout)
        #expect(numeric.keys.allSatisfy { broken[$0] == "N/A" }, "without -W \(flag): \(broken)")
        let fixed = Self.readings(try await Self.ipmiSensors(quirk, flag: flag).stdout)
        for (name, reading) in numeric { #expect(fixed[name] == reading, "\(name) with -W \(flag)") }
    }

    /// FreeIPMI reads as many records as Get SDR Repository Info counts and then fails ("SDR record count invalid")
    /// when the last one does not end the chain, unless told to stop there.
    @Test("an SDR chain without end makes ipmi-sensors fail, and -W assumemaxsdrrecordcount reads the healthy BMC's")
    func sdrChainWithoutEnd() async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        let healthy = try await Self.healthy
        let broken = try await Self.ipmiSensors(.assumemaxsdrrecordcount, flag: nil)
        #expect(broken.status != 0, "ipmi-sensors without -W: \(broken.stdout)")
        let fixed = try await Self.ipmiSensors(.assumemaxsdrrecordcount, flag: "assumemaxsdrrecordcount")
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout == healthy)
    }

    /// ipmitool has no workaround flags for these; it logs in where it ignores what the quirk breaks.
    @Test("ipmitool logs in despite the authcap and supermicro20 quirks and fails on opensesspriv's")
    func ipmitool() async throws {
        guard ExternalCommand.isAvailable("ipmitool") else { return }
        for (quirk, works) in [(BMCQuirks.authcap, true), (.supermicro20, true), (.opensesspriv, false)] {
            try await withSimulatedBMC(configuration: Self.steady, faults: Self.faults(quirk)) { fleet in
                let info = try await ExternalCommand.run(
                    "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["mc", "info"])
                #expect((info.status == 0) == works, "\(quirk): \(info.stderr)")
            }
        }
    }
}

/// `integritycheckvalue` needs cipher suite 0: checked with the client directly, and with FreeIPMI's `-I 0 -W` as the
/// oracle (WorkaroundFlagTests has the exporter's side, a module with `cipher_suite: 0`).
@Suite("integritycheckvalue over cipher suite 0", .serialized)
struct IntegrityCheckValueQuirkTests {
    static var configuration: SimulatorConfiguration {
        var configuration = SimulatorConfiguration.defaultServer.steady
        configuration.cipherSuites = [0, 3, 17]
        return configuration
    }

    static func connect(port: Int, workarounds: SessionWorkarounds) async throws {
        var options = ClientOptions()
        options.workarounds = workarounds
        let client = try IPMIClient(
            host: "127.0.0.1", port: port, username: "admin", password: "password", cipherSuite: CipherSuite(id: 0),
            allowUnauthenticated: true, options: options, logger: ClientTests.logger)
        try await client.connect()
        let response = try await client.request(netFn: .app, command: AppCommand.getDeviceID)
        #expect(response.completionCode == .normal)
        await client.close()
    }

    @Test func withoutTheFlagRAKP4FailsAndNamesIt() async throws {
        var faults = BMCFaults()
        faults.quirks = .integritycheckvalue
        try await withSimulatedBMC(configuration: Self.configuration, faults: faults) { fleet in
            do {
                try await Self.connect(port: fleet.ports[0], workarounds: [])
                Issue.record("the session opened although RAKP 4 carried an integrity check value")
            } catch {
                #expect("\(error)".contains("workaround_flags: [integritycheckvalue]"), "\(error)")
            }
            try await Self.connect(port: fleet.ports[0], workarounds: .integrityCheckValue)
        }
        // The quirk-free BMC works without the flag.
        try await withSimulatedBMC(configuration: Self.configuration) { fleet in
            try await Self.connect(port: fleet.ports[0], workarounds: [])
        }
    }

    @Test func freeIPMIAgrees() async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        var faults = BMCFaults()
        faults.quirks = .integritycheckvalue
        let cache = try FreeIPMITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC(configuration: Self.configuration, faults: faults) { fleet in
            let arguments = FreeIPMITests.arguments(port: fleet.ports[0], suite: 0, cache: cache)
            let broken = try await ExternalCommand.run("ipmi-sensors", arguments)
            #expect(broken.status != 0, "\(broken.stdout)")
            let fixed = try await ExternalCommand.run("ipmi-sensors", arguments + ["-W", "integritycheckvalue"])
            #expect(fixed.status == 0, "\(fixed.stderr)")
            #expect(fixed.stdout.split(separator: "\n").count == 51)
        }
    }
}
