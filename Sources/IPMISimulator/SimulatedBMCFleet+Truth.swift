import Foundation

/// What every simulated BMC of a fleet holds for its sensors: the reference that readings taken through the
/// exporter (and a faulty network) are compared with. It is built from the simulator's own model and its answer
/// to Get Sensor Reading only, never from the exporter's sensor decoding, so it is an independent oracle.
public struct FleetTruth: Sendable, Codable, Hashable {
    /// Whether every sensor's drift is 0 (e.g. ``SimulatorConfiguration/steady``): only then does the truth
    /// hold for the whole run, and not just at ``takenAt``.
    public var steady: Bool
    /// Seconds since the Unix epoch when the readings were taken.
    public var takenAt: Double
    /// By UDP port, as text (JSON object keys are strings).
    public var bmcs: [String: BMCTruth]

    enum CodingKeys: String, CodingKey {
        case steady
        case takenAt = "taken_at"
        case bmcs
    }
}

/// One BMC's sensors, by sensor name (names are unique in a simulator configuration).
public struct BMCTruth: Sendable, Codable, Hashable {
    public var index: Int
    public var address: String
    public var sensors: [String: SensorTruth]
}

/// One sensor as its BMC answers Get Sensor Reading.
public struct SensorTruth: Sendable, Codable, Hashable {
    public var number: UInt8
    /// The SDR record ID (the exporter's `id` label).
    public var recordID: UInt16
    /// Threshold sensors carry a value; the others only state bits.
    public var threshold: Bool
    /// The physical value the BMC holds (before it becomes a raw byte).
    public var value: Double?
    /// The raw reading byte the BMC sends.
    public var raw: UInt8?
    /// The physical value of that raw byte under the sensor's linear conversion: what a correct client shows.
    public var reading: Double?
    /// The physical size of one raw step, |M|·10^Rexp: readings of two different raw bytes differ by at least
    /// this much.
    public var step: Double?
    /// Threshold sensors: the comparison status bits 0-5 of the answer (LNC, LC, LNR, UNC, UC, UNR).
    public var thresholdStatus: UInt8?
    /// Discrete sensors: the asserted state offsets (0-14) of the answer.
    public var states: [Int]?

    enum CodingKeys: String, CodingKey {
        case number
        case recordID = "record_id"
        case threshold, value, raw, reading, step
        case thresholdStatus = "threshold_status"
        case states
    }
}

extension SimulatorConfiguration {
    /// The same configuration with every sensor's drift set to 0: each BMC then reads the same for ever (its
    /// per-BMC offset stays), across reboots too, so every sample a client takes can be checked exactly.
    public var steady: SimulatorConfiguration {
        var copy = self
        for index in copy.sensors.indices { copy.sensors[index].drift = 0 }
        return copy
    }
}

extension SimulatedBMCFleet {
    /// Every BMC's sensors as it answers Get Sensor Reading now (see ``FleetTruth``).
    public func truth() async throws -> FleetTruth {
        let now = Date().timeIntervalSince1970
        let sensors = profile.sensors
        var bmcs: [String: BMCTruth] = [:]
        for index in 0..<count {
            let answers: [(seed: UInt64, data: [UInt8]?)] = try await withHandler(index) { handler in
                sensors.map { sensor in
                    let (code, data) = handler.bmc.sensorReading([sensor.number], now: now)
                    return (handler.bmc.readingSeed, code == .normal ? data : nil)
                }
            }
            var table: [String: SensorTruth] = [:]
            // SDR record IDs follow the configuration's order, starting at 1 (``BMCProfile``).
            for (position, (sensor, answer)) in zip(sensors, answers).enumerated() {
                var truth = SensorTruth(
                    number: sensor.number, recordID: UInt16(position + 1), threshold: sensor.isThreshold)
                if let data = answer.data, data.count >= 3 {
                    if sensor.isThreshold {
                        let conversion = sensor.conversion
                        truth.value = sensor.value(at: now, bmcSeed: answer.seed)
                        truth.raw = data[0]
                        truth.reading = conversion.value(raw: data[0])
                        truth.step = abs(Double(conversion.m)) * pow(10, Double(conversion.rExponent))
                        truth.thresholdStatus = data[2] & 0x3F
                    } else {
                        let mask = UInt16(data[2]) | UInt16(data.count > 3 ? data[3] & 0x7F : 0) << 8
                        truth.states = (0..<15).filter { mask & (1 << UInt16($0)) != 0 }
                    }
                }
                table[sensor.name] = truth
            }
            bmcs[String(ports[index])] = BMCTruth(index: index, address: addresses[index], sensors: table)
        }
        return FleetTruth(steady: sensors.allSatisfy { $0.drift == 0 }, takenAt: now, bmcs: bmcs)
    }

    /// The truth as JSON (keys sorted, so two files of one fleet compare equal).
    public func truthJSON() async throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(try await truth())
    }
}
