/// DCMI Get Power Reading (DCMI v1.5 §6.6.1, table 6-16): the DCMI group extension ID DCh, the mode (01h system
/// power statistics, 02h enhanced) and two bytes of mode attributes.
public struct DCMIGetPowerReadingRequest: IPMICommandRequest {
    public typealias Response = DCMIGetPowerReadingResponse
    public static let netFn = NetFn.groupExtension
    public static let command: UInt8 = 0x02
    /// The group extension identification that starts every DCMI request and answer (DCMI v1.5 §6.1).
    public static let groupExtensionID: UInt8 = 0xDC
    public static let systemPowerStatistics: UInt8 = 0x01

    public var mode: UInt8
    public var modeAttributes: UInt16

    public init(mode: UInt8 = systemPowerStatistics, modeAttributes: UInt16 = 0) {
        self.mode = mode
        self.modeAttributes = modeAttributes
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "DCMI Get Power Reading request")
        guard try reader.readByte() == Self.groupExtensionID else {
            throw .malformed("DCMI Get Power Reading request without group extension ID DCh")
        }
        mode = try reader.readByte()
        modeAttributes = try reader.readUInt16LE()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.write(Self.groupExtensionID)
        writer.write(mode)
        writer.write(littleEndian: modeAttributes)
        return writer.bytes
    }
}

/// The answer, table 6-16: DCh, current, minimum, maximum and average watts, the IPMI timestamp, the statistics
/// reporting period in milliseconds and the power reading state (bit 6: measurement active).
public struct DCMIGetPowerReadingResponse: IPMICommandResponse {
    public var currentWatts: UInt16
    public var minimumWatts: UInt16
    public var maximumWatts: UInt16
    public var averageWatts: UInt16
    public var timestamp: UInt32
    public var periodMilliseconds: UInt32
    public var state: UInt8

    public init(
        currentWatts: UInt16, minimumWatts: UInt16, maximumWatts: UInt16, averageWatts: UInt16, timestamp: UInt32,
        periodMilliseconds: UInt32, measurementActive: Bool
    ) {
        self.currentWatts = currentWatts
        self.minimumWatts = minimumWatts
        self.maximumWatts = maximumWatts
        self.averageWatts = averageWatts
        self.timestamp = timestamp
        self.periodMilliseconds = periodMilliseconds
        self.state = measurementActive ? 0x40 : 0x00
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "DCMI Get Power Reading response")
        guard try reader.readByte() == DCMIGetPowerReadingRequest.groupExtensionID else {
            throw .malformed("DCMI Get Power Reading response without group extension ID DCh")
        }
        currentWatts = try reader.readUInt16LE()
        minimumWatts = try reader.readUInt16LE()
        maximumWatts = try reader.readUInt16LE()
        averageWatts = try reader.readUInt16LE()
        timestamp = try reader.readUInt32LE()
        periodMilliseconds = try reader.readUInt32LE()
        state = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 18)
        writer.write(DCMIGetPowerReadingRequest.groupExtensionID)
        writer.write(littleEndian: currentWatts)
        writer.write(littleEndian: minimumWatts)
        writer.write(littleEndian: maximumWatts)
        writer.write(littleEndian: averageWatts)
        writer.write(littleEndian: timestamp)
        writer.write(littleEndian: periodMilliseconds)
        writer.write(state)
        return writer.bytes
    }

    /// Bit 6 of the state: the BMC is actually measuring (when clear, the values mean nothing).
    public var measurementActive: Bool { state & 0x40 != 0 }
}
