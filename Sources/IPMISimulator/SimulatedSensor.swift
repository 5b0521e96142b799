import Foundation

/// Thresholds of an analog sensor in physical units (degrees, volts, RPM ...); nil = not present.
public struct SensorThresholds: Sendable, Hashable, Codable {
    public var lowerNonRecoverable: Double?
    public var lowerCritical: Double?
    public var lowerNonCritical: Double?
    public var upperNonCritical: Double?
    public var upperCritical: Double?
    public var upperNonRecoverable: Double?

    public init(
        lowerNonRecoverable: Double? = nil, lowerCritical: Double? = nil, lowerNonCritical: Double? = nil,
        upperNonCritical: Double? = nil, upperCritical: Double? = nil, upperNonRecoverable: Double? = nil
    ) {
        self.lowerNonRecoverable = lowerNonRecoverable
        self.lowerCritical = lowerCritical
        self.lowerNonCritical = lowerNonCritical
        self.upperNonCritical = upperNonCritical
        self.upperCritical = upperCritical
        self.upperNonRecoverable = upperNonRecoverable
    }

    enum CodingKeys: String, CodingKey {
        case lowerNonRecoverable = "lnr"
        case lowerCritical = "lc"
        case lowerNonCritical = "lnc"
        case upperNonCritical = "unc"
        case upperCritical = "uc"
        case upperNonRecoverable = "unr"
    }

    /// In the order of the threshold mask bits 0-5 (IPMI v2.0 section 43.1, bytes 19-20): LNC, LC, LNR,
    /// UNC, UC, UNR.
    var inMaskOrder: [Double?] {
        [lowerNonCritical, lowerCritical, lowerNonRecoverable, upperNonCritical, upperCritical, upperNonRecoverable]
    }
}

/// The linear conversion y = (M·x + B·10^Bexp)·10^Rexp of IPMI v2.0 section 36.3.
public struct LinearConversion: Sendable, Hashable, Codable {
    public var m: Int
    public var b: Int
    public var bExponent: Int
    public var rExponent: Int

    public init(m: Int = 1, b: Int = 0, bExponent: Int = 0, rExponent: Int = 0) {
        self.m = m
        self.b = b
        self.bExponent = bExponent
        self.rExponent = rExponent
    }

    enum CodingKeys: String, CodingKey {
        case m, b
        case bExponent = "b_exp"
        case rExponent = "r_exp"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        m = try c.decodeIfPresent(Int.self, forKey: .m) ?? 1
        b = try c.decodeIfPresent(Int.self, forKey: .b) ?? 0
        bExponent = try c.decodeIfPresent(Int.self, forKey: .bExponent) ?? 0
        rExponent = try c.decodeIfPresent(Int.self, forKey: .rExponent) ?? 0
    }

    /// The physical value of an unsigned raw reading.
    public func value(raw: UInt8) -> Double {
        (Double(m) * Double(raw) + Double(b) * pow(10, Double(bExponent))) * pow(10, Double(rExponent))
    }

    /// The unsigned raw reading nearest to `value`, clamped to 0...255.
    public func raw(for value: Double) -> UInt8 {
        guard m != 0 else { return 0 }
        let x = (value / pow(10, Double(rExponent)) - Double(b) * pow(10, Double(bExponent))) / Double(m)
        return UInt8(max(0, min(255, x.rounded())))
    }
}

/// One sensor of the simulated server, resolved from the configuration: everything needed to emit its SDR
/// and answer Get Sensor Reading and Get Sensor Thresholds.
public struct SimulatedSensor: Sendable, Hashable {
    public enum RecordKind: String, Sendable, Hashable, Codable {
        case full, compact
    }

