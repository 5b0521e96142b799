/// User name, password and optional BMC key K_g, validated against the IPMI v2.0 limits (section 13.20:
/// user names up to 16 bytes; section 13.31: keys up to 20 bytes). The description never shows secrets.
public struct SessionCredentials: Sendable, Hashable, CustomStringConvertible {
    public let username: String
    let usernameBytes: [UInt8]
    let password: [UInt8]
    let kg: [UInt8]?

    public static let maximumUsernameLength = 16
    public static let maximumPasswordLength = 20
    public static let maximumKgLength = 20

    public init(username: String, password: [UInt8], kg: [UInt8]? = nil) throws(IPMIError) {
        let nameBytes = Array(username.utf8)
        guard nameBytes.count <= Self.maximumUsernameLength else {
            throw .invalidCredentials(
                "user name is \(nameBytes.count) bytes, IPMI allows at most \(Self.maximumUsernameLength)")
        }
        guard !nameBytes.contains(0) else { throw .invalidCredentials("user name contains a NUL byte") }
        guard password.count <= Self.maximumPasswordLength else {
            throw .invalidCredentials(
                "password is \(password.count) bytes, IPMI v2.0 allows at most \(Self.maximumPasswordLength)")
        }
        if let kg, kg.count > Self.maximumKgLength {
            throw .invalidCredentials("K_g is \(kg.count) bytes, IPMI allows at most \(Self.maximumKgLength)")
        }
        self.username = username
        self.usernameBytes = nameBytes
        self.password = password
        self.kg = kg
    }

    /// Convenience for a UTF-8 password string.
    public init(username: String, password: String, kg: [UInt8]? = nil) throws(IPMIError) {
        try self.init(username: username, password: Array(password.utf8), kg: kg)
    }

    /// K_uid: the password zero-padded to 20 bytes.
    var userKey: [UInt8] { SessionCrypto.padded(password, to: 20) }

    /// K_G for the SIK: K_g when set and not all zero (section 13.31), else K_uid.
    var generatingKey: [UInt8] {
        if let kg, kg.contains(where: { $0 != 0 }) { return SessionCrypto.padded(kg, to: 20) }
        return userKey
    }

    public var hasKg: Bool { kg?.contains(where: { $0 != 0 }) ?? false }

    public var description: String {
        "user \"\(username)\", password <redacted>" + (hasKg ? ", K_g <redacted>" : "")
    }
}

/// Everything a session needs to know before it starts.
public struct SessionConfiguration: Sendable {
    public var credentials: SessionCredentials
    /// The privilege level to request; default administrator.
    public var privilege: PrivilegeLevel
    /// nil = read the BMC's list with Get Channel Cipher Suites and pick the strongest.
    public var cipherSuite: CipherSuite?
    /// Cipher suite 0 or any suite without authentication is refused unless this is true.
    public var allowUnauthenticated: Bool
    /// When set, every request is wrapped in Send Message to this IPMB target.
    public var bridge: BridgeTarget?
    /// The remote console session ID (SIDm); chosen by the transport, unique per peer, non-zero.
    public var consoleSessionID: UInt32
    /// FreeIPMI workaround flags for BMCs that break the handshake; see ``SessionWorkarounds``.
    public var workarounds: SessionWorkarounds
    /// Set: an IPMI v1.5 session (FreeIPMI's `-D LAN`, ipmitool's `-I lan`) instead of RMCP+; ``cipherSuite`` is
    /// then not used.
    public var ipmi15: IPMI15Options?

    public init(
        credentials: SessionCredentials, privilege: PrivilegeLevel = .administrator, cipherSuite: CipherSuite? = nil,
        allowUnauthenticated: Bool = false, bridge: BridgeTarget? = nil, consoleSessionID: UInt32,
        workarounds: SessionWorkarounds = [], ipmi15: IPMI15Options? = nil
    ) {
        self.workarounds = workarounds
        self.ipmi15 = ipmi15
        self.credentials = credentials
        self.privilege = privilege
        self.cipherSuite = cipherSuite
        self.allowUnauthenticated = allowUnauthenticated
        self.bridge = bridge
        self.consoleSessionID = consoleSessionID
    }
}

/// What the handshake settled on.
public struct NegotiatedSession: Hashable, Sendable, CustomStringConvertible {
    public var cipherSuite: CipherSuite
    /// The level Set Session Privilege Level reported as in effect.
    public var privilege: PrivilegeLevel
    /// The maximum privilege field of the Open Session Response: often 0 (ipmi_sim and many BMCs answer so; FreeIPMI
    /// calls its workaround `opensesspriv`), so the level in effect comes from Set Session Privilege Level instead.
    public var reportedMaximumPrivilege: UInt8
    public var consoleSessionID: UInt32
    public var managedSessionID: UInt32
    public var managedGUID: [UInt8]
    /// The suites the BMC listed when negotiation ran; empty when the suite was configured.
    public var offeredCipherSuites: [CipherSuite]
    /// Set for an IPMI v1.5 session: its authentication type (``cipherSuite`` is then suite 0, which means
    /// nothing for it).
    public var ipmi15AuthenticationType: IPMI15AuthenticationType? = nil

    public var description: String {
        if let ipmi15AuthenticationType {
            return
                "IPMI v1.5 session with \(ipmi15AuthenticationType) authentication, privilege \(privilege), session 0x"
                + String(managedSessionID, radix: 16)
        }
        return "\(cipherSuite), privilege \(privilege), session 0x" + String(managedSessionID, radix: 16)
    }
}

/// Why an incoming datagram was ignored; the transport counts these.
public enum DropReason: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Too short, bad RMCP/session header, bad checksum, unparsable payload.
    case malformed
    /// The session ID is not ours.
    case wrongSessionID
    /// Our suite has integrity, but the packet was not authenticated.
    case unauthenticated
    /// The AuthCode does not verify.
    case integrityMismatch
    /// Encrypted although the suite has no confidentiality, or plaintext although it has.
    case unexpectedEncryption
    case unencrypted
    case decryptionFailed
    /// A payload type or message that does not fit the current state (e.g. RAKP 2 when established).
    case unexpectedPayload
    /// The message tag of an Open Session / RAKP response is not the one we sent.
    case wrongMessageTag
    /// An IPMI response whose rqSeq, netFn or command matches no outstanding request.
    case unmatchedResponse
    /// An answer under an rqSeq whose request was already answered or given up: a duplicate or a late answer.
    case late
    /// Nothing is expected: the session failed or is closed.
    case notExpected
    /// An authenticated packet whose session sequence number was already seen or is too old.
    case replayed

    public var description: String { rawValue }
}
