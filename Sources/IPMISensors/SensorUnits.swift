/// The unit fields of a sensor record (IPMI v2.0 §43.1 bytes 21–23, §43.17 "Sensor Unit Type Codes").
public struct SensorUnits: Sendable, Hashable {
    /// How the modifier unit combines with the base unit (byte 21 bits 2:1).
    public enum ModifierRelation: UInt8, Sendable, Hashable {
        case none = 0
        /// Base unit / modifier unit.
        case divide = 1
        /// Base unit * modifier unit.
        case multiply = 2
        case reserved = 3
    }

    /// Rate unit (byte 21 bits 5:3): none, per µs, per ms, per s, per minute, per hour, per day, reserved.
    public var rate: UInt8
    public var modifierRelation: ModifierRelation
    /// Byte 21 bit 0: the reading is a percentage.
    public var isPercentage: Bool
    /// Byte 22: base unit type code (§43.17).
    public var baseUnit: UInt8
    /// Byte 23: modifier unit type code (§43.17).
    public var modifierUnit: UInt8

    public init(
        rate: UInt8 = 0, modifierRelation: ModifierRelation = .none, isPercentage: Bool = false, baseUnit: UInt8,
        modifierUnit: UInt8 = 0
    ) {
        self.rate = rate & 0x07
        self.modifierRelation = modifierRelation
        self.isPercentage = isPercentage
        self.baseUnit = baseUnit
        self.modifierUnit = modifierUnit
    }

    /// Decodes units from record bytes 21, 22 and 23 (1-based spec numbering).
    init(unitsByte: UInt8, base: UInt8, modifier: UInt8) {
        self.init(
            rate: (unitsByte >> 3) & 0x07, modifierRelation: ModifierRelation(rawValue: (unitsByte >> 1) & 0x03)!,
            isPercentage: unitsByte & 0x01 != 0, baseUnit: base, modifierUnit: modifier)
    }

    /// The unit as FreeIPMI's ipmi-sensors and ipmimonitoring print it (abbreviated), e.g. "C", "V", "RPM", "%".
    public var abbreviation: String { render(names: SensorUnits.abbreviations, percent: "%") }

    /// The unit with the spec's names (table 43-15), e.g. "degrees C", "Volts", "% RPM"; a bare percentage is
    /// "percent", as ipmitool prints it.
    public var description: String { render(names: SensorUnits.names, percent: "percent") }

    /// The spec name of a unit type code, or nil for codes beyond the table.
    public static func name(ofUnitType code: UInt8) -> String? {
        Int(code) < names.count ? names[Int(code)] : nil
    }

    /// Combines percentage, base, modifier and rate as FreeIPMI does: a "% " prefix (or "%" alone for an
    /// unspecified base unit), "base / modifier" or "base * modifier", "base per-rate"; RPM already means
    /// per minute so "RPM per minute" stays "RPM".
    private func render(names: [String], percent: String) -> String {
        func unitName(_ code: UInt8) -> String {
            Int(code) < names.count ? names[Int(code)] : "unknown"
        }
        var prefix = ""
        if isPercentage {
            if modifierRelation == .none && rate == 0 && baseUnit == 0 { return percent }
            prefix = "% "
        }
        let base = unitName(baseUnit)
        if rate != 0 {
            if baseUnit == 18 && rate == 4 { return prefix + base }
            return prefix + base + " " + SensorUnits.rateNames[Int(rate)]
        }
        switch modifierRelation {
        case .none, .reserved:
            return prefix + base
        case .divide, .multiply:
            // Some SDRs set a relation with an unspecified modifier unit: show the base unit alone.
            if modifierUnit == 0 { return prefix + base }
            let separator = modifierRelation == .divide ? " / " : " * "
            return prefix + base + separator + unitName(modifierUnit)
        }
    }

    static let rateNames = ["", "per uS", "per ms", "per s", "per minute", "per hour", "per day", "reserved"]

    /// IPMI v2.0 table 43-15, unit type codes 0–92.
    static let names = [
        "unspecified", "degrees C", "degrees F", "degrees K", "Volts", "Amps", "Watts", "Joules", "Coulombs", "VA",
        "Nits", "lumen", "lux", "Candela", "kPa", "PSI", "Newton", "CFM", "RPM", "Hz",
        "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "mil", "inches", "feet",
        "cu in", "cu feet", "mm", "cm", "m", "cu cm", "cu m", "liters", "fluid ounce", "radians",
        "steradians", "revolutions", "cycles", "gravities", "ounce", "pound", "ft-lb", "oz-in", "gauss", "gilberts",
        "henry", "millihenry", "farad", "microfarad", "ohms", "siemens", "mole", "becquerel", "PPM", "reserved",
        "Decibels", "DbA", "DbC", "gray", "sievert", "color temp deg K", "bit", "kilobit", "megabit", "gigabit",
        "byte", "kilobyte", "megabyte", "gigabyte", "word", "dword", "qword", "line", "hit", "miss",
        "retry", "reset", "overrun / overflow", "underrun", "collision", "packets", "messages", "characters", "error",
        "correctable error", "uncorrectable error", "fatal error", "grams",
    ]

    /// The abbreviations FreeIPMI prints for the same codes.
    static let abbreviations = [
        "unspecified", "C", "F", "K", "V", "A", "W", "J", "C", "VA",
        "nits", "lm", "lux", "cd", "KPA", "PSI", "N", "CFM", "RPM", "Hz",
        "us", "ms", "s", "min", "hr", "day", "wk", "mil", "in", "ft",
        "cu in", "cu feet", "mm", "cm", "m", "cu cm", "cu m", "L", "fl oz", "rad",
        "sr", "rev", "c", "g", "oz", "lb", "ft lB", "oz in", "G", "Gi",
        "H", "mH", "F", "uF", "ohms", "S", "mol", "Bq", "PPM", "Reserved",
        "dB", "DbA", "DbC", "Gy", "Sv", "color temp deg K", "b", "Kb", "Mb", "Gb",
        "B", "KB", "MB", "GB", "word", "dword", "qword", "line", "hit", "miss",
        "retry", "reset", "overrun / overflow", "underrun", "collision", "pkts", "msgs", "chars", "err",
        "correctable err", "uncorrectable err", "fatal err", "g",
    ]
}
