/// The five-byte header every SDR starts with (IPMI v2.0 §43, "SDR Record Header").
public struct SDRHeader: Sendable, Hashable {
    public var recordID: UInt16
    /// SDR version, 51h for IPMI v1.5/v2.0.
    public var version: UInt8
    public var recordType: UInt8
    /// Number of bytes after the header.
    public var bodyLength: Int

    public static let size = 5

    public init(recordID: UInt16, version: UInt8, recordType: UInt8, bodyLength: Int) {
        self.recordID = recordID
        self.version = version
        self.recordType = recordType
        self.bodyLength = bodyLength
    }

    /// Decodes the header from the first five bytes, or nil when fewer are given.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes.prefix(SDRHeader.size))
        guard b.count == SDRHeader.size else { return nil }
        recordID = UInt16(b[0]) | UInt16(b[1]) << 8
        version = b[2]
        recordType = b[3]
        bodyLength = Int(b[4])
    }
}

/// The sensor owner and number fields shared by full, compact and event-only records (§43.1 bytes 6–8).
public struct SensorKey: Sendable, Hashable {
    /// Byte 6: bits 7:1 the IPMB slave address or system software ID, bit 0 set for a software ID.
    public var ownerID: UInt8
    /// Byte 7 bits 1:0: the sensor owner's LUN, which Get Sensor Reading must be sent to.
    public var ownerLUN: UInt8
    /// Byte 7 bits 7:4.
    public var channel: UInt8
    public var sensorNumber: UInt8

    public init(ownerID: UInt8, ownerLUN: UInt8, channel: UInt8 = 0, sensorNumber: UInt8) {
        self.ownerID = ownerID
        self.ownerLUN = ownerLUN
        self.channel = channel
        self.sensorNumber = sensorNumber
    }

    init(_ bytes: [UInt8]) {
        ownerID = bytes[5]
        ownerLUN = bytes[6] & 0x03
        channel = bytes[6] >> 4
        sensorNumber = bytes[7]
    }

    /// True when the sensor belongs to system software rather than a controller on the IPMB.
    public var isSoftwareOwned: Bool { ownerID & 0x01 != 0 }
}

/// Record sharing of compact and event-only records (§43.2 bytes 24–25, §43.3 bytes 13–14).
public struct SensorSharing: Sendable, Hashable {
    /// Number of sensors sharing the record; 0 and 1 both mean the record describes one sensor.
    public var shareCount: Int
    /// Bits 5:4 of the first byte: 00b numeric, 01b alpha.
    public var isAlphaModifier: Bool
    /// Bits 6:0 of the second byte.
    public var modifierOffset: Int
    /// Bit 7 of the second byte: the entity instance increments with the sensor number.
    public var entityInstanceIncrements: Bool

    public init(
        shareCount: Int, isAlphaModifier: Bool = false, modifierOffset: Int = 0, entityInstanceIncrements: Bool = false
    ) {
        self.shareCount = shareCount
        self.isAlphaModifier = isAlphaModifier
        self.modifierOffset = modifierOffset
        self.entityInstanceIncrements = entityInstanceIncrements
    }

    init(first: UInt8, second: UInt8) {
        shareCount = Int(first & 0x0F)
        isAlphaModifier = (first >> 4) & 0x03 == 1
        modifierOffset = Int(second & 0x7F)
        entityInstanceIncrements = second & 0x80 != 0
    }

    /// The name of the sensor at `index` (0 = the record's own sensor number) as FreeIPMI's --shared-sensors
    /// shows it: "ID N" with N = offset + index for numeric modifiers. For alpha modifiers we follow the spec
    /// (offset 0 = "A", 25 = "Z", 26 = "AA"); FreeIPMI's alpha naming deviates from the spec's example.
    public func name(base: String, index: Int) -> String {
        guard shareCount > 1 else { return base }
        let n = modifierOffset + index
        if !isAlphaModifier { return base + " " + String(n) }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if n < 26 { return base + " " + String(letters[n]) }
        return base + " " + String(letters[n / 26 - 1]) + String(letters[n % 26])
    }
}

/// Threshold values as raw bytes, present when the record marks them readable (§43.1 bytes 37–42).
public struct RawThresholds: Sendable, Hashable {
    public var lowerNonCritical: UInt8?
    public var lowerCritical: UInt8?
    public var lowerNonRecoverable: UInt8?
    public var upperNonCritical: UInt8?
    public var upperCritical: UInt8?
    public var upperNonRecoverable: UInt8?

    public init(
        lowerNonCritical: UInt8? = nil, lowerCritical: UInt8? = nil, lowerNonRecoverable: UInt8? = nil,
        upperNonCritical: UInt8? = nil, upperCritical: UInt8? = nil, upperNonRecoverable: UInt8? = nil
    ) {
        self.lowerNonCritical = lowerNonCritical
        self.lowerCritical = lowerCritical
        self.lowerNonRecoverable = lowerNonRecoverable
        self.upperNonCritical = upperNonCritical
        self.upperCritical = upperCritical
        self.upperNonRecoverable = upperNonRecoverable
    }

