/// Get Device ID (IPMI v2.0 §20.1): no request data.
public struct GetDeviceIDRequest: IPMIEmptyRequest {
    public typealias Response = GetDeviceIDResponse
    public static let netFn = NetFn.app
    public static let command: UInt8 = 0x01

    public init() {}
}

/// The answer to Get Device ID, table 20-2: 11 bytes, then 4 optional bytes of auxiliary firmware revision.
public struct GetDeviceIDResponse: IPMICommandResponse {
    public var deviceID: UInt8
    /// Byte 2 bit 7: the controller provides device SDRs.
    public var providesDeviceSDRs: Bool
    /// Byte 2 bits 3:0.
    public var deviceRevision: UInt8
    /// Byte 3 bit 7 set: firmware, SDR or self-initialisation update in progress (ipmitool "Device Available: no").
    public var updateInProgress: Bool
    /// Byte 3 bits 6:0, binary.
    public var firmwareMajor: UInt8
    /// Byte 4, two BCD digits.
    public var firmwareMinor: UInt8
    /// Byte 5, BCD: low nibble major, high nibble minor (02h is IPMI 2.0).
    public var ipmiVersion: UInt8
    /// Byte 6: sensor device, SDR repository, SEL, FRU inventory, IPMB event receiver/generator, bridge, chassis
    /// (bits 0 to 7).
    public var additionalDeviceSupport: UInt8
    /// Bytes 7-9: the IANA enterprise number, 20 bits.
    public var manufacturerID: UInt32
    public var productID: UInt16
    /// Bytes 12-15 when present.
    public var auxiliaryFirmwareRevision: [UInt8]?

    public init(
        deviceID: UInt8, providesDeviceSDRs: Bool = false, deviceRevision: UInt8, updateInProgress: Bool = false,
        firmwareMajor: UInt8, firmwareMinor: UInt8, ipmiVersion: UInt8 = 0x02, additionalDeviceSupport: UInt8,
        manufacturerID: UInt32, productID: UInt16, auxiliaryFirmwareRevision: [UInt8]? = nil
    ) {
        self.deviceID = deviceID
        self.providesDeviceSDRs = providesDeviceSDRs
        self.deviceRevision = deviceRevision
        self.updateInProgress = updateInProgress
        self.firmwareMajor = firmwareMajor
        self.firmwareMinor = firmwareMinor
        self.ipmiVersion = ipmiVersion
        self.additionalDeviceSupport = additionalDeviceSupport
        self.manufacturerID = manufacturerID
        self.productID = productID
        self.auxiliaryFirmwareRevision = auxiliaryFirmwareRevision
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Device ID response")
        deviceID = try reader.readByte()
        let revision = try reader.readByte()
        providesDeviceSDRs = revision & 0x80 != 0
        deviceRevision = revision & 0x0F
        let major = try reader.readByte()
        updateInProgress = major & 0x80 != 0
        firmwareMajor = major & 0x7F
        firmwareMinor = try reader.readByte()
        ipmiVersion = try reader.readByte()
        additionalDeviceSupport = try reader.readByte()
        manufacturerID = try reader.readUInt24LE() & 0x0F_FFFF
        productID = try reader.readUInt16LE()
        auxiliaryFirmwareRevision = reader.remaining >= 4 ? try reader.readBytes(4) : nil
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 15)
        writer.write(deviceID)
        writer.write((providesDeviceSDRs ? 0x80 : 0x00) | deviceRevision & 0x0F)
        writer.write((updateInProgress ? 0x80 : 0x00) | firmwareMajor & 0x7F)
        writer.write(firmwareMinor)
        writer.write(ipmiVersion)
        writer.write(additionalDeviceSupport)
        let manufacturer = manufacturerID & 0x0F_FFFF
        writer.write([UInt8(manufacturer & 0xFF), UInt8(manufacturer >> 8 & 0xFF), UInt8(manufacturer >> 16)])
        writer.write(littleEndian: productID)
        if let auxiliaryFirmwareRevision { writer.write(auxiliaryFirmwareRevision.prefix(4)) }
        return writer.bytes
    }

    /// As ipmitool and bmc-info print it: the major revision in decimal, the minor as its two BCD digits ("9.08").
    public var firmwareRevision: String {
        "\(firmwareMajor).\(firmwareMinor >> 4)\(firmwareMinor & 0x0F)"
    }

    /// "2.0" for 02h (the low nibble is the major version).
    public var ipmiVersionString: String { "\(ipmiVersion & 0x0F).\(ipmiVersion >> 4)" }

    /// A minor revision as the BCD byte of the answer (8 → 08h, 42 → 42h); values above 99 are clamped.
    public static func bcd(_ value: UInt8) -> UInt8 {
        let clamped = min(value, 99)
        return (clamped / 10) << 4 | clamped % 10
    }
}
