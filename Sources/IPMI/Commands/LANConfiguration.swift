/// Get LAN Configuration Parameters (IPMI v2.0 §23.2, table 23-3): byte 1 bit 7 asks for the parameter revision
/// only, bits 3:0 the channel; then the parameter selector, the set selector and the block selector.
public struct GetLANConfigurationParametersRequest: IPMICommandRequest {
    public typealias Response = GetLANConfigurationParametersResponse
    public static let netFn = NetFn.transport
    public static let command: UInt8 = 0x02

    public var revisionOnly: Bool
    public var channel: UInt8
    public var parameter: LANConfigurationParameter
    public var setSelector: UInt8
    public var blockSelector: UInt8

    public init(
        channel: UInt8, parameter: LANConfigurationParameter, revisionOnly: Bool = false, setSelector: UInt8 = 0,
        blockSelector: UInt8 = 0
    ) {
        self.revisionOnly = revisionOnly
        self.channel = channel
        self.parameter = parameter
        self.setSelector = setSelector
        self.blockSelector = blockSelector
    }

    public init(decoding data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get LAN Configuration Parameters request")
        let first = try reader.readByte()
        revisionOnly = first & 0x80 != 0
        channel = first & 0x0F
        parameter = LANConfigurationParameter(rawValue: try reader.readByte())
        setSelector = try reader.readByte()
        blockSelector = try reader.readByte()
    }

    public func encode() -> [UInt8] {
        [(revisionOnly ? 0x80 : 0x00) | channel & 0x0F, parameter.rawValue, setSelector, blockSelector]
    }
}

/// A LAN configuration parameter selector (table 23-4); the ones an exporter or LAN collector reads are named.
public struct LANConfigurationParameter: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let setInProgress = Self(rawValue: 0)
    public static let ipAddress = Self(rawValue: 3)
    public static let ipAddressSource = Self(rawValue: 4)
    public static let macAddress = Self(rawValue: 5)
    public static let subnetMask = Self(rawValue: 6)
    public static let defaultGatewayAddress = Self(rawValue: 12)
    public static let vlanID = Self(rawValue: 20)
}

/// The answer to Get LAN Configuration Parameters: the parameter revision, then the parameter data. The typed
/// readers below check the length of the parameter they read.
public typealias GetLANConfigurationParametersResponse = ParameterResponse

extension ParameterResponse {
    /// Parameters 3 (IP address), 6 (subnet mask) and 12 (default gateway): four bytes, network order.
    public func ipv4Address() throws(IPMIError) -> IPv4Address {
        var reader = ByteReader(parameterData, what: "LAN IPv4 address parameter")
        return IPv4Address(bytes: try reader.readBytes(4))
    }

    /// Parameter 4.
    public func ipAddressSource() throws(IPMIError) -> IPAddressSource {
        var reader = ByteReader(parameterData, what: "LAN IP address source parameter")
        return IPAddressSource(rawValue: try reader.readByte() & 0x0F)
    }

    /// Parameter 5: six bytes, as on the wire.
    public func macAddress() throws(IPMIError) -> MACAddress {
        var reader = ByteReader(parameterData, what: "LAN MAC address parameter")
        return MACAddress(bytes: try reader.readBytes(6))
    }

    /// Parameter 20: the VLAN ID in bits 11:0, bit 15 set when VLAN is enabled.
    public func vlanID() throws(IPMIError) -> VLANID {
        var reader = ByteReader(parameterData, what: "LAN VLAN ID parameter")
        let value = try reader.readUInt16LE()
        return VLANID(id: value & 0x0FFF, enabled: value & 0x8000 != 0)
    }
}

/// An IPv4 address as LAN parameters carry it: four bytes, most significant first.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String { bytes.map { String($0) }.joined(separator: ".") }
}

/// A MAC address, six bytes in transmission order.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Lower-case hex pairs separated by colons, as ipmitool prints it.
    public var description: String { bytes.map { hex2($0) }.joined(separator: ":") }
}

/// LAN parameter 4, bits 3:0.
public struct IPAddressSource: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let unspecified = Self(rawValue: 0)
    public static let staticAddress = Self(rawValue: 1)
    public static let dhcp = Self(rawValue: 2)
    public static let bios = Self(rawValue: 3)
    public static let other = Self(rawValue: 4)

    /// The names ipmitool's `lan print` uses.
    public var description: String {
        switch self {
        case .unspecified: "Unspecified"
        case .staticAddress: "Static Address"
        case .dhcp: "DHCP Address"
        case .bios: "BIOS Assigned Address"
        case .other: "Other"
        default: "Reserved (\(rawValue))"
        }
    }
}

/// LAN parameter 20.
public struct VLANID: Hashable, Sendable {
    public var id: UInt16
    public var enabled: Bool

    public init(id: UInt16, enabled: Bool) {
        self.id = id
        self.enabled = enabled
    }

    public var parameterData: [UInt8] {
        let value = id & 0x0FFF | (enabled ? 0x8000 : 0)
        return [UInt8(value & 0xFF), UInt8(value >> 8)]
    }
}
