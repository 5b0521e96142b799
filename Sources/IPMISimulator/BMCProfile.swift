import IPMI

/// The immutable model all BMCs of a fleet share: users, cipher suites, device identity, sensors and their
/// encoded SDRs. Built once from a ``SimulatorConfiguration``; per-BMC state stays small because of it.
public final class BMCProfile: Sendable {
    public let users: [SimulatedUser]
    public let cipherSuites: [CipherSuite]
    public let sessionSlots: Int
    public let sessionTimeout: Double
    public let deviceID: UInt8
    public let manufacturerID: UInt32
    public let productID: UInt16
    public let firmwareMajor: UInt8
    /// Two decimal digits, sent as BCD.
    public let firmwareMinor: UInt8
    public let systemFirmwareVersion: String
    public let sensors: [SimulatedSensor]
    /// SDR record bytes, record ID = index + 1.
    let sdrRecords: [[UInt8]]
    /// Sensor index by sensor number (-1: none).
    let sensorIndexByNumber: [Int16]
    let selEvents: [(sensorIndex: Int, offset: UInt8, deassertion: Bool, age: UInt32)]
    let dcmiPowerSensorIndex: Int?

    public init(_ configuration: SimulatorConfiguration) throws {
        let device = configuration.device
        deviceID = UInt8(clamping: device?.deviceID ?? 0x20)
        manufacturerID = UInt32(clamping: device?.manufacturerID ?? 0) & 0x0F_FFFF
        productID = UInt16(clamping: device?.productID ?? 0x5349)
        let firmware = (device?.firmware ?? "1.00").split(separator: ".")
        firmwareMajor = UInt8(clamping: Int(firmware.first ?? "1") ?? 1) & 0x7F
        firmwareMinor = UInt8(clamping: min(99, Int(firmware.dropFirst().first ?? "0") ?? 0))
        systemFirmwareVersion = device?.systemFirmware ?? "SIM-BIOS 1.0"

        var users: [SimulatedUser] = []
        for user in configuration.users ?? [] {
            guard let privilege = PrivilegeLevel(name: user.privilege) else {
                throw SimulatorConfigurationError("user \(user.name): unknown privilege \"\(user.privilege)\"")
            }
            guard user.name.utf8.count <= 16, user.password.utf8.count <= 20 else {
                throw SimulatorConfigurationError("user \(user.name): name over 16 or password over 20 bytes")
            }
            users.append(SimulatedUser(name: user.name, password: user.password, maximumPrivilege: privilege))
        }
        self.users = users.isEmpty ? [.defaultAdministrator] : users

        var suites: [CipherSuite] = []
        for id in configuration.cipherSuites ?? [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17] {
            guard let suite = CipherSuite(id: UInt8(clamping: id)), id >= 0, id <= 255 else {
                throw SimulatorConfigurationError("cipher suite \(id) is not supported")
            }
            suites.append(suite)
        }
        cipherSuites = suites
        sessionSlots = max(1, configuration.sessionSlots ?? 32)
        sessionTimeout = configuration.sessionTimeout ?? 60

        var sensors: [SimulatedSensor] = []
        var used = Set<UInt8>()
        var nextNumber = 1
        for entry in configuration.sensors {
            let number: UInt8
            if let explicit = entry.number {
                guard (0...254).contains(explicit) else {
                    throw SimulatorConfigurationError("sensor \(entry.name): number \(explicit) out of range")
                }
                number = UInt8(explicit)
            } else {
                while used.contains(UInt8(clamping: nextNumber)) { nextNumber += 1 }
                guard nextNumber <= 254 else { throw SimulatorConfigurationError("more than 254 sensors") }
                number = UInt8(nextNumber)
            }
            guard used.insert(number).inserted else {
                throw SimulatorConfigurationError("sensor \(entry.name): number \(number) used twice")
            }
            sensors.append(try SensorResolver.resolve(entry, number: number))
        }
        self.sensors = sensors
        sdrRecords = sensors.enumerated().map { SDREncoder.record(for: $1, recordID: UInt16($0 + 1)) }
        var byNumber = [Int16](repeating: -1, count: 256)
        // Get Sensor Reading and Get Sensor Thresholds to the BMC find only its own sensors.
        for (index, sensor) in sensors.enumerated() where sensor.owner == SDREncoder.bmcOwnerID {
            byNumber[Int(sensor.number)] = Int16(index)
        }
        sensorIndexByNumber = byNumber

        var events: [(Int, UInt8, Bool, UInt32)] = []
        for event in configuration.sel ?? [] {
            guard let index = sensors.firstIndex(where: { $0.name == event.sensor }) else {
                throw SimulatorConfigurationError("SEL event names unknown sensor \(event.sensor)")
            }
            events.append(
                (
                    index, UInt8(clamping: event.offset) & 0x0F, event.deassertion ?? false,
                    UInt32(clamping: event.age ?? 0)
                ))
        }
        selEvents = events.map { (sensorIndex: $0.0, offset: $0.1, deassertion: $0.2, age: $0.3) }
        if let name = configuration.dcmiPowerSensor {
            guard let index = sensors.firstIndex(where: { $0.name == name }) else {
                throw SimulatorConfigurationError("dcmi_power_sensor names unknown sensor \(name)")
            }
            dcmiPowerSensorIndex = index
        } else {
            dcmiPowerSensorIndex = nil
        }
    }