    /// Selects the thresholds whose bit is set in `readable` (bit 0 LNC, 1 LC, 2 LNR, 3 UNC, 4 UC, 5 UNR;
    /// the same layout in the record's readable-threshold mask and in Get Sensor Thresholds).
    init(readable: UInt8, lnc: UInt8, lc: UInt8, lnr: UInt8, unc: UInt8, uc: UInt8, unr: UInt8) {
        lowerNonCritical = readable & 0x01 != 0 ? lnc : nil
        lowerCritical = readable & 0x02 != 0 ? lc : nil
        lowerNonRecoverable = readable & 0x04 != 0 ? lnr : nil
        upperNonCritical = readable & 0x08 != 0 ? unc : nil
        upperCritical = readable & 0x10 != 0 ? uc : nil
        upperNonRecoverable = readable & 0x20 != 0 ? unr : nil
    }
}

/// Full Sensor Record, type 01h (§43.1).
public struct FullSensorRecord: Sendable, Hashable {
    public var recordID: UInt16
    public var key: SensorKey
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var sensorType: UInt8
    public var eventReadingType: UInt8
    public var units: SensorUnits
    public var conversion: SensorConversion
    /// Bytes 12 bits 3:2: threshold access support (00b none, 01b readable, 10b readable/settable, 11b fixed).
    public var thresholdAccess: UInt8
    /// Thresholds stored in the record (bytes 37–42), those the readable mask (byte 19) marks.
    public var thresholds: RawThresholds
    public var nominalReading: UInt8?
    public var name: String
}

/// Compact Sensor Record, type 02h (§43.2): no conversion factors, possibly shared by several sensor numbers.
public struct CompactSensorRecord: Sendable, Hashable {
    public var recordID: UInt16
    public var key: SensorKey
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var sensorType: UInt8
    public var eventReadingType: UInt8
    public var units: SensorUnits
    public var sharing: SensorSharing
    public var name: String
}

/// Event-Only Record, type 03h (§43.3): a sensor that only generates events and cannot be read.
public struct EventOnlyRecord: Sendable, Hashable {
    public var recordID: UInt16
    public var key: SensorKey
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var sensorType: UInt8
    public var eventReadingType: UInt8
    public var sharing: SensorSharing
    public var name: String
}

/// FRU Device Locator Record, type 11h (§43.8).
public struct FRUDeviceLocatorRecord: Sendable, Hashable {
    public var recordID: UInt16
    /// Byte 6: slave address of the controller the FRU device sits behind, in 8-bit form (bits 7:1, bit 0 clear).
    public var deviceAccessAddress: UInt8
    /// Byte 7: FRU device ID (logical devices) or slave address (physical).
    public var fruDeviceID: UInt8
    /// Byte 8 bit 7: a logical FRU device, accessed with Read FRU Data.
    public var isLogical: Bool
    /// Byte 8 bits 4:3.
    public var accessLUN: UInt8
    /// Byte 9 bits 7:4.
    public var channel: UInt8
    public var deviceType: UInt8
    public var deviceTypeModifier: UInt8
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var name: String
}

/// Management Controller Device Locator Record, type 12h (§43.9).
public struct ManagementControllerLocatorRecord: Sendable, Hashable {
    public var recordID: UInt16
    /// Byte 6: the controller's IPMB slave address in 8-bit form (bits 7:1, bit 0 clear), e.g. 20h for a BMC.
    public var slaveAddress: UInt8
    /// Byte 7 bits 3:0.
    public var channel: UInt8
    /// Byte 9: device capabilities bit field (SDR repository, SEL, FRU inventory, ... devices).
    public var capabilities: UInt8
    public var entityID: UInt8
    public var entityInstance: UInt8
    public var name: String
}

/// One decoded SDR.
public enum SDRRecord: Sendable, Hashable {
    case fullSensor(FullSensorRecord)
    case compactSensor(CompactSensorRecord)
    case eventOnly(EventOnlyRecord)
    case fruDeviceLocator(FRUDeviceLocatorRecord)
    case managementControllerLocator(ManagementControllerLocatorRecord)
    /// Intel's Node Manager discovery record (OEM, C0h), which FreeIPMI's SEL texts of Node Manager events need.
    case intelNodeManager(IntelNodeManagerRecord)
    /// A record type we do not decode (generic device locator, entity association, other OEM C0h records, ...).
    case other(recordID: UInt16, recordType: UInt8)

    public var recordID: UInt16 {
        switch self {
        case .fullSensor(let r): r.recordID
        case .compactSensor(let r): r.recordID
        case .eventOnly(let r): r.recordID
        case .fruDeviceLocator(let r): r.recordID
        case .managementControllerLocator(let r): r.recordID
        case .intelNodeManager(let r): r.recordID
        case .other(let id, _): id
        }
    }
}

