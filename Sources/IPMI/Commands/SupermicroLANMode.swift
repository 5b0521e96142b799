/// Supermicro's Get LAN Interface Mode: OEM network function 30h, command 70h, sub-command 0Ch (get), 00h.
/// Not in the IPMI spec; the layout is the one ipmitool's and FreeIPMI's Supermicro OEM commands use.
public struct SupermicroGetLANModeRequest: IPMICommandRequest {
    public typealias Response = SupermicroGetLANModeResponse
    public static let netFn = NetFn(rawValue: 0x30)
    public static let command: UInt8 = 0x70

    /// Sub-command 0Ch: get the LAN interface mode.
    static let getLANMode: UInt8 = 0x0C

    public init() {}

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Supermicro Get LAN Mode request")
        guard try reader.readByte() == Self.getLANMode else {
            throw .malformed("Supermicro OEM request 70h is not Get LAN Mode (0Ch)")
        }
    }

    public func encode() -> [UInt8] { [Self.getLANMode, 0x00] }
}

/// The answer: one byte, 0 dedicated, 1 shared, 2 failover.
public struct SupermicroGetLANModeResponse: IPMICommandResponse {
    public var mode: UInt8

    public init(mode: UInt8) {
        self.mode = mode
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Supermicro Get LAN Mode response")
        mode = try reader.readByte()
    }

    public func encode() -> [UInt8] { [mode] }
}
