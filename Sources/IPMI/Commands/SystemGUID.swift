/// Get System GUID (IPMI v2.0 §22.14): no request data.
public struct GetSystemGUIDRequest: IPMIEmptyRequest {
    public typealias Response = GetSystemGUIDResponse
    public static let netFn = NetFn.app
    public static let command: UInt8 = 0x37

    public init() {}
}

/// The answer to Get System GUID: 16 bytes, least significant byte first (§20.8 and its note on byte order).
public struct GetSystemGUIDResponse: IPMICommandResponse {
    public var guid: [UInt8]

    public init(guid: [UInt8]) {
        self.guid = guid
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get System GUID response")
        guid = try reader.readBytes(16)
    }

    public func encode() -> [UInt8] { guid }

    /// The usual 8-4-4-4-12 text, most significant byte first: the wire bytes in reverse order, as ipmitool's
    /// `mc guid` prints them.
    public var text: String {
        // Only a decoded answer is sure to hold 16 bytes; anything else is shown as plain hex.
        guard guid.count == 16 else { return guid.hexDump }
        let hex = guid.reversed().map { byte in
            let digits = String(byte, radix: 16)
            return byte < 0x10 ? "0" + digits : digits
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }
}
