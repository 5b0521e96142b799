/// Get SEL Info (IPMI v2.0 §31.2): no request data.
public struct GetSELInfoRequest: IPMIEmptyRequest {
    public typealias Response = GetSELInfoResponse
    public static let netFn = NetFn.storage
    public static let command: UInt8 = 0x40

    public init() {}
}

/// The answer to Get SEL Info, table 31-2: version (51h), entries, free space in bytes, the last addition and
/// erase timestamps (FFFFFFFFh: none) and the operation support byte.
public struct GetSELInfoResponse: IPMICommandResponse {
    public static let noTimestamp: UInt32 = 0xFFFF_FFFF

    public var version: UInt8
    public var entries: UInt16
    public var freeSpaceBytes: UInt16
    public var mostRecentAddition: UInt32
    public var mostRecentErase: UInt32
    /// Bit 7 overflow, bits 3:0 delete, partial add, reserve, get allocation info supported.
    public var operationSupport: UInt8

    public init(
        version: UInt8 = 0x51, entries: UInt16, freeSpaceBytes: UInt16, mostRecentAddition: UInt32 = noTimestamp,
        mostRecentErase: UInt32 = noTimestamp, operationSupport: UInt8
    ) {
        self.version = version
        self.entries = entries
        self.freeSpaceBytes = freeSpaceBytes
        self.mostRecentAddition = mostRecentAddition
        self.mostRecentErase = mostRecentErase
        self.operationSupport = operationSupport
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get SEL Info response")
        version = try reader.readByte()
        entries = try reader.readUInt16LE()
        freeSpaceBytes = try reader.readUInt16LE()
        mostRecentAddition = try reader.readUInt32LE()
        mostRecentErase = try reader.readUInt32LE()
        operationSupport = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 14)
        writer.write(version)
        writer.write(littleEndian: entries)
        writer.write(littleEndian: freeSpaceBytes)
        writer.write(littleEndian: mostRecentAddition)
        writer.write(littleEndian: mostRecentErase)
        writer.write(operationSupport)
        return writer.bytes
    }

    public var overflow: Bool { operationSupport & 0x80 != 0 }
}

/// Get SEL Entry (IPMI v2.0 §31.5, table 31-5): reservation ID (needed only for partial reads), record ID
/// (0000h first, FFFFh last), offset into the record and bytes to read (FFh: the whole record).
public struct GetSELEntryRequest: IPMICommandRequest {
    public typealias Response = GetSELEntryResponse
    public static let netFn = NetFn.storage
    public static let command: UInt8 = 0x43

    public static let firstRecord: UInt16 = 0x0000
    public static let lastRecord: UInt16 = 0xFFFF
    public static let wholeRecord: UInt8 = 0xFF

    public var reservationID: UInt16
    public var recordID: UInt16
    public var offset: UInt8
    public var count: UInt8

    public init(reservationID: UInt16 = 0, recordID: UInt16, offset: UInt8 = 0, count: UInt8 = wholeRecord) {
        self.reservationID = reservationID
        self.recordID = recordID
        self.offset = offset
        self.count = count
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get SEL Entry request")
        reservationID = try reader.readUInt16LE()
        recordID = try reader.readUInt16LE()
        offset = try reader.readByte()
        count = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 6)
        writer.write(littleEndian: reservationID)
        writer.write(littleEndian: recordID)
        writer.write(offset)
        writer.write(count)
        return writer.bytes
    }
}

/// The answer to Get SEL Entry: the next record ID (FFFFh after the last) and the record bytes asked for.
public struct GetSELEntryResponse: IPMICommandResponse {
    /// A SEL record is 16 bytes (§32).
    public static let recordLength = 16

    public var nextRecordID: UInt16
    public var recordData: [UInt8]

    public init(nextRecordID: UInt16, recordData: [UInt8]) {
        self.nextRecordID = nextRecordID
        self.recordData = recordData
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get SEL Entry response")
        nextRecordID = try reader.readUInt16LE()
        recordData = reader.readRest()
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 2 + recordData.count)
        writer.write(littleEndian: nextRecordID)
        writer.write(recordData)
        return writer.bytes
    }

    /// The whole 16-byte record, for an answer to a whole-record read; throws when the BMC sent less.
    public func record() throws(IPMIError) -> [UInt8] {
        guard recordData.count >= Self.recordLength else {
            throw .malformed("Get SEL Entry response with \(recordData.count) record bytes")
        }
        return Array(recordData.prefix(Self.recordLength))
    }

    /// The record's own ID, bytes 1-2 of every SEL record (§32.1).
    public var recordID: UInt16? {
        recordData.count >= 2 ? UInt16(recordData[0]) | UInt16(recordData[1]) << 8 : nil
    }
}
