import IPMI

/// Command codes used by this target (IPMI v2.0 appendix G).
enum SensorCommand {
    /// Storage: Get SDR Repository Info (§33.9).
    static let getSDRRepositoryInfo: UInt8 = 0x20
    /// Storage: Reserve SDR Repository (§33.11).
    static let reserveSDRRepository: UInt8 = 0x22
    /// Storage: Get SDR (§33.12).
    static let getSDR: UInt8 = 0x23
    /// Sensor/Event: Get Device SDR Info (§35.2).
    static let getDeviceSDRInfo: UInt8 = 0x20
    /// Sensor/Event: Get Device SDR (§35.3).
    static let getDeviceSDR: UInt8 = 0x21
    /// Sensor/Event: Reserve Device SDR Repository (§35.4).
    static let reserveDeviceSDRRepository: UInt8 = 0x22
    /// Sensor/Event: Get Sensor Reading (§35.14).
    static let getSensorReading: UInt8 = 0x2D
}

/// The response to Get Sensor Reading (IPMI v2.0 §35.14).
public struct SensorReadingResponse: Sendable, Hashable {
    /// Byte 1: the raw reading (meaningful for analog sensors only).
    public var raw: UInt8
    /// Byte 2 bit 7: 0b means all event messages from this sensor are disabled.
    public var eventMessagesEnabled: Bool
    /// Byte 2 bit 6: 0b means sensor scanning is disabled.
    public var scanningEnabled: Bool
    /// Byte 2 bit 5 set: "reading/state unavailable" (e.g. the sensor is still initialising).
    public var readingUnavailable: Bool
    /// Bytes 3 and 4: threshold comparison status, or discrete states 0–14 (bit n is offset n). Missing optional
    /// bytes read as zero, as FreeIPMI does.
    public var stateMask: UInt16

    public init(
        raw: UInt8, eventMessagesEnabled: Bool = true, scanningEnabled: Bool = true, readingUnavailable: Bool = false,
        stateMask: UInt16 = 0
    ) {
        self.raw = raw
        self.eventMessagesEnabled = eventMessagesEnabled
        self.scanningEnabled = scanningEnabled
        self.readingUnavailable = readingUnavailable
        self.stateMask = stateMask
    }

    /// Decodes the response data after the completion code. At least two bytes are required.
    public init(data: [UInt8]) throws(SDRDecodingError) {
        try requireLength(data, atLeast: 2, of: "Get Sensor Reading")
        raw = data[0]
        eventMessagesEnabled = data[1] & 0x80 != 0
        scanningEnabled = data[1] & 0x40 != 0
        readingUnavailable = data[1] & 0x20 != 0
        let low = data.count > 2 ? UInt16(data[2]) : 0
        let high = data.count > 3 ? UInt16(data[3] & 0x7F) : 0
        stateMask = low | high << 8
    }

    /// Whether the reading and states can be used: scanning enabled and the reading available.
    public var isUsable: Bool { scanningEnabled && !readingUnavailable }
}

/// The response to Get SDR Repository Info (IPMI v2.0 §33.9).
public struct SDRRepositoryInfo: Sendable, Hashable {
    /// SDR version, 51h.
    public var version: UInt8
    public var recordCount: Int
    /// Free space in bytes; FFFFh means unspecified.
    public var freeSpace: Int
    /// Seconds since 1970 of the most recent addition; with ``eraseTimestamp`` the cache key for the repository.
    public var additionTimestamp: UInt32
    /// Seconds since 1970 of the most recent erase.
    public var eraseTimestamp: UInt32
    /// Operation support bits (bit 1: Reserve SDR Repository supported, bit 7: overflow, ...).
    public var operationSupport: UInt8

    /// The info of device SDRs (``DeviceSDRInfo/repositoryInfo``): version 51h, free space unspecified, the change
    /// indicator as addition timestamp, no erase timestamp, Reserve supported (the reader copes with C1h to it).
    init(deviceSDRCount: Int, changeIndicator: UInt32) {
        version = 0x51
        recordCount = deviceSDRCount
        freeSpace = 0xFFFF
        additionTimestamp = changeIndicator
        eraseTimestamp = 0
        operationSupport = 0x02
    }

