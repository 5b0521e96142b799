import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// The simulator as a BMC without an SDR repository (Get SDR Repository Info → C1h), with and without device SDRs
/// (IPMI v2.0 §35.2–35.4), checked with ipmitool and FreeIPMI: what they print is the oracle for the exporter's
/// degradation tests (DegradationTests).
@Suite("a BMC without an SDR repository, seen by ipmitool and FreeIPMI", .serialized)
struct NoSDRRepositoryTests {
    static func faults(deviceSDRs: Bool) -> BMCFaults {
        var faults = BMCFaults()
        faults.noSDRRepository = true
        faults.deviceSDRs = deviceSDRs
        return faults
    }

    static let steady = SimulatorConfiguration.defaultServer.steady

    @Test("ipmitool reads the device SDRs and shows the same sensors and readings as from a repository")
    func ipmitoolFallsBackToDeviceSDRs() async throws {
        let fromRepository = try await withSimulatedBMC(configuration: Self.steady) { fleet in
            try await ExternalCommand.output("ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["sensor"])
        }
        try await withSimulatedBMC(configuration: Self.steady, faults: Self.faults(deviceSDRs: true)) { fleet in
            let info = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["mc", "info"])
            #expect(info.contains("Provides Device SDRs      : yes"))
            #expect(!info.contains("SDR Repository Device"))
            let sdrBefore = try await fleet.getSDRRequests(bmc: 0)
            let fromDevice = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[0]) + ["sensor"])
            // ipmitool follows Get Device ID (§20.1: no repository, provides device SDRs) to Get Device SDR.
            #expect(try await fleet.getSDRRequests(bmc: 0) - sdrBefore >= 50)
            #expect(fromDevice.split(separator: "\n").count == 50)
            #expect(fromDevice == fromRepository)
        }
    }

    @Test("with neither, ipmitool and ipmi-sensors fail on the SDRs while Get Device ID and chassis status work")
    func neitherRepositoryNorDeviceSDRs() async throws {
        let cache = try FreeIPMITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC(configuration: Self.steady, faults: Self.faults(deviceSDRs: false)) { fleet in
            let port = fleet.ports[0]
            let elist = try await ExternalCommand.run("ipmitool", ipmitoolArguments(port: port) + ["sdr", "elist"])
            #expect(elist.status != 0)
            #expect(elist.stderr.contains("Error obtaining SDR info: Invalid command"))
            let sensors = try await ExternalCommand.run(
                "ipmi-sensors", FreeIPMITests.arguments(port: port, cache: cache))
            #expect(sensors.status != 0)
            #expect(sensors.stderr.contains("ipmi_sdr_cache_create"))
            let info = try await ExternalCommand.output("ipmitool", ipmitoolArguments(port: port) + ["mc", "info"])
            #expect(info.contains("Provides Device SDRs      : no"))
            #expect(!info.contains("SDR Repository Device"))
            let chassis = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: port) + ["chassis", "status"])
            #expect(chassis.contains("System Power         : on"))
        }
    }

    @Test("FreeIPMI reads only an SDR repository over LAN: ipmi-sensors fails on a BMC with device SDRs alone")
    func freeIPMIDoesNotReadDeviceSDRs() async throws {
        let cache = try FreeIPMITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        try await withSimulatedBMC(configuration: Self.steady, faults: Self.faults(deviceSDRs: true)) { fleet in
            let sensors = try await ExternalCommand.run(
                "ipmi-sensors", FreeIPMITests.arguments(port: fleet.ports[0], cache: cache))
            #expect(sensors.status != 0)
            #expect(sensors.stderr.contains("ipmi_sdr_cache_create"))
        }
    }
}