    public var name: String
    public var number: UInt8
    public var recordKind: RecordKind
    public var sensorType: UInt8
    /// 0x01 threshold; 0x02-0x0C generic discrete; 0x6F sensor-specific (IPMI v2.0 section 42.1).
    public var eventReadingType: UInt8
    public var entityID: UInt8
    public var entityInstance: UInt8
    /// Sensor units 1 (bits 7:6 analog format, bit 0 percentage), base unit and modifier unit (section 43.1).
    public var unitsFlags: UInt8
    public var baseUnit: UInt8
    public var modifierUnit: UInt8
    public var conversion: LinearConversion
    public var thresholds: SensorThresholds
    /// The centre of the reading (physical units).
    public var nominal: Double
    /// Amplitude of the slow drift over time.
    public var drift: Double
    /// Period of the drift in seconds.
    public var period: Double
    /// Largest per-BMC offset from the nominal value (each BMC index gets its own fixed offset).
    public var spread: Double
    /// Discrete sensors: the asserted state bits (offsets 0-14).
    public var states: UInt16
    /// The IPMB slave address of the controller that owns the sensor (20h: the BMC, which reads only its own).
    public var owner: UInt8 = 0x20

    public var isThreshold: Bool { eventReadingType == 0x01 }

    public init(
        name: String, number: UInt8, recordKind: RecordKind, sensorType: UInt8, eventReadingType: UInt8,
        entityID: UInt8, entityInstance: UInt8, unitsFlags: UInt8 = 0, baseUnit: UInt8 = 0, modifierUnit: UInt8 = 0,
        conversion: LinearConversion = LinearConversion(), thresholds: SensorThresholds = SensorThresholds(),
        nominal: Double = 0, drift: Double = 0, period: Double = 600, spread: Double = 0, states: UInt16 = 0
    ) {
        self.name = name
        self.number = number
        self.recordKind = recordKind
        self.sensorType = sensorType
        self.eventReadingType = eventReadingType
        self.entityID = entityID
        self.entityInstance = entityInstance
        self.unitsFlags = unitsFlags
        self.baseUnit = baseUnit
        self.modifierUnit = modifierUnit
        self.conversion = conversion
        self.thresholds = thresholds
        self.nominal = nominal
        self.drift = drift
        self.period = period
        self.spread = spread
        self.states = states
    }

    /// The physical value at `time` (seconds since the Unix epoch) on the BMC with this seed: the nominal
    /// value, a fixed per-BMC offset in ±spread, and a sine drift with a per-BMC phase. Pure, so every
    /// scrape of one BMC at one moment agrees.
    public func value(at time: Double, bmcSeed: UInt64) -> Double {
        let offset = (SplitMix64.unit(bmcSeed, UInt64(number), 1) * 2 - 1) * spread
        let phase = SplitMix64.unit(bmcSeed, UInt64(number), 2) * 2 * Double.pi
        let wave = period > 0 ? sin(2 * Double.pi * time / period + phase) : 0
        return nominal + offset + drift * wave
    }

    /// The raw reading byte at `time`.
    public func rawReading(at time: Double, bmcSeed: UInt64) -> UInt8 {
        conversion.raw(for: value(at: time, bmcSeed: bmcSeed))
    }

    /// Raw threshold bytes in mask order (LNC, LC, LNR, UNC, UC, UNR), nil where absent.
    var rawThresholds: [UInt8?] {
        thresholds.inMaskOrder.map { $0.map { conversion.raw(for: $0) } }
    }

    /// Bits 0-5 of the readable/settable threshold masks.
    var thresholdMask: UInt8 {
        var mask: UInt8 = 0
        for (bit, threshold) in thresholds.inMaskOrder.enumerated() where threshold != nil {
            mask |= 1 << UInt8(bit)
        }
        return mask
    }

    /// Threshold comparison status of Get Sensor Reading byte 3 (IPMI v2.0 section 35.14): a lower bit is set
    /// at or below its threshold, an upper bit at or above it (unsigned raw comparison, M > 0).
    func thresholdStatus(raw: UInt8) -> UInt8 {
        var status: UInt8 = 0
        for (bit, threshold) in rawThresholds.enumerated() {
            guard let threshold else { continue }
            let crossed = bit < 3 ? raw <= threshold : raw >= threshold
            if crossed { status |= 1 << UInt8(bit) }
        }
        return status
    }
}
