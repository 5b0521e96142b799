import Foundation
import IPMISimulator
import IPMITestSupport
import Testing

/// The truth `simulate --truth-file` writes (bench/soak compares every scraped sample with it) must be what the
/// BMC answers, checked with ipmitool as an independent client, and must hold for a steady BMC across reboots.
@Suite("The simulator's truth of its sensors", .serialized)
struct TruthTests {
    @Test("a steady BMC reads the same after time passes and after reboots; BMCs differ from each other")
    func steadyAcrossReboots() async throws {
        try await withSimulatedBMC(count: 2, configuration: SimulatorConfiguration.defaultServer.steady) { fleet in
            let before = try await fleet.truth()
            #expect(before.steady)
            let fan = try await fleet.sensorReading(bmc: 1, sensor: 13)
            try await fleet.reboot(bmc: 0)
            try await fleet.reboot(bmc: 1)
            try await Task.sleep(for: .milliseconds(1100))
            try await fleet.reboot(bmc: 1)
            let after = try await fleet.truth()
            #expect(after.bmcs == before.bmcs)
            let fanAfter = try await fleet.sensorReading(bmc: 1, sensor: 13)
            #expect(fanAfter == fan)
            let first = try #require(before.bmcs[String(fleet.ports[0])])
            let second = try #require(before.bmcs[String(fleet.ports[1])])
            #expect(first.sensors.count == 50)
            // Per-BMC offsets: a mixed-up target shows as wrong values.
            #expect(first.sensors.contains { name, truth in second.sensors[name]?.raw != truth.raw })
        }
        // The built-in server drifts, so its truth is only a snapshot.
        let drifting = try await withSimulatedBMC { fleet in try await fleet.truth() }
        #expect(!drifting.steady)
    }

    @Test("every sensor's truth matches what ipmitool reads from the same BMC")
    func matchesIpmitool() async throws {
        try await withSimulatedBMC(count: 2, configuration: SimulatorConfiguration.defaultServer.steady) { fleet in
            let truth = try await fleet.truth()
            // BMC 1, not 0: its readings depend on its own seed.
            let bmc = try #require(truth.bmcs[String(fleet.ports[1])])
            let output = try await ExternalCommand.output(
                "ipmitool", ipmitoolArguments(port: fleet.ports[1]) + ["sensor"])
            var rows: [String: [String]] = [:]
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                if fields.count >= 4 { rows[fields[0]] = fields }
            }
            #expect(rows.count == bmc.sensors.count)
            var thresholdSensors = 0
            var discreteSensors = 0
            for (name, sensor) in bmc.sensors {
                let row = try #require(rows[name], "ipmitool shows \(name)")
                if sensor.threshold {
                    thresholdSensors += 1
                    // ipmitool prints the converted reading with three decimals.
                    let shown = try #require(Double(row[1]), "\(name): \(row[1])")
                    let reading = try #require(sensor.reading)
                    let step = try #require(sensor.step)
                    let value = try #require(sensor.value)
                    #expect(abs(shown - reading) < 0.0015, "\(name): ipmitool \(shown), truth \(reading)")
                    #expect(abs(value - reading) <= step / 2 + 1e-9, "\(name): value \(value) far from its raw")
                    #expect(row[3] == Self.ipmitoolStatus(sensor.thresholdStatus ?? 0xFF), "\(name): \(row)")
                } else {
                    discreteSensors += 1
                    // ipmitool shows Get Sensor Reading bytes 3 and 4 (states 0-7, then 8-14 with bit 7 set).
                    let mask = (sensor.states ?? []).reduce(0) { $0 | 1 << $1 }
                    let expected = String(format: "0x%02x%02x", mask & 0xFF, 0x80 | mask >> 8)
                    #expect(row[3] == expected, "\(name): \(row)")
                }
            }
            #expect(thresholdSensors == 38)
            #expect(discreteSensors == 12)
        }
    }

    /// ipmitool's status column for threshold comparison bits (LNC, LC, LNR, UNC, UC, UNR), most severe first.
    static func ipmitoolStatus(_ bits: UInt8) -> String {
        if bits & 0b100100 != 0 { return "nr" }
        if bits & 0b010010 != 0 { return "cr" }
        if bits & 0b001001 != 0 { return "nc" }
        return "ok"
    }
}
