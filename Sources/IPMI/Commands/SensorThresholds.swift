/// The six thresholds of a threshold sensor, in the order of their bits in a threshold mask: bit 0 lower
/// non-critical … bit 5 upper non-recoverable. The readable-threshold mask of a full sensor record (IPMI v2.0 §43.1,
/// byte 19) and the first data byte of Get Sensor Thresholds (§35.9) share this layout.
public enum SensorThresholdLevel: Int, Sendable, Hashable, CaseIterable {
    case lowerNonCritical = 0
    case lowerCritical = 1
    case lowerNonRecoverable = 2
    case upperNonCritical = 3
    case upperCritical = 4
    case upperNonRecoverable = 5

    /// This threshold's bit in a threshold mask.
    public var maskBit: UInt8 { 1 << UInt8(rawValue) }
}

/// Get Sensor Thresholds (IPMI v2.0 §35.9, Sensor/Event 27h): the sensor number, sent to the LUN of its owner.
public struct GetSensorThresholdsRequest: IPMICommandRequest {
    public typealias Response = GetSensorThresholdsResponse
    public static let netFn = NetFn.sensorEvent
    public static let command: UInt8 = 0x27

    public var sensorNumber: UInt8

    public init(sensorNumber: UInt8) {
        self.sensorNumber = sensorNumber
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Sensor Thresholds request")
        sensorNumber = try reader.readByte()
    }

    public func encode() -> [UInt8] { [sensorNumber] }
}

/// The answer to Get Sensor Thresholds (§35.9): byte 1 the readable thresholds (bits 5:0 in
/// ``SensorThresholdLevel`` order, bits 7:6 reserved), bytes 2–7 the raw thresholds in the same order (LNC, LC,
/// LNR, UNC, UC, UNR). A byte whose bit is clear is "ignored" by the spec: ``value(_:)`` gives nil for it.
public struct GetSensorThresholdsResponse: IPMICommandResponse {
    /// Bits 5:0 of byte 1; the reserved bits are dropped.
    public var readableMask: UInt8
    /// The six raw threshold bytes, in ``SensorThresholdLevel`` order.
    public var rawValues: [UInt8]

    /// `values` in ``SensorThresholdLevel`` order; missing ones are sent as 00h with their bit clear.
    public init(values: [SensorThresholdLevel: UInt8]) {
        readableMask = values.keys.reduce(0) { $0 | $1.maskBit }
        rawValues = SensorThresholdLevel.allCases.map { values[$0] ?? 0 }
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Sensor Thresholds response")
        readableMask = try reader.readByte() & 0x3F
        rawValues = try reader.readBytes(SensorThresholdLevel.allCases.count)
    }

    public func encode() -> [UInt8] { [readableMask] + rawValues }

    /// The raw threshold when the BMC marks it readable.
    public func value(_ level: SensorThresholdLevel) -> UInt8? {
        // rawValues is public: one set by hand may be short, which reads as "not readable" rather than trapping.
        readableMask & level.maskBit != 0 && level.rawValue < rawValues.count ? rawValues[level.rawValue] : nil
    }
}
