#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// The C math functions under names that do not collide with the `Linearization` cases.
private func naturalLogarithm(_ x: Double) -> Double { log(x) }
private func decimalLogarithm(_ x: Double) -> Double { log10(x) }
private func binaryLogarithm(_ x: Double) -> Double { log2(x) }
private func naturalExponential(_ x: Double) -> Double { exp(x) }
private func binaryExponential(_ x: Double) -> Double { exp2(x) }
private func realCubeRoot(_ x: Double) -> Double { cbrt(x) }

/// How the raw reading byte of an analog sensor is signed (full sensor record byte 21, bits 7:6; IPMI v2.0 §43.1).
public enum AnalogDataFormat: UInt8, Sendable, Hashable {
    case unsigned = 0
    case onesComplement = 1
    case twosComplement = 2
    /// 11b: the sensor does not return an analog reading.
    case nonAnalog = 3
}

/// The linearization function L of §36.3 (full sensor record byte 24, bits 6:0; table 43-1 "Linearization").
public enum Linearization: Sendable, Hashable {
    case linear
    case ln
    case log10
    case log2
    case e
    case exp10
    case exp2
    case inverse
    case square
    case cube
    case squareRoot
    case cubeRoot
    /// 70h–7Fh: non-linear; the conversion factors must be fetched per reading with Get Sensor Reading Factors.
    case nonLinear(UInt8)
    /// 0Ch–6Fh and 80h–FFh are reserved.
    case reserved(UInt8)

    public init(code: UInt8) {
        switch code & 0x7F {
        case 0x00: self = .linear
        case 0x01: self = .ln
        case 0x02: self = .log10
        case 0x03: self = .log2
        case 0x04: self = .e
        case 0x05: self = .exp10
        case 0x06: self = .exp2
        case 0x07: self = .inverse
        case 0x08: self = .square
        case 0x09: self = .cube
        case 0x0A: self = .squareRoot
        case 0x0B: self = .cubeRoot
        case 0x70...0x7F: self = .nonLinear(code & 0x7F)
        default: self = .reserved(code & 0x7F)
        }
    }

    /// Applies the function to the linear intermediate value.
    func apply(_ x: Double) -> Double? {
        switch self {
        case .linear: return x
        case .ln: return naturalLogarithm(x)
        case .log10: return decimalLogarithm(x)
        case .log2: return binaryLogarithm(x)
        case .e: return naturalExponential(x)
        case .exp10: return pow(10, x)
        case .exp2: return binaryExponential(x)
        // FreeIPMI and ipmitool leave a zero intermediate unchanged rather than dividing by zero.
        case .inverse: return x == 0 ? 0 : 1 / x
        case .square: return x * x
        case .cube: return x * x * x
        case .squareRoot: return x.squareRoot()
        case .cubeRoot: return realCubeRoot(x)
        case .nonLinear, .reserved: return nil
        }
    }
}

/// The reading conversion factors of a full sensor record (IPMI v2.0 §36.3 and §43.1 bytes 21–30):
/// `y = L[(M·x + B·10^Bexp)·10^Rexp]`.
public struct SensorConversion: Sendable, Hashable {
    /// 10-bit two's complement multiplier.
    public var m: Int
    /// 10-bit two's complement offset.
    public var b: Int
    /// 4-bit two's complement exponent of B (K1).
    public var bExponent: Int
    /// 4-bit two's complement result exponent (K2).
    public var rExponent: Int
    public var format: AnalogDataFormat
    public var linearization: Linearization

    public init(
        m: Int, b: Int, bExponent: Int, rExponent: Int, format: AnalogDataFormat, linearization: Linearization
    ) {
        self.m = m
        self.b = b
        self.bExponent = bExponent
        self.rExponent = rExponent
        self.format = format
        self.linearization = linearization
    }

    /// Decodes the factors from record bytes 21–30 as the spec numbers them (1-based), given the whole record.
    init(record bytes: [UInt8]) {
        // Byte 21 bits 7:6: analog data format. Byte 24 bits 6:0: linearization.
        format = AnalogDataFormat(rawValue: bytes[20] >> 6)!
        linearization = Linearization(code: bytes[23])
        // Bytes 25/26: M LS 8 bits, then M MS 2 bits in bits 7:6 of byte 26.
        m = signExtend(Int(bytes[24]) | (Int(bytes[25] >> 6) << 8), bits: 10)
        // Bytes 27/28: B LS 8 bits, then B MS 2 bits in bits 7:6 of byte 28.
        b = signExtend(Int(bytes[26]) | (Int(bytes[27] >> 6) << 8), bits: 10)
        // Byte 30: R (result) exponent in bits 7:4, B exponent in bits 3:0, both 4-bit two's complement.
        rExponent = signExtend(Int(bytes[29] >> 4), bits: 4)
        bExponent = signExtend(Int(bytes[29] & 0x0F), bits: 4)
    }

    /// The raw byte as a signed or unsigned number, per the analog data format; nil for non-analog sensors.
    public func rawValue(_ raw: UInt8) -> Int? {
        switch format {
        case .unsigned:
            return Int(raw)
        case .onesComplement:
            // 1's complement: negative numbers are the bitwise complement of their magnitude (FFh is -0).
            return raw & 0x80 == 0 ? Int(raw) : -Int(~raw)
        case .twosComplement:
            return Int(Int8(bitPattern: raw))
        case .nonAnalog:
            return nil
        }
    }

    /// The converted reading in the sensor's units, or nil when the sensor is not analog or not linearizable.
    public func value(raw: UInt8) -> Double? {
        guard let x = rawValue(raw) else { return nil }
        let linear =
            (Double(m) * Double(x) + Double(b) * power10(bExponent)) * power10(rExponent)
        return linearization.apply(linear)
    }

    /// Whether readings can be converted without Get Sensor Reading Factors.
    public var isConvertible: Bool {
        guard format != .nonAnalog else { return false }
        switch linearization {
        case .nonLinear, .reserved: return false
        default: return true
        }
    }
}

/// 10^n computed exactly for the small exponents of §36.3 (|n| ≤ 8), so that e.g. 10^-2 is the same double as 0.01.
func power10(_ n: Int) -> Double {
    var result = 1.0
    if n >= 0 {
        for _ in 0..<n { result *= 10 }
        return result
    }
    for _ in 0..<(-n) { result *= 10 }
    return 1 / result
}

/// Interprets the low `bits` bits of `value` as a two's complement number.
func signExtend(_ value: Int, bits: Int) -> Int {
    let mask = (1 << bits) - 1
    let v = value & mask
    return v & (1 << (bits - 1)) != 0 ? v - (1 << bits) : v
}
