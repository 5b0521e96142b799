/// The health of a sensor as the exporter and CLI report it.
public enum SensorState: String, Sendable, Hashable, CaseIterable {
    case nominal = "Nominal"
    case warning = "Warning"
    case critical = "Critical"
    /// No interpretation exists (OEM types, unknown offsets) or the sensor could not be read: FreeIPMI prints "N/A".
    case unknown = "N/A"

    /// A letter of an interpretation table (ASCII): `w` warning, `c` critical, anything else nominal.
    fileprivate init(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "w"): self = .warning
        case UInt8(ascii: "c"): self = .critical
        default: self = .nominal
        }
    }

    fileprivate var severity: Int {
        switch self {
        case .nominal: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }
}

/// Classes of event/reading type codes (IPMI v2.0 §42.1, table 42-1).
public enum EventReadingClass: Sendable, Hashable {
    case unspecified
    case threshold
    case genericDiscrete
    case sensorSpecific
    case oem
    case reserved

    public init(code: UInt8) {
        switch code {
        case 0x00: self = .unspecified
        case 0x01: self = .threshold
        case 0x02...0x0C: self = .genericDiscrete
        case 0x6F: self = .sensorSpecific
        case 0x70...0x7F: self = .oem
        default: self = .reserved
        }
    }
}

public enum SensorNames {
    /// The sensor type as FreeIPMI prints it (table 42-3 names), e.g. "Temperature", "Drive Slot";
    /// "OEM Reserved" for C0h–FFh and "Unrecognized" for reserved codes.
    public static func sensorType(_ code: UInt8) -> String {
        if Int(code) < sensorTypeNames.count { return sensorTypeNames[Int(code)] }
        if code >= 0xC0 { return "OEM Reserved" }
        return "Unrecognized"
    }

    /// A name for an event/reading type code (table 42-2), e.g. "Threshold", "Redundancy", "Sensor-specific".
    public static func eventReadingType(_ code: UInt8) -> String {
        switch code {
        case 0x00: "Unspecified"
        case 0x01: "Threshold"
        case 0x02: "DMI-based Usage State"
        case 0x03: "Digital State"
        case 0x04: "Predictive Failure"
        case 0x05: "Limit"
        case 0x06: "Performance"
        case 0x07: "Severity"
        case 0x08: "Device Presence"
        case 0x09: "Device Enabled"
        case 0x0A: "Availability State"
        case 0x0B: "Redundancy"
        case 0x0C: "ACPI Device Power State"
        case 0x6F: "Sensor-specific"
        case 0x70...0x7F: "OEM"
        default: "Reserved"
        }
    }

    static let sensorTypeNames = [
        "Reserved", "Temperature", "Voltage", "Current", "Fan", "Physical Security",
        "Platform Security Violation Attempt", "Processor", "Power Supply", "Power Unit", "Cooling Device",
        "Other Units Based Sensor", "Memory", "Drive Slot", "POST Memory Resize", "System Firmware Progress",
        "Event Logging Disabled", "Watchdog 1", "System Event", "Critical Interrupt", "Button/Switch", "Module/Board",
        "Microcontroller/Coprocessor", "Add In Card", "Chassis", "Chip Set", "Other Fru", "Cable/Interconnect",
        "Terminator", "System Boot Initiated", "Boot Error", "OS Boot", "OS Critical Stop", "Slot/Connector",
        "System ACPI Power State", "Watchdog 2", "Platform Alert", "Entity Presence", "Monitor ASIC/IC", "LAN",
        "Management Subsystem Health", "Battery", "Session Audit", "Version Change", "FRU State",
    ]
}

