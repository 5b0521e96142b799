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
    /// FreeIPMI's sensor workaround flags.
    public var workarounds: SensorWorkarounds

    public init(logger: Logger, bmcAddress: UInt8 = 0x20, workarounds: SensorWorkarounds = []) {
        self.logger = logger
        self.bmcAddress = bmcAddress
        self.workarounds = workarounds
    }

    /// Reads one sensor. Transport failures are thrown; completion codes and unavailable readings are reported in
    /// the result's ``SensorReading/availability`` with no value.
    public func read(_ sensor: SensorDefinition, from requester: some IPMIRequester) async throws -> SensorReading {
        guard let request = readingRequest(for: sensor) else { return notOwned(sensor) }
        let response = try await requester.request(
            netFn: request.netFn, command: request.command, data: request.data, lun: request.lun)
        return reading(of: sensor, from: response)
    }

    /// Reads every sensor as one batch of Get Sensor Reading requests, returning the readings in the order of
    /// `sensors`. The requester decides how many are on the wire at once (an RMCP+ session's window); the first
    /// transport failure is thrown once the batch has finished.
    public func readAll(
        _ sensors: [SensorDefinition], from requester: some IPMIRequester
    ) async throws -> [SensorReading] {
        var requests: [IPMIRequest] = []
        var requested: [Int] = []
        requests.reserveCapacity(sensors.count)
        requested.reserveCapacity(sensors.count)
        for (index, sensor) in sensors.enumerated() {
            guard let request = readingRequest(for: sensor) else { continue }
            requests.append(request)
            requested.append(index)
        }
        let results = await requester.requests(requests)
        var readings = sensors.map(notOwned)
        for (index, result) in zip(requested, results) {
            readings[index] = reading(of: sensors[index], from: try result.get())
        }
        return readings
    }

    /// Get Sensor Reading, sent to the sensor owner's LUN (IPMI v2.0 §35.14); nil for sensors this BMC does not own.
    private func readingRequest(for sensor: SensorDefinition) -> IPMIRequest? {
        // With `assumebmcowner` any controller owner is taken to be the BMC; software owners stay unread.
        guard !sensor.key.isSoftwareOwned,
            sensor.key.ownerID == bmcAddress || workarounds.contains(.assumeBMCOwner)
        else { return nil }
        return IPMIRequest(
            netFn: .sensorEvent, command: SensorCommand.getSensorReading, data: [sensor.key.sensorNumber],
            lun: sensor.key.ownerLUN)
    }

    private func notOwned(_ sensor: SensorDefinition) -> SensorReading {
        var reading = SensorReading(definition: sensor)
        reading.availability = .notOwnedByBMC
        return reading
    }

    private func reading(of sensor: SensorDefinition, from response: IPMIResponse) -> SensorReading {
        if response.completionCode != .normal {
            logger.debug(
                "no sensor reading",
                metadata: ["sensor": "\(sensor.name)", "completion": "\(response.completionCode)"])
        }
        return sensor.reading(from: response, workarounds: workarounds)
    }

    /// Get Sensor Thresholds for a threshold sensor with conversion factors; nil when the sensor has none or the
    /// BMC refuses the command.
    public func thresholds(
        of sensor: SensorDefinition, from requester: some IPMIRequester
    ) async throws
        -> SensorThresholds?
    {
        guard sensor.isThreshold, let conversion = sensor.conversion else { return nil }
        let request = GetSensorThresholdsRequest(sensorNumber: sensor.key.sensorNumber)
        let response = try await requester.request(
            netFn: GetSensorThresholdsRequest.netFn, command: GetSensorThresholdsRequest.command,
            data: request.encode(), lun: sensor.key.ownerLUN)
        guard response.completionCode == .normal,
            let decoded = try? GetSensorThresholdsResponse(decoding: response.data)
        else { return nil }
        return SensorThresholds(raw: RawThresholds(decoded), conversion: conversion)
    }
}
