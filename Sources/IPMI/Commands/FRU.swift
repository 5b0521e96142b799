/// Get FRU Inventory Area Info (IPMI v2.0 §34.1): the FRU device ID (00h is the BMC's own FRU).
public struct GetFRUInventoryAreaInfoRequest: IPMICommandRequest {
    public typealias Response = GetFRUInventoryAreaInfoResponse
    public static let netFn = NetFn.storage
    public static let command: UInt8 = 0x10

    public var fruDeviceID: UInt8

    public init(fruDeviceID: UInt8) {
        self.fruDeviceID = fruDeviceID
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get FRU Inventory Area Info request")
        fruDeviceID = try reader.readByte()
    }

    public func encode() -> [UInt8] { [fruDeviceID] }
}

/// The answer, table 34-2: the area size in bytes and whether the device is accessed by words (bit 0).
public struct GetFRUInventoryAreaInfoResponse: IPMICommandResponse {
    public var areaSize: UInt16
    public var accessedByWords: Bool

    public init(areaSize: UInt16, accessedByWords: Bool = false) {
        self.areaSize = areaSize
        self.accessedByWords = accessedByWords
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get FRU Inventory Area Info response")
        areaSize = try reader.readUInt16LE()
        accessedByWords = try reader.readByte() & 0x01 != 0
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 3)
        writer.write(littleEndian: areaSize)
        writer.write(accessedByWords ? 0x01 : 0x00)
        return writer.bytes
    }
}

/// Read FRU Data (IPMI v2.0 §34.2, table 34-3): FRU device ID, offset (bytes, or words for word access) and
/// the count to read.
public struct ReadFRUDataRequest: IPMICommandRequest {
    public typealias Response = ReadFRUDataResponse
    public static let netFn = NetFn.storage
    public static let command: UInt8 = 0x11

    public var fruDeviceID: UInt8
    public var offset: UInt16
    public var count: UInt8

    public init(fruDeviceID: UInt8, offset: UInt16, count: UInt8) {
        self.fruDeviceID = fruDeviceID
        self.offset = offset
        self.count = count
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Read FRU Data request")
        fruDeviceID = try reader.readByte()
        offset = try reader.readUInt16LE()
        count = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.write(fruDeviceID)
        writer.write(littleEndian: offset)
        writer.write(count)
        return writer.bytes
    }
}

/// The answer: the count returned, then that many bytes. A count larger than the bytes that follow is malformed.
public struct ReadFRUDataResponse: IPMICommandResponse {
    public var data: [UInt8]

    public init(data: [UInt8]) {
        self.data = data
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Read FRU Data response")
        let count = Int(try reader.readByte())
        self.data = try reader.readBytes(count)
    }

    public func encode() -> [UInt8] { [UInt8(clamping: data.count)] + data.prefix(255) }
}
