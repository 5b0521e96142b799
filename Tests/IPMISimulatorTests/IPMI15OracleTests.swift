import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// The simulator's IPMI 1.5 sessions checked with FreeIPMI (`-D LAN`) and ipmitool (`-I lan`), and its 1.5 quirks
/// with FreeIPMI's own workaround flags: each quirk breaks ipmi-sensors as its man page says the broken BMC does, and
/// `-W FLAG` reads it as over RMCP+. The exporter's side is in IPMI15WorkaroundFlagTests (IPMIExporterTests).
@Suite("IPMI 1.5 sessions seen by FreeIPMI and ipmitool", .serialized)
struct IPMI15OracleTests {
    /// ipmi-sensors over IPMI 1.5 with MD5 against the simulator with `quirk`, with `-W flag` when given.
    static func ipmiSensors(_ quirk: BMCQuirks, flag: String?) async throws -> ExternalCommand.Result {
        let cache = try FreeIPMITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        return try await withSimulatedBMC(
            configuration: QuirkOracleTests.steady, faults: QuirkOracleTests.faults(quirk)
        ) { fleet in
            try await ExternalCommand.run(
                "ipmi-sensors",
                [
                    "-h", "127.0.0.1:\(fleet.ports[0])", "-u", "admin", "-p", "password", "-D", "LAN", "-a", "MD5",
                    "--session-timeout=3000", "--retransmission-timeout=500", "--sdr-cache-directory", cache,
                    "--quiet-cache",
                ] + (flag.map { ["-W", $0] } ?? []))
        }
    }

    @Test func freeIPMIReadsTheSameSensorsOverIPMI15AsOverRMCPPlus() async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        let rmcpPlus = try await QuirkOracleTests.healthy
        let run = try await Self.ipmiSensors([], flag: nil)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == rmcpPlus)
        #expect(QuirkOracleTests.readings(run.stdout).count >= 30)
    }

    @Test func ipmitoolLoginsWithMD5AndStraightPassword() async throws {
        guard ExternalCommand.isAvailable("ipmitool") else { return }
        try await withSimulatedBMC(configuration: QuirkOracleTests.steady) { fleet in
            for type in ["MD5", "PASSWORD"] {
                let run = try await ExternalCommand.run(
                    "ipmitool",
                    [
                        "-I", "lan", "-H", "127.0.0.1", "-p", String(fleet.ports[0]), "-U", "admin", "-P", "password",
                        "-A", type, "-L", "ADMINISTRATOR", "chassis", "status",
                    ])
                #expect(run.status == 0, "\(type): \(run.stderr)")
                #expect(run.stdout.contains("System Power"), "\(type): \(run.stdout)")
            }
            let wrong = try await ExternalCommand.run(
                "ipmitool",
                [
                    "-I", "lan", "-H", "127.0.0.1", "-p", String(fleet.ports[0]), "-U", "admin", "-P", "wrong",
                    "-A", "MD5", "-R", "1", "-N", "1", "chassis", "status",
                ])
            #expect(wrong.status != 0)
        }
    }

    @Test(
        "an IPMI 1.5 quirk makes ipmi-sensors -D LAN fail, and its -W flag makes it read as on the healthy BMC",
        arguments: [(BMCQuirks.idzero, "idzero"), (.endianseq, "endianseq"), (.noauthcodecheck, "noauthcodecheck")])
    func ipmi15Quirk(quirk: BMCQuirks, flag: String) async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors") else { return }
        let healthy = try await Self.ipmiSensors([], flag: nil)
        let broken = try await Self.ipmiSensors(quirk, flag: nil)
        #expect(broken.status != 0, "ipmi-sensors without -W \(flag): \(broken.stdout)")
        let fixed = try await Self.ipmiSensors(quirk, flag: flag)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout == healthy.stdout)
    }

    /// The BMCs that say per-message authentication is disabled: FreeIPMI 1.6 puts an AuthCode on every request
    /// whatever the BMC says (seen on the wire), so it reads both with and without `forcepermsg`/`unexpectedauth`.
    /// ipmitool `-I lan` drops the AuthCode as the BMC says, and fails on the `forcepermsg` BMC just as this client
    /// does without the flag.
    @Test(arguments: [(BMCQuirks.forcepermsg, "forcepermsg"), (.unexpectedauth, "unexpectedauth")])
    func perMessageAuthenticationQuirk(quirk: BMCQuirks, flag: String) async throws {
        guard ExternalCommand.isAvailable("ipmi-sensors"), ExternalCommand.isAvailable("ipmitool") else { return }
        let healthy = try await Self.ipmiSensors([], flag: nil)
        for flags in [nil, flag] {
            let run = try await Self.ipmiSensors(quirk, flag: flags)
            #expect(run.status == 0 && run.stdout == healthy.stdout, "-W \(flags ?? "none"): \(run.stderr)")
        }
        let ipmitool = try await withSimulatedBMC(
            configuration: QuirkOracleTests.steady, faults: QuirkOracleTests.faults(quirk)
        ) { fleet in
            try await ExternalCommand.run(
                "ipmitool",
                [
                    "-I", "lan", "-H", "127.0.0.1", "-p", String(fleet.ports[0]), "-U", "admin", "-P", "password",
                    "-A", "MD5", "-L", "ADMINISTRATOR", "-R", "1", "-N", "1", "chassis", "status",
                ])
        }
        #expect((ipmitool.status == 0) == (quirk == .unexpectedauth), "\(quirk): \(ipmitool.stderr)")
    }
}
