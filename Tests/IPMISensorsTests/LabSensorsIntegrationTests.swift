import Foundation
import IPMI
import IPMIClient
import IPMISensors
import IPMITestSupport
import Logging
import Testing

/// Reads every sensor of the lab BMC (Tests/Lab) through our client and compares name, value, unit and state with
/// what FreeIPMI's ipmi-sensors and ipmitool print for the same BMC at test time.
///
/// Documented differences only: FreeIPMI maps non-critical thresholds to Nominal where we say Warning, and FreeIPMI
/// does not read sensors on LUNs other than 0.
@Suite(
    .enabled(
        if: IPMISim.isAvailable && ExternalCommand.isAvailable("ipmitool")
            && ExternalCommand.isAvailable("ipmi-sensors") && ExternalCommand.isAvailable("sdrcomp"),
        "ipmi_sim, sdrcomp, ipmitool or ipmi-sensors is not installed"),
    .serialized
)
struct LabSensorsIntegrationTests {
    static func startLab() async throws -> IPMISim {
        var configuration = IPMISim.Configuration()
        configuration.name = "sensors"
        let lab = IPMISim.testsDirectory().appendingPathComponent("Lab")
        configuration.sdrSource = lab.appendingPathComponent("sdrs/main.sdrs").path
        configuration.emuFiles = [lab.appendingPathComponent("sensors.emu").path]
        return try await IPMISim.start(configuration)
    }

    static func readAll(_ bmc: IPMISim) async throws -> (SDRRepository, [SensorReading]) {
        let logger = Logger(label: "lab-sensors")
        let client = try IPMIClient(
            host: bmc.host, port: bmc.port, username: "admin", password: "password", cipherSuite: .suite3,
            logger: logger)
        try await client.connect()
        let repository = try await SDRRepositoryReader(logger: logger).read(from: client)
        let readings = try await SensorReader(logger: logger).readAll(
            SensorDefinition.sensors(in: repository.records), from: client)
        await client.close()
        return (repository, readings)
    }

    /// `ipmi-sensors` in the ipmimonitoring CSV layout, with the password in a private configuration file.
    static func freeIPMILines(_ bmc: IPMISim) async throws -> [[String]] {
        let output = try await bmc.freeIPMI(
            "ipmi-sensors",
            ["--comma-separated-output", "--no-header-output", "--output-sensor-state", "--shared-sensors"])
        return output.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 6).map(String.init) }
    }

    @Test func everySensorMatchesFreeIPMI() async throws {
        let bmc = try await Self.startLab()
        let (repository, readings) = try await Self.readAll(bmc)
        let theirs = try await Self.freeIPMILines(bmc)

        #expect(repository.skippedRecords == 0)
        #expect(readings.count >= 30)
        try #require(theirs.count == readings.count)
        for (ours, line) in zip(readings, theirs) {
            try #require(line.count == 7, "\(line)")
            let (id, name, type, state, value, unit, event) = (
                line[0], line[1], line[2], line[3], line[4], line[5], line[6]
            )
            #expect(String(ours.recordID) == id)
            #expect(ours.name == name)
            #expect(ours.typeName == type, "\(name)")
            if ours.name == "LUN1 Temp" {
                // FreeIPMI: "sensor not owned by BMC" for LUN 1; we read it (ipmitool agrees, see the next test).
                #expect(state == "N/A" && value == "N/A")
                #expect(ours.value == 33)
                continue
            }
            #expect(ours.formattedValue == value, "\(name)")
            #expect(ours.unit == unit, "\(name)")
            #expect(ours.eventText == event, "\(name)")
            if ours.isThreshold && ours.state == .warning && state == "Nominal" {
                // Our deliberate difference: a non-critical threshold is a warning.
                #expect(ours.stateMask.map { $0 & 0x3F & ~0x09 == 0 && $0 & 0x09 != 0 } == true, "\(name)")
            } else {
                #expect(ours.state.rawValue == state, "\(name)")
            }
        }
    }

    @Test func everySensorMatchesIpmitool() async throws {
        let bmc = try await Self.startLab()
        let (_, readings) = try await Self.readAll(bmc)
        // ipmitool lists each record once (a shared record under its ID string), in repository order.
        var firstOfRecord: [SensorReading] = []
        for reading in readings where firstOfRecord.last?.recordID != reading.recordID {
            firstOfRecord.append(reading)
        }
        let lines = try bmc.ipmitool(["sensor"]).split(separator: "\n").map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        try #require(lines.count == firstOfRecord.count)
        for (ours, line) in zip(firstOfRecord, lines) {
            let (name, value, unit, status) = (line[0], line[1], line[2], line[3])
            #expect(ours.name == name || ours.name.hasPrefix(name + " "), "\(name)")
            guard unit != "discrete", !value.hasPrefix("0x") else { continue }
            if value == "na" {
                #expect(ours.value == nil, "\(name)")
                continue
            }
            let number = try #require(Double(value), "\(name): \(value)")
            let ourValue = try #require(ours.value, "\(name)")
            // ipmitool prints three decimals.
            #expect(abs(ourValue - number) <= 0.0005 + 1e-9, "\(name): \(ourValue) vs \(number)")
            #expect(ours.units.description == unit, "\(name)")
            let expected: [String: SensorState] = ["ok": .nominal, "nc": .warning, "cr": .critical, "nr": .critical]
            #expect(expected[status] == ours.state, "\(name): \(status)")
        }
    }

    @Test func sensorsCommandPrintsWhatIpmiSensorsPrints() async throws {
        let executable = try #require(ExternalCommand.exporterExecutable, "build the ipmi-exporter product first")
        let bmc = try await Self.startLab()
        let result = try await ExternalCommand.run(
            executable.path, ["sensors", "-H", bmc.address, "-U", "admin", "-I", "3"],
            environment: ["IPMI_PASSWORD": "password"])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = result.stdout.split(separator: "\n").map { $0.split(separator: ",", maxSplits: 6).map(String.init) }
        let theirs = try await Self.freeIPMILines(bmc)
        try #require(ours.count == theirs.count)
        #expect(ours.count >= 30)
        let nonCritical = [
            "'At or Above (>=) Upper Non-Critical Threshold'", "'At or Below (<=) Lower Non-Critical Threshold'",
        ]
        for (mine, line) in zip(ours, theirs) {
            if line[1] == "LUN1 Temp" {
                // FreeIPMI does not read LUN 1; we do.
                #expect(mine == [line[0], "LUN1 Temp", "Temperature", "Nominal", "33.00", "C", "'OK'"])
            } else if mine[3] == "Warning" && line[3] == "Nominal" && nonCritical.contains(line[6]) {
                var expected = line
                expected[3] = "Warning"
                #expect(mine == expected)
            } else {
                #expect(mine == line)
            }
        }
    }
}
