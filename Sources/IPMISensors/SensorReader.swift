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
    /// The BMC's IPMB address; sensors owned by other controllers need bridging.
    public var bmcAddress: UInt8
    public var logger: Logger
    /// FreeIPMI's sensor workaround flags.
    public var workarounds: SensorWorkarounds
    /// FreeIPMI's `--bridge-sensors`: a sensor whose SDR names another controller on the IPMB as its owner (§43.1
    /// bytes 6–7: slave address, channel, LUN) is read through Send Message to that controller (§6.13, §22.7).
    /// Without it such a sensor is reported ``SensorReading/Availability/notOwnedByBMC``, as FreeIPMI does.
    public var bridgeSensors: Bool

    public init(
        logger: Logger, bmcAddress: UInt8 = 0x20, workarounds: SensorWorkarounds = [], bridgeSensors: Bool = false
    ) {
        self.logger = logger
        self.bmcAddress = bmcAddress
        self.workarounds = workarounds
        self.bridgeSensors = bridgeSensors
    }

    /// Readings of a batch, and what the controllers behind the BMC did with the bridged requests in it.
    public struct BatchReadings: Sendable {
        public var readings: [SensorReading]
        /// Controllers whose bridged Get Sensor Reading came back with a completion code that refuses bridging to
        /// them as a whole (``isBridgeRefusal(_:)``), with that code.
        public var refusedControllers: [BridgeTarget: CompletionCode]
        /// Controllers none of whose bridged requests got an answer at all (a hung controller: the BMC took the Send
        /// Message and nothing came back, or said C3h, timeout, for it), while the BMC itself answered.
        public var silentControllers: Set<BridgeTarget> = []
        /// Controllers that answered at least one bridged request (with any completion code).
        public var answeringControllers: Set<BridgeTarget> = []
    }

    /// Reads one sensor. Transport failures are thrown (for a bridged read they make it
    /// ``SensorReading/Availability/bridgeFailed``); completion codes and unavailable readings are reported in the
    /// result's ``SensorReading/availability`` with no value.
    public func read(_ sensor: SensorDefinition, from requester: some IPMIRequester) async throws -> SensorReading {
        guard let request = readingRequest(for: sensor) else { return notOwned(sensor) }
        if request.bridge != nil {
            return try await readAll([sensor], from: requester, skipping: []).readings[0]
        }
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
        try await readAll(sensors, from: requester, skipping: []).readings
    }

    /// Reads every sensor as one batch, as ``readAll(_:from:)``; with ``bridgeSensors`` the sensors of other
    /// controllers go in the same batch through Send Message, except those of the controllers in `skipping` (known to
    /// refuse), which are ``SensorReading/Availability/bridgeFailed`` without a request. A bridged read that fails in
    /// any way fails only its own sensor; the first transport failure of a request to the BMC itself is thrown.
    public func readAll(
        _ sensors: [SensorDefinition], from requester: some IPMIRequester, skipping: Set<BridgeTarget>
    ) async throws -> BatchReadings {
        var requests: [IPMIRequest] = []
        var requested: [Int] = []
        requests.reserveCapacity(sensors.count)
        requested.reserveCapacity(sensors.count)
        var readings = sensors.map(notOwned)
        for (index, sensor) in sensors.enumerated() {
            guard let request = readingRequest(for: sensor) else { continue }
            if let bridge = request.bridge, skipping.contains(bridge) {
                readings[index].availability = .bridgeFailed
                continue
            }
            requests.append(request)
            requested.append(index)
        }
        let results = await requester.requests(requests)
        var refused: [BridgeTarget: CompletionCode] = [:]
        var unanswered: Set<BridgeTarget> = []
        var answered: Set<BridgeTarget> = []
        for (position, (index, result)) in zip(requested, results).enumerated() {
            guard let bridge = requests[position].bridge else {
                readings[index] = reading(of: sensors[index], from: try result.get())
                continue
            }
            switch result {
            case .success(let response) where response.completionCode == .normal:
                answered.insert(bridge)
                readings[index] = reading(of: sensors[index], from: response)
            case .success(let response):
                // C3h, "timeout while processing command": the BMC (or the local driver) waited for the controller in
                // vain; that is no answer from it.
                if response.completionCode == .timeout { unanswered.insert(bridge) } else { answered.insert(bridge) }
                logger.debug(
                    "no bridged sensor reading",
                    metadata: [
                        "sensor": "\(sensors[index].name)", "controller": "\(bridge)",
                        "completion": "\(response.completionCode)",
                    ])
                readings[index].availability = .bridgeFailed
                if Self.isBridgeRefusal(response.completionCode) { refused[bridge] = response.completionCode }
            case .failure(let error):
                logger.debug(
                    "no bridged sensor reading",
                    metadata: ["sensor": "\(sensors[index].name)", "controller": "\(bridge)", "error": "\(error)"])
                readings[index].availability = .bridgeFailed
                // A requester that cannot bridge at all says so without asking anyone.
                if !(error is BridgingUnsupported) { unanswered.insert(bridge) }
            }
        }
        return BatchReadings(
            readings: readings, refusedControllers: refused, silentControllers: unanswered.subtracting(answered),
            answeringControllers: answered)
    }

    /// Completion codes of a bridged request that say no request will get through to that controller, rather than
    /// that one sensor has no reading: Send Message's own failures (80h–83h: invalid session handle, lost
    /// arbitration, bus error, NAK on write — the controller is not there; IPMI v2.0 §22.7), and the command refused
    /// outright (C1h invalid command, D4h insufficient privilege, D5h not supported in the present state).
    public static func isBridgeRefusal(_ code: CompletionCode) -> Bool {
        switch code.rawValue {
        case 0x80...0x83, 0xC1, 0xD4, 0xD5: true
        default: false
        }
    }

    /// Get Sensor Reading, sent to the sensor owner's LUN (IPMI v2.0 §35.14), through Send Message when another
    /// controller owns the sensor and ``bridgeSensors`` is set; nil for sensors that are not read.
    private func readingRequest(for sensor: SensorDefinition) -> IPMIRequest? {
        // Software owners (a system software ID, not an IPMB slave address) have no controller to ask.
        guard !sensor.key.isSoftwareOwned else { return nil }
        var bridge: BridgeTarget?
        // With `assumebmcowner` any controller owner is taken to be the BMC.
        if sensor.key.ownerID != bmcAddress, !workarounds.contains(.assumeBMCOwner) {
            guard bridgeSensors else { return nil }
            bridge = BridgeTarget(channel: sensor.key.channel, address: sensor.key.ownerID)
        }
        return IPMIRequest(
            netFn: .sensorEvent, command: SensorCommand.getSensorReading, data: [sensor.key.sensorNumber],
            lun: sensor.key.ownerLUN, bridge: bridge)
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