    func sensor(number: UInt8) -> SimulatedSensor? {
        let index = sensorIndexByNumber[Int(number)]
        return index < 0 ? nil : sensors[Int(index)]
    }

    func user(named name: [UInt8]) -> SimulatedUser? {
        users.first { Array($0.name.utf8) == name }
    }

    /// The built-in default server.
    public static let defaultServer: BMCProfile = {
        // Parsed from a constant and covered by tests.
        try! BMCProfile(.defaultServer)
    }()
}

/// Turns a configured sensor into a ``SimulatedSensor`` with defaults per sensor type.
enum SensorResolver {
    /// Sensor type codes (IPMI v2.0 table 42-3).
    static let types: [String: UInt8] = [
        "temperature": 0x01, "voltage": 0x02, "current": 0x03, "fan": 0x04, "physical_security": 0x05,
        "processor": 0x07, "power_supply": 0x08, "power_unit": 0x09, "power": 0x0B, "memory": 0x0C,
        "drive_slot": 0x0D, "entity_presence": 0x25,
    ]

    /// Units (IPMI v2.0 table 43-15) as (units 1 flags, base unit).
    static let units: [String: (UInt8, UInt8)] = [
        "degrees_c": (0, 1), "volts": (0, 4), "amps": (0, 5), "watts": (0, 6), "rpm": (0, 18), "percent": (1, 0),
    ]

    static func resolve(_ entry: SimulatorConfiguration.Sensor, number: UInt8) throws -> SimulatedSensor {
        let sensorType: UInt8
        if let known = types[entry.type.lowercased()] {
            sensorType = known
        } else if let code = Int(entry.type), (0...255).contains(code) {
            sensorType = UInt8(code)
        } else {
            throw SimulatorConfigurationError("sensor \(entry.name): unknown type \"\(entry.type)\"")
        }
        let analog = [0x01, 0x02, 0x03, 0x04, 0x0B].contains(sensorType)
        let eventType = UInt8(clamping: entry.eventType ?? (analog ? 0x01 : 0x6F))
        let isThreshold = eventType == 0x01
        let defaultUnit: String? =
            switch sensorType {
            case 0x01: "degrees_c"
            case 0x02: "volts"
            case 0x03: "amps"
            case 0x04: "rpm"
            case 0x0B: "watts"
            default: nil
            }
        var unitsFlags: UInt8 = 0
        var baseUnit: UInt8 = 0
        if isThreshold, let unitName = entry.unit ?? defaultUnit {
            guard let unit = units[unitName.lowercased()] else {
                throw SimulatorConfigurationError("sensor \(entry.name): unknown unit \"\(unitName)\"")
            }
            (unitsFlags, baseUnit) = unit
        }
        var entityID: UInt8 = 7
        var entityInstance: UInt8 = 1
        if let entity = entry.entity {
            let parts = entity.split(separator: ".").compactMap { Int($0) }
            guard parts.count == 2 else {
                throw SimulatorConfigurationError("sensor \(entry.name): entity must look like \"3.1\"")
            }
            entityID = UInt8(clamping: parts[0])
            entityInstance = UInt8(clamping: parts[1])
        }
        guard entry.name.utf8.count <= 16 else {
            throw SimulatorConfigurationError("sensor \(entry.name): names are at most 16 bytes")
        }
        var states: UInt16 = 0
        for offset in entry.states ?? [] {
            guard (0...14).contains(offset) else {
                throw SimulatorConfigurationError("sensor \(entry.name): state offset \(offset) out of range")
            }
            states |= 1 << UInt16(offset)
        }
        let conversion = entry.conversion ?? LinearConversion()
        guard conversion.m > 0, conversion.m < 512 else {
            throw SimulatorConfigurationError("sensor \(entry.name): M must be in 1...511")
        }
        let owner = entry.owner ?? Int(SDREncoder.bmcOwnerID)
        // An IPMB slave address: bit 0 clear (a set bit 0 is a system software ID, IPMI v2.0 §43.1 byte 6).
        guard (0x02...0xFE).contains(owner), owner & 1 == 0 else {
            throw SimulatorConfigurationError("sensor \(entry.name): owner \(owner) is not an IPMB slave address")
        }
        var sensor = SimulatedSensor(
            name: entry.name, number: number, recordKind: entry.record ?? (isThreshold ? .full : .compact),
            sensorType: sensorType, eventReadingType: eventType, entityID: entityID, entityInstance: entityInstance,
            unitsFlags: unitsFlags, baseUnit: baseUnit, modifierUnit: 0, conversion: conversion,
            thresholds: entry.thresholds ?? SensorThresholds(), nominal: entry.nominal ?? 0, drift: entry.drift ?? 0,
            period: entry.period ?? 900, spread: entry.spread ?? 0, states: states)
        sensor.owner = UInt8(owner)
        return sensor
    }
}