/// Turns the state bits of a Get Sensor Reading response into a state and event texts, the way FreeIPMI's default
/// configuration does.
public enum SensorInterpretation {
    /// The state for the given event/reading type, sensor type and 15-bit state mask (offset n is bit n).
    ///
    /// Threshold sensors: the threshold comparison bits (LNC, LC, LNR, UNC, UC, UNR in bits 0–5) give Critical for
    /// any critical or non-recoverable bit, Warning for non-critical, else Nominal. Discrete sensors: the worst
    /// state of all asserted offsets per FreeIPMI's table; an offset the table does not define, or a type it
    /// does not interpret, gives `.unknown`.
    public static func state(eventReadingType: UInt8, sensorType: UInt8, stateMask: UInt16) -> SensorState {
        switch EventReadingClass(code: eventReadingType) {
        case .threshold:
            return worst(of: InterpretationTables.threshold, mask: stateMask & 0x3F)
        case .genericDiscrete, .sensorSpecific:
            guard
                let table = InterpretationTables.discrete[
                    InterpretationKey(eventReadingType, sensorType)]
            else { return .unknown }
            // Bit 15 is reserved in the reading (§35.14) and ignored.
            return worst(of: table, mask: stateMask & 0x7FFF)
        default:
            return .unknown
        }
    }

    private static func worst(of table: String, mask: UInt16) -> SensorState {
        // The tables are ASCII, so their UTF-8 bytes are their letters; read in place, once per sensor and scrape.
        var table = table
        return table.withUTF8 { letters in
            guard !letters.isEmpty else { return .unknown }
            if mask == 0 { return SensorState(letter: letters[0]) }
            var state = SensorState.nominal
            for offset in 0..<15 where mask & (1 << offset) != 0 {
                guard offset + 1 < letters.count else { return .unknown }
                let candidate = SensorState(letter: letters[offset + 1])
                if candidate.severity > state.severity { state = candidate }
            }
            return state
        }
    }

    /// The event texts FreeIPMI prints for a reading (empty when nothing is asserted; callers print "OK").
    ///
    /// Threshold sensors report only the most severe comparison ("At or Above (>=) Upper Critical Threshold");
    /// discrete sensors list every asserted offset's short text, "Unrecognized Event = XXXXh" for offsets without
    /// one, and OEM types a single "OEM Event = XXXXh".
    public static func events(eventReadingType: UInt8, sensorType: UInt8, stateMask: UInt16) -> [String] {
        switch EventReadingClass(code: eventReadingType) {
        case .threshold:
            for offset in stride(from: 5, through: 0, by: -1) where stateMask & (1 << offset) != 0 {
                return [thresholdEvents[offset]]
            }
            return []
        case .genericDiscrete, .sensorSpecific:
            let texts: [String]?
            if eventReadingType == 0x6F {
                texts = sensorType >= 0xC0 ? nil : InterpretationTables.sensorSpecificEvents[sensorType]
                if sensorType >= 0xC0 { return ["OEM Event = " + hex4(stateMask)] }
            } else {
                texts = InterpretationTables.genericEvents[eventReadingType]
            }
            var result: [String] = []
            for offset in 0..<15 where stateMask & (1 << offset) != 0 {
                if let texts, offset < texts.count {
                    result.append(texts[offset])
                } else {
                    result.append("Unrecognized Event = " + hex4(1 << offset))
                }
            }
            return result
        default:
            return ["OEM Event = " + hex4(stateMask)]
        }
    }

    static let thresholdEvents = [
        "At or Below (<=) Lower Non-Critical Threshold",
        "At or Below (<=) Lower Critical Threshold",
        "At or Below (<=) Lower Non-Recoverable Threshold",
        "At or Above (>=) Upper Non-Critical Threshold",
        "At or Above (>=) Upper Critical Threshold",
        "At or Above (>=) Upper Non-Recoverable Threshold",
    ]
}

/// Four upper-case hex digits, as FreeIPMI prints bitmasks.
func hex4(_ value: UInt16) -> String {
    let digits = Array("0123456789ABCDEF")
    return String((0..<4).reversed().map { digits[Int((value >> UInt16($0 * 4)) & 0xF)] }) + "h"
}
