import Foundation
import IPMITestSupport
import Testing

/// `ipmi-exporter raw` against ipmi_sim, with `ipmitool raw` as the oracle.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct RawCommandTests {
    func raw(
        _ bmc: IPMISim, _ arguments: [String], password: String = "password"
    ) async throws -> ExternalCommand.Result {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        return try await ExternalCommand.run(
            executable.path, ["raw", "-H", bmc.address, "-U", "admin"] + arguments,
            environment: ["IPMI_PASSWORD": password])
    }

    @Test(arguments: ["1", "3"])
    func printsTheSameBytesAsIpmitool(suite: String) async throws {
        let bmc = try await IPMISim.start()
        let expected = try bmc.ipmitool(["raw", "0x06", "0x01"], cipherSuite: Int(suite)!)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let result = try await raw(bmc, ["-I", suite, "0x06", "0x01"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }

    @Test func aCompletionCodeExitsOneWithItsName() async throws {
        let bmc = try await IPMISim.start()
        let result = try await raw(bmc, ["0x06", "0x99"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("completion code 0xc1 (invalid command)"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aWrongPasswordIsOneClearLineWithoutThePassword() async throws {
        let bmc = try await IPMISim.start()
        let result = try await raw(bmc, ["6", "1"], password: "hunter22")
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.contains("authentication failed"))
        #expect(!result.stderr.contains("hunter22"))
    }

    /// ipmi_sim with a satellite controller at 30h (the bridging lab): a bridged Get Sensor Reading of its sensor 10h
    /// is the satellite's (not the BMC's own sensor 10h), as ipmitool's `-b 0 -t 0x30` reads it.
    @Test func bridgedRequestsReachTheSatellite() async throws {
        let bmc = try await IPMISim.start(IPMISim.bridgedLabConfiguration())
        let normalize = { (text: String) in text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let expected = normalize(try bmc.ipmitool(["-b", "0", "-t", "0x30", "raw", "0x04", "0x2d", "0x10"]))
        let own = normalize(try bmc.ipmitool(["raw", "0x04", "0x2d", "0x10"]))
        #expect(expected != own)
        let result = try await raw(bmc, ["-I", "3", "-b", "0", "-t", "0x30", "4", "0x2d", "0x10"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(normalize(result.stdout) == expected)
    }

    @Test func bridgedRequestsReportTheBMCsRefusal() async throws {
        let bmc = try await IPMISim.start()
        let result = try await raw(bmc, ["-I", "3", "-b", "0", "-t", "0x30", "6", "1"])
        // ipmi_sim has nothing on IPMB and answers Send Message with 0x83.
        #expect(result.status == 1)
        #expect(result.stderr.contains("completion code 0x83"))
    }
}
