/// Get System Info Parameters (IPMI v2.0 §22.14a, table 22-16a): byte 1 bit 7 asks for the parameter revision
/// only, then the parameter selector, the set selector and the block selector.
public struct GetSystemInfoParametersRequest: IPMICommandRequest {
    public typealias Response = GetSystemInfoParametersResponse
    public static let netFn = NetFn.app
    public static let command: UInt8 = 0x59

    /// Parameter 1: system firmware version (a string parameter).
    public static let systemFirmwareVersion: UInt8 = 1
    /// Parameter 6: a URL for the BMC (a string parameter on many BMCs, beyond the spec's table).
    public static let bmcURL: UInt8 = 6

    public var revisionOnly: Bool
    public var parameter: UInt8
    public var setSelector: UInt8
    public var blockSelector: UInt8

    public init(revisionOnly: Bool = false, parameter: UInt8, setSelector: UInt8 = 0, blockSelector: UInt8 = 0) {
        self.revisionOnly = revisionOnly
        self.parameter = parameter
        self.setSelector = setSelector
        self.blockSelector = blockSelector
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get System Info Parameters request")
        revisionOnly = try reader.readByte() & 0x80 != 0
        parameter = try reader.readByte() & 0x7F
        setSelector = try reader.readByte()
        blockSelector = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        [revisionOnly ? 0x80 : 0x00, parameter & 0x7F, setSelector, blockSelector]
    }
}

/// The answer to Get System Info Parameters: the parameter revision, then the parameter data.
public typealias GetSystemInfoParametersResponse = ParameterResponse

extension ParameterResponse {
    /// The parameter data of a string parameter (1-4, table 22-16a): the set selector, then a 16-byte block.
    public func stringBlock() throws(IPMIError) -> SystemInfoStringBlock {
        var reader = ByteReader(parameterData, what: "System Info string parameter")
        let set = try reader.readByte()
        return SystemInfoStringBlock(setSelector: set, bytes: reader.readRest())
    }
}

/// One block of a string parameter. Set 0 starts with the encoding (bits 3:0: 0 ASCII/Latin-1, 1 UTF-8,
/// 2 UTF-16) and the string's total length, then the first 14 bytes; each further set carries 16 more.
public struct SystemInfoStringBlock: Hashable, Sendable {
    public static let bytesPerBlock = 16

    public var setSelector: UInt8
    public var bytes: [UInt8]

    public init(setSelector: UInt8, bytes: [UInt8]) {
        self.setSelector = setSelector
        self.bytes = bytes
    }

    /// The parameter data of this block, padded with zeros to a full block as BMCs answer.
    public var parameterData: [UInt8] {
        [setSelector] + bytes + [UInt8](repeating: 0, count: max(0, Self.bytesPerBlock - bytes.count))
    }

    /// The header of set 0: the encoding, the announced total length and the first text bytes.
    public func firstBlockHeader() throws(IPMIError) -> (encoding: UInt8, length: Int, text: [UInt8]) {
        var reader = ByteReader(bytes, what: "System Info string set 0")
        let encoding = try reader.readByte() & 0x0F
        let length = Int(try reader.readByte())
        return (encoding, length, reader.readRest())
    }

    /// Sets 0-15 hold 14 + 15 × 16 bytes; readers (the exporter, FreeIPMI) ask for no more sets than that.
    public static let maximumLength = 14 + 15 * bytesPerBlock

    /// The blocks of `text` as a BMC stores them: set 0 with encoding 0 and the length, then 16 bytes a set.
    /// The text is cut at ``maximumLength``.
    public static func blocks(of text: [UInt8]) -> [SystemInfoStringBlock] {
        let text = Array(text.prefix(maximumLength))
        var blocks = [SystemInfoStringBlock(setSelector: 0, bytes: [0x00, UInt8(text.count)] + text.prefix(14))]
        var start = 14
        while start < text.count {
            let set = UInt8(blocks.count)
            blocks.append(
                SystemInfoStringBlock(setSelector: set, bytes: Array(text[start..<min(text.count, start + 16)])))
            start += 16
        }
        return blocks
    }

    /// ASCII/UTF-8 text without NULs; UTF-16 (encoding 2) is not seen in practice and is read as ASCII.
    public static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
    }
}
