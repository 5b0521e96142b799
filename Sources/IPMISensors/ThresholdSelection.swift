import IPMI

/// Where the thresholds of a sensor come from. The choice is FreeIPMI's (ipmi-sensors
/// `--output-sensor-thresholds`); ipmitool's `sensor` asks Get Sensor Thresholds in the same cases and shows nothing
/// where that fails, so both tools agree wherever the BMC answers the command.
///
/// - A sensor without thresholds (threshold access 00b, IPMI v2.0 §43.1 byte 12 bits 3:2), a discrete sensor, one
///   whose readings cannot be converted (non-analog, non-linear), a software-owned one, and one on another controller
///   unless sensors are bridged: none.
/// - Fixed, unreadable thresholds (11b): the values in the record (bytes 37–42) that its readable-threshold mask
///   (byte 19) marks, with no request.
/// - Readable (01b) or readable and settable (10b): Get Sensor Thresholds (§35.9), whose answer carries its own
///   readable mask. It is the authority, as thresholds set at run time need not be written back to the SDR. A sensor
///   of another controller is asked through Send Message to its owner when sensors are bridged, as ipmitool's
///   `sensor` does (FreeIPMI sends the command to the BMC with the other controller's sensor number).
public enum ThresholdSource: Sendable, Hashable {
    case none
    case record(RawThresholds)
    case command(GetSensorThresholdsRequest, lun: UInt8, bridge: BridgeTarget?)
}

extension SensorDefinition {
    /// Threshold access support 11b: "Fixed, unreadable, thresholds" reported in the record only (§43.1).
    static let fixedThresholdAccess: UInt8 = 0x03

    /// Where this sensor's thresholds are read from; `bmcAddress` is the controller the session talks to, and with
    /// `bridgeSensors` the thresholds of other controllers' sensors are asked of their owners.
    public func thresholdSource(bmcAddress: UInt8 = 0x20, bridgeSensors: Bool = false) -> ThresholdSource {
        guard isThreshold, thresholdAccess != 0, let conversion, conversion.isConvertible else { return .none }
        if thresholdAccess == Self.fixedThresholdAccess { return .record(recordThresholds ?? RawThresholds()) }
        guard !key.isSoftwareOwned else { return .none }
        let request = GetSensorThresholdsRequest(sensorNumber: key.sensorNumber)
        if key.ownerID == bmcAddress { return .command(request, lun: key.ownerLUN, bridge: nil) }
        guard bridgeSensors else { return .none }
        return .command(
            request, lun: key.ownerLUN, bridge: BridgeTarget(channel: key.channel, address: key.ownerID))
    }

    /// The raw thresholds from the answer to Get Sensor Thresholds, as FreeIPMI takes them:
    /// - 00h: the thresholds the answer marks readable (nil when the answer is too short);
    /// - CDh (illegal for this sensor) or CBh (not present): none — an OEM sensor, say;
    /// - C1h (the command is optional and not supported), C9h or FFh (some BMCs' way of saying the same): the
    ///   record's own thresholds;
    /// - anything else: none.
    public func thresholds(answer: IPMIResponse) -> RawThresholds? {
        switch answer.completionCode {
        case .normal:
            return (try? GetSensorThresholdsResponse(decoding: answer.data)).map(RawThresholds.init)
        case .invalidCommand, .parameterOutOfRange, .unspecified:
            return recordThresholds ?? RawThresholds()
        default:
            return nil
        }
    }

    /// Raw thresholds in the sensor's unit, with the two decimals ipmi-sensors prints (the `ipmi` collector's
    /// readings are rounded the same way, so a reading at its threshold compares equal); empty for a sensor whose
    /// readings cannot be converted.
    public func convert(_ raw: RawThresholds) -> [(level: SensorThresholdLevel, value: Double)] {
        guard let conversion, conversion.isConvertible else { return [] }
        return SensorThresholdLevel.allCases.compactMap { level in
            guard let byte = raw.value(level), let value = conversion.value(raw: byte), value.isFinite else {
                return nil
            }
            return (level, Double(formatTwoDecimals(roundLikeFreeIPMI(value))) ?? value)
        }
    }
}

extension RawThresholds {
    /// The thresholds an answer to Get Sensor Thresholds marks readable.
    public init(_ response: GetSensorThresholdsResponse) {
        self.init()
        lowerNonCritical = response.value(.lowerNonCritical)
        lowerCritical = response.value(.lowerCritical)
        lowerNonRecoverable = response.value(.lowerNonRecoverable)
        upperNonCritical = response.value(.upperNonCritical)
        upperCritical = response.value(.upperCritical)
        upperNonRecoverable = response.value(.upperNonRecoverable)
    }

    /// The raw byte of one threshold, nil when it is not readable.
    public func value(_ level: SensorThresholdLevel) -> UInt8? {
        switch level {
        case .lowerNonCritical: lowerNonCritical
        case .lowerCritical: lowerCritical
        case .lowerNonRecoverable: lowerNonRecoverable
        case .upperNonCritical: upperNonCritical
        case .upperCritical: upperCritical
        case .upperNonRecoverable: upperNonRecoverable
        }
    }
}
