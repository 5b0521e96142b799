import IPMI
import Logging

/// Threshold values converted to the sensor's units.
public struct SensorThresholds: Sendable, Hashable {
    public var lowerNonRecoverable: Double?
    public var lowerCritical: Double?
    public var lowerNonCritical: Double?
    public var upperNonCritical: Double?
    public var upperCritical: Double?
    public var upperNonRecoverable: Double?

    public init(raw: RawThresholds, conversion: SensorConversion) {
        func convert(_ byte: UInt8?) -> Double? { byte.flatMap { conversion.value(raw: $0) } }
        lowerNonRecoverable = convert(raw.lowerNonRecoverable)
        lowerCritical = convert(raw.lowerCritical)
        lowerNonCritical = convert(raw.lowerNonCritical)
        upperNonCritical = convert(raw.upperNonCritical)
        upperCritical = convert(raw.upperCritical)
        upperNonRecoverable = convert(raw.upperNonRecoverable)
    }
}

/// Reads sensors through any ``IPMIRequester``: Get Sensor Reading (sent to the sensor owner's LUN) and, on request,
/// Get Sensor Thresholds.
public struct SensorReader: Sendable {
    /// The BMC's IPMB address; sensors owned by other controllers would need bridging and are reported unreadable.
    public var bmcAddress: UInt8
    public var logger: Logger

    public init(logger: Logger, bmcAddress: UInt8 = 0x20) {
        self.logger = logger
        self.bmcAddress = bmcAddress
    }

    /// Reads one sensor. Transport failures are thrown; completion codes and unavailable readings are reported in
    /// the result's ``SensorReading/availability`` with no value.
    public func read(_ sensor: SensorDefinition, from requester: some IPMIRequester) async throws -> SensorReading {
        guard !sensor.key.isSoftwareOwned, sensor.key.ownerID == bmcAddress else {
            var reading = SensorReading(definition: sensor)
            reading.availability = .notOwnedByBMC
            return reading
        }
        let response = try await requester.request(
            netFn: .sensorEvent, command: SensorCommand.getSensorReading, data: [sensor.key.sensorNumber],
            lun: sensor.key.ownerLUN)
        if response.completionCode != .normal {
            logger.debug(
                "no sensor reading",
                metadata: ["sensor": "\(sensor.name)", "completion": "\(response.completionCode)"])
        }
        return sensor.reading(from: response)
    }

    /// Reads every sensor, returning the readings in the order of `sensors`.
    ///
    /// `concurrency` bounds the Get Sensor Reading requests in flight at once. 1 (the default) suits BMCs that
    /// handle one request at a time; a larger value only helps when the requester keeps several outstanding
    /// requests per session (the IPMI client's window).
    public func readAll(
        _ sensors: [SensorDefinition], from requester: some IPMIRequester, concurrency: Int = 1
    ) async throws -> [SensorReading] {
        let width = max(1, concurrency)
        if width == 1 || sensors.count < 2 {
            var readings: [SensorReading] = []
            readings.reserveCapacity(sensors.count)
            for sensor in sensors {
                readings.append(try await read(sensor, from: requester))
            }
            return readings
        }
        return try await withThrowingTaskGroup(of: (Int, SensorReading).self) { group in
            var results = [SensorReading?](repeating: nil, count: sensors.count)
            var next = 0
            // Keep `width` requests running; start the next one as each finishes.
            while next < min(width, sensors.count) {
                let index = next
                group.addTask { (index, try await read(sensors[index], from: requester)) }
                next += 1
            }
            while let (index, reading) = try await group.next() {
                results[index] = reading
                if next < sensors.count {
                    let index = next
                    group.addTask { (index, try await read(sensors[index], from: requester)) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    /// Get Sensor Thresholds for a threshold sensor with conversion factors; nil when the sensor has none or the
    /// BMC refuses the command.
    public func thresholds(
        of sensor: SensorDefinition, from requester: some IPMIRequester
    ) async throws
        -> SensorThresholds?
    {
        guard sensor.isThreshold, let conversion = sensor.conversion else { return nil }
        let response = try await requester.request(
            netFn: .sensorEvent, command: SensorCommand.getSensorThresholds, data: [sensor.key.sensorNumber],
            lun: sensor.key.ownerLUN)
        guard response.completionCode == .normal, let decoded = try? SensorThresholdsResponse(data: response.data)
        else { return nil }
        return SensorThresholds(raw: decoded.thresholds, conversion: conversion)
    }
}
