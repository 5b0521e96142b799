/// Command numbers of the App network function used to set up and tear down sessions
/// (IPMI v2.0 appendix G).
public enum AppCommand {
    public static let getDeviceID: UInt8 = 0x01
    public static let sendMessage: UInt8 = 0x34
    public static let getChannelAuthenticationCapabilities: UInt8 = 0x38
    public static let setSessionPrivilegeLevel: UInt8 = 0x3B
    public static let closeSession: UInt8 = 0x3C
    public static let getChannelCipherSuites: UInt8 = 0x54
}

/// The channel number meaning "the channel this request arrived on" (IPMI v2.0 section 6.3).
public let currentChannel: UInt8 = 0x0E

/// Get Channel Authentication Capabilities (IPMI v2.0 section 22.13). Bit 7 of the channel byte asks for
/// the IPMI v2.0 extended data.
public struct GetChannelAuthenticationCapabilitiesRequest: Hashable, Sendable {
    public var channel: UInt8
    public var privilege: PrivilegeLevel
    public var requestExtended: Bool

    public init(channel: UInt8 = currentChannel, privilege: PrivilegeLevel, requestExtended: Bool = true) {
        self.channel = channel
        self.privilege = privilege
        self.requestExtended = requestExtended
    }

    public var data: [UInt8] { [(requestExtended ? 0x80 : 0x00) | channel & 0x0F, privilege.rawValue] }
}

/// Response data (after the completion code) of Get Channel Authentication Capabilities, table 22-15.
public struct GetChannelAuthenticationCapabilitiesResponse: Hashable, Sendable {
    public var channel: UInt8
    /// Byte 2: supported IPMI v1.5 authentication types; bit 7 set when extended capabilities follow.
    public var authenticationTypes: UInt8
    /// Byte 3: per-message authentication, user-level authentication, non-null / null / anonymous logins.
    public var loginStatus: UInt8
    /// Byte 4: bit 1 = IPMI v2.0 (RMCP+) connections supported, bit 0 = IPMI v1.5.
    public var extendedCapabilities: UInt8
    public var oemID: [UInt8]
    public var oemAuxiliary: UInt8

    public init(
        channel: UInt8, authenticationTypes: UInt8, loginStatus: UInt8, extendedCapabilities: UInt8,
        oemID: [UInt8] = [0, 0, 0], oemAuxiliary: UInt8 = 0
    ) {
        self.channel = channel
        self.authenticationTypes = authenticationTypes
        self.loginStatus = loginStatus
        self.extendedCapabilities = extendedCapabilities
        self.oemID = oemID
        self.oemAuxiliary = oemAuxiliary
    }

    /// False only when the BMC says explicitly that it has extended data and RMCP+ is not among it.
    public var supportsIPMIv2: Bool {
        authenticationTypes & 0x80 == 0 || extendedCapabilities & 0x02 != 0
    }

    public var encoded: [UInt8] {
        [channel, authenticationTypes, loginStatus, extendedCapabilities] + oemID + [oemAuxiliary]
    }

    public init(data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Channel Authentication Capabilities response")
        channel = try reader.readByte()
        authenticationTypes = try reader.readByte()
        loginStatus = try reader.readByte()
        extendedCapabilities = try reader.readByte()
        oemID = try reader.readBytes(3)
        oemAuxiliary = try reader.readByte()
    }
}

/// Get Channel Cipher Suites (IPMI v2.0 section 22.15): channel, payload type, list index. Bit 7 of the
/// index selects "list algorithms by cipher suite"; each answer carries up to 16 bytes of records, and a
/// shorter answer ends the list.
public struct GetChannelCipherSuitesRequest: Hashable, Sendable {
    public static let recordBytesPerPage = 16

    public var channel: UInt8
    public var payloadType: PayloadType
    public var listIndex: UInt8

    public init(channel: UInt8 = currentChannel, payloadType: PayloadType = .ipmi, listIndex: UInt8) {
        self.channel = channel
        self.payloadType = payloadType
        self.listIndex = listIndex
    }

    public var data: [UInt8] { [channel & 0x0F, payloadType.rawValue, 0x80 | listIndex & 0x3F] }

    /// Splits a response's data into the channel number and this page's record bytes.
    public static func records(inResponse data: [UInt8]) throws(IPMIError) -> [UInt8] {
        guard !data.isEmpty else { throw .malformed("empty Get Channel Cipher Suites response") }
        return Array(data.dropFirst())
    }
}

/// Set Session Privilege Level (IPMI v2.0 section 22.18): the request data is the level, the response
/// data the level now in effect.
public enum SetSessionPrivilegeLevel {
    public static func data(_ privilege: PrivilegeLevel) -> [UInt8] { [privilege.rawValue] }
}

/// Close Session (IPMI v2.0 section 22.19): the request data is the BMC's session ID, little-endian.
public enum CloseSession {
    public static func data(managedSessionID: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.write(littleEndian: managedSessionID)
        return writer.bytes
    }
}
