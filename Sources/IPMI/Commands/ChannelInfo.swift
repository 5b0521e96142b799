/// Get Channel Info (IPMI v2.0 §22.24, table 22-28): the channel number in bits 3:0 (0Eh: the channel the request
/// came in on).
public struct GetChannelInfoRequest: IPMICommandRequest {
    public typealias Response = GetChannelInfoResponse
    public static let netFn = NetFn.app
    public static let command: UInt8 = 0x42

    public var channel: UInt8

    public init(channel: UInt8) {
        self.channel = channel
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Channel Info request")
        channel = try reader.readByte() & 0x0F
    }

    public func encode() -> [UInt8] { [channel & 0x0F] }
}

/// The answer: the channel number (bits 3:0), its medium type (bits 6:0, table 6-3) and protocol type (bits 4:0,
/// table 6-2), then session support, vendor ID and auxiliary info, kept as they came.
public struct GetChannelInfoResponse: IPMICommandResponse {
    public var channel: UInt8
    public var mediumType: UInt8
    public var protocolType: UInt8
    public var rest: [UInt8]

    /// Medium type 04h: 802.3 LAN, the channels that have LAN configuration parameters (§23).
    public static let lanMedium: UInt8 = 0x04

    public init(channel: UInt8, mediumType: UInt8, protocolType: UInt8, rest: [UInt8] = []) {
        self.channel = channel
        self.mediumType = mediumType
        self.protocolType = protocolType
        self.rest = rest
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Channel Info response")
        channel = try reader.readByte() & 0x0F
        mediumType = try reader.readByte() & 0x7F
        protocolType = try reader.readByte() & 0x1F
        rest = reader.readRest()
    }

    public func encode() -> [UInt8] { [channel & 0x0F, mediumType & 0x7F, protocolType & 0x1F] + rest }

    public var isLAN: Bool { mediumType == Self.lanMedium }
}