/// Why a record could not be decoded.
public struct SDRDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var recordID: UInt16?
    public var reason: String

    public init(recordID: UInt16?, reason: String) {
        self.recordID = recordID
        self.reason = reason
    }

    public var description: String {
        if let recordID { return "SDR record \(recordID): \(reason)" }
        return "SDR record: \(reason)"
    }
}

extension SDRRecord {
    /// Decodes one complete record (header and body). Throws ``SDRDecodingError`` when the bytes are shorter than
    /// the header says or than the record type requires; bytes beyond the stated length are ignored.
    public static func decode(_ bytes: [UInt8]) throws(SDRDecodingError) -> SDRRecord {
        guard let header = SDRHeader(bytes: bytes) else {
            throw SDRDecodingError(recordID: nil, reason: "shorter than the 5-byte header")
        }
        let total = SDRHeader.size + header.bodyLength
        guard bytes.count >= total else {
            throw SDRDecodingError(
                recordID: header.recordID, reason: "truncated: \(bytes.count) of \(total) bytes")
        }
        let b = Array(bytes.prefix(total))
        let id = header.recordID

        // Every layout below is indexed with the spec's 1-based byte numbers minus one.
        func require(_ minimum: Int, _ what: String) throws(SDRDecodingError) {
            guard b.count >= minimum else {
                throw SDRDecodingError(recordID: id, reason: "\(what) shorter than \(minimum) bytes")
            }
        }
        func idString(at index: Int) -> String {
            // A record may end right before the ID string; treat that as an empty name.
            guard index < b.count else { return "" }
            return IDString.decode(typeLength: b[index], bytes: b[(index + 1)...])
        }

        switch header.recordType {
        case 0x01:
            // Full sensor record: fixed part is bytes 1–47, byte 48 is the ID string type/length.
            try require(47, "full sensor record")
            let thresholds = RawThresholds(
                readable: b[18], lnc: b[41], lc: b[40], lnr: b[39], unc: b[38], uc: b[37], unr: b[36])
            let record = FullSensorRecord(
                recordID: id, key: SensorKey(b), entityID: b[8], entityInstance: b[9], sensorType: b[12],
                eventReadingType: b[13], units: SensorUnits(unitsByte: b[20], base: b[21], modifier: b[22]),
                conversion: SensorConversion(record: b), thresholdAccess: (b[11] >> 2) & 0x03,
                thresholds: thresholds, nominalReading: b[30] & 0x01 != 0 ? b[31] : nil,
                name: idString(at: 47))
            return .fullSensor(record)
        case 0x02:
            // Compact sensor record: fixed part is bytes 1–31, byte 32 is the ID string type/length.
            try require(31, "compact sensor record")
            let record = CompactSensorRecord(
                recordID: id, key: SensorKey(b), entityID: b[8], entityInstance: b[9], sensorType: b[12],
                eventReadingType: b[13], units: SensorUnits(unitsByte: b[20], base: b[21], modifier: b[22]),
                sharing: SensorSharing(first: b[23], second: b[24]), name: idString(at: 31))
            return .compactSensor(record)
        case 0x03:
            // Event-only record: fixed part is bytes 1–16, byte 17 is the ID string type/length.
            try require(16, "event-only record")
            let record = EventOnlyRecord(
                recordID: id, key: SensorKey(b), entityID: b[8], entityInstance: b[9], sensorType: b[10],
                eventReadingType: b[11], sharing: SensorSharing(first: b[12], second: b[13]),
                name: idString(at: 16))
            return .eventOnly(record)
        case 0x11:
            // FRU device locator: fixed part is bytes 1–15, byte 16 is the device ID string type/length.
            try require(15, "FRU device locator record")
            let record = FRUDeviceLocatorRecord(
                recordID: id, deviceAccessAddress: b[5] & 0xFE, fruDeviceID: b[6], isLogical: b[7] & 0x80 != 0,
                accessLUN: (b[7] >> 3) & 0x03, channel: b[8] >> 4, deviceType: b[10], deviceTypeModifier: b[11],
                entityID: b[12], entityInstance: b[13], name: idString(at: 15))
            return .fruDeviceLocator(record)
        case 0x12:
            // Management controller device locator: fixed part is bytes 1–15, byte 16 is the ID string type/length.
            try require(15, "management controller locator record")
            let record = ManagementControllerLocatorRecord(
                recordID: id, slaveAddress: b[5] & 0xFE, channel: b[6] & 0x0F, capabilities: b[8],
                entityID: b[12], entityInstance: b[13], name: idString(at: 15))
            return .managementControllerLocator(record)
        case 0xC0:
            // OEM record: only Intel's Node Manager discovery record is read; the record's length must cover it.
            if let record = IntelNodeManagerRecord(record: b) { return .intelNodeManager(record) }
            return .other(recordID: id, recordType: header.recordType)
        default:
            return .other(recordID: id, recordType: header.recordType)
        }
    }
}
