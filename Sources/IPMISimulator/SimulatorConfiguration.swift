import IPMI
import Yams

/// The YAML description of a simulated BMC model (see `DefaultServer.yaml` in ``DefaultServer``). Every BMC of a
/// fleet serves the same model; each differs slightly by its index (readings, GUID, serial).
public struct SimulatorConfiguration: Sendable, Codable, Hashable {
    public struct Device: Sendable, Codable, Hashable {
        public var deviceID: Int?
        public var manufacturerID: Int?
        public var productID: Int?
        /// "major.minor", the minor part as two decimal digits (Get Device ID bytes 3-4, BCD minor).
        public var firmware: String?
        /// System Info parameter 1 (System Firmware Version).
        public var systemFirmware: String?

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case manufacturerID = "manufacturer_id"
            case productID = "product_id"
            case firmware
            case systemFirmware = "system_firmware"
        }
    }

    public struct User: Sendable, Codable, Hashable {
        public var name: String
        public var password: String
        public var privilege: String
    }

    public struct Sensor: Sendable, Codable, Hashable {
        public var name: String
        public var number: Int?
        /// A name (temperature, voltage, current, fan, power, power_supply, power_unit, drive_slot, processor,
        /// physical_security, entity_presence, memory) or a sensor type code.
        public var type: String
        /// Event/reading type code; default 0x01 (threshold) for analog types, 0x6F (sensor-specific) otherwise.
        public var eventType: Int?
        /// degrees_c, volts, amps, watts, rpm, percent; default by type.
        public var unit: String?
        public var record: SimulatedSensor.RecordKind?
        /// "id.instance", e.g. "3.1" for processor 1.
        public var entity: String?
        public var conversion: LinearConversion?
        public var thresholds: SensorThresholds?
        public var nominal: Double?
        public var drift: Double?
        public var period: Double?
        public var spread: Double?
        /// Asserted state offsets of a discrete sensor.
        public var states: [Int]?
        /// The IPMB slave address of the controller that owns the sensor (SDR bytes 6–7); default 20h, the BMC. The
        /// simulated BMC reads only its own sensors; behind it, the satellite at 30h answers nothing but Get Device
        /// ID, and a controller at 32h takes Send Message and never answers (a hung satellite).
        public var owner: Int?

        enum CodingKeys: String, CodingKey {
            case name, number, type
            case eventType = "event_type"
            case unit, record, entity, conversion, thresholds, nominal, drift, period, spread, states, owner
        }
    }

    public struct SELEvent: Sendable, Codable, Hashable {
        /// Name of the sensor the event is about.
        public var sensor: String
        /// Event offset (threshold: 0x00-0x0B; discrete: the state offset).
        public var offset: Int
        public var deassertion: Bool?
        /// Seconds before the BMC's boot time.
        public var age: Int?
    }

    public var device: Device?
    public var users: [User]?
    public var cipherSuites: [Int]?
    public var sessionSlots: Int?
    /// Idle timeout of a session in seconds.
    public var sessionTimeout: Double?
    /// The sensor whose value DCMI Get Power Reading reports.
    public var dcmiPowerSensor: String?
    public var sensors: [Sensor]
    public var sel: [SELEvent]?

    enum CodingKeys: String, CodingKey {
        case device, users
        case cipherSuites = "cipher_suites"
        case sessionSlots = "session_slots"
        case sessionTimeout = "session_timeout"
        case dcmiPowerSensor = "dcmi_power_sensor"
        case sensors, sel
    }

    /// The most SEL entries ``addSELEntries(_:)`` adds: what a SEL of 65,535 bytes (Get SEL Info's free space is a
    /// 16-bit count, IPMI v2.0 §31.2) holds, 16 bytes each.
    public static let maximumSELEntries = 4095

    /// Appends `count` SEL events, one per sensor in turn, each offset 0 asserted (a threshold sensor's lower
    /// non-critical going low, a discrete sensor's first state), a second apart and the newest at boot time: a full
    /// SEL for benchmarks (`simulate --sel-entries`).
    public mutating func addSELEntries(_ count: Int) {
        guard count > 0, !sensors.isEmpty else { return }
        let events = (0..<count).map { index in
            SELEvent(sensor: sensors[index % sensors.count].name, offset: 0, deassertion: nil, age: count - 1 - index)
        }
        sel = (sel ?? []) + events
    }

    /// Parses YAML text.
    public static func parse(yaml: String) throws -> SimulatorConfiguration {
        try YAMLDecoder().decode(SimulatorConfiguration.self, from: yaml)
    }

    /// The YAML text of the built-in server, a starting point for own files.
    public static var defaultServerYAML: String { DefaultServer.yaml }

    /// The built-in server: 49 sensors of a two-socket rack server, one warning and two critical.
    public static var defaultServer: SimulatorConfiguration {
        // The built-in YAML is part of the program and tested; failing to parse it is a programming error.
        try! parse(yaml: DefaultServer.yaml)
    }
}

/// Why a configuration cannot be used.
public struct SimulatorConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