    public init(data: [UInt8]) throws(SDRDecodingError) {
        try requireLength(data, atLeast: 14, of: "Get SDR Repository Info")
        version = data[0]
        recordCount = Int(data[1]) | Int(data[2]) << 8
        freeSpace = Int(data[3]) | Int(data[4]) << 8
        additionTimestamp = littleEndian32(data[5...8])
        eraseTimestamp = littleEndian32(data[9...12])
        operationSupport = data[13]
    }

    /// Bit 1 of the operation support byte: the repository supports Reserve SDR Repository.
    public var supportsReserve: Bool { operationSupport & 0x02 != 0 }
}

/// The response to Get Device SDR Info (IPMI v2.0 §35.2), for a controller that keeps its SDRs itself instead of in
/// an SDR repository (a satellite controller, or a BMC without a repository).
public struct DeviceSDRInfo: Sendable, Hashable {
    /// Byte 1: the SDR count when the request asked for it (request byte 1 bit 0 set), else the sensor count of
    /// the LUN the request went to.
    public var count: Int
    /// Byte 2 bit 7: the sensor population can change at run time; ``populationChangeIndicator`` then tells when.
    public var isDynamic: Bool
    /// Byte 2 bits 3:0: LUNs 0–3 that have sensors (bit n is LUN n).
    public var lunsWithSensors: UInt8
    /// Bytes 3–6 (dynamic population only): a timestamp or counter that changes whenever the population does.
    public var populationChangeIndicator: UInt32?

    /// Request byte 1 bit 0 set: "get SDR count" rather than the sensor count of the LUN (§35.2).
    public static let sdrCountRequest: [UInt8] = [0x01]

    /// An answer to send (a simulated controller's); the population is dynamic exactly when a change indicator is
    /// given, as only a dynamic one carries it (§35.2).
    public init(count: Int, populationChangeIndicator: UInt32? = nil, lunsWithSensors: UInt8 = 0x01) {
        self.count = count
        isDynamic = populationChangeIndicator != nil
        self.populationChangeIndicator = populationChangeIndicator
        self.lunsWithSensors = lunsWithSensors
    }

    /// Decodes the response data after the completion code. The change indicator is read when present (a static
    /// controller may omit it, and some send it anyway).
    public init(data: [UInt8]) throws(SDRDecodingError) {
        try requireLength(data, atLeast: 2, of: "Get Device SDR Info")
        count = Int(data[0])
        isDynamic = data[1] & 0x80 != 0
        lunsWithSensors = data[1] & 0x0F
        populationChangeIndicator = data.count >= 6 ? littleEndian32(data[2...5]) : nil
    }

    public func encode() -> [UInt8] {
        var bytes = [UInt8(clamping: count), (isDynamic ? 0x80 : 0) | lunsWithSensors & 0x0F]
        if let indicator = populationChangeIndicator {
            bytes += (0..<4).map { UInt8(truncatingIfNeeded: indicator >> (8 * $0)) }
        }
        return bytes
    }

    /// The same facts in the shape of an SDR repository's: record count, and the change indicator in place of
    /// the addition timestamp, so a cached copy is checked the same way. Reserve Device SDR Repository is
    /// optional (§35.4) like Reserve SDR Repository; the reader copes with C1h to either.
    public var repositoryInfo: SDRRepositoryInfo {
        SDRRepositoryInfo(deviceSDRCount: count, changeIndicator: populationChangeIndicator ?? 0)
    }
}

/// Throws for a response shorter than the fixed part its decoder reads.
func requireLength(_ data: [UInt8], atLeast count: Int, of response: String) throws(SDRDecodingError) {
    guard data.count >= count else {
        throw SDRDecodingError(recordID: nil, reason: "\(response) response of \(data.count) bytes")
    }
}

func littleEndian32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
}
