/// IPMI v1.5 session authentication types (IPMI v2.0 section 13.6, table 13-8 "Authentication Type"; section
/// 22.13, table 22-15 byte 2 lists the ones a channel supports, one bit each at the bit of this number).
public enum IPMI15AuthenticationType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case md2 = 1
    case md5 = 2
    case straightPassword = 4

    /// The order a type is chosen in when none is configured, ipmitool's: MD5, then MD2 (weak, but the password
    /// still never crosses the wire), then the straight password (which does), and none only by consent.
    public static let preference: [IPMI15AuthenticationType] = [.md5, .md2, .straightPassword, .none]

    /// The bit of this type in Get Channel Authentication Capabilities byte 2.
    public var supportBit: UInt8 { 1 << rawValue }

    /// FreeIPMI's `-a` names and ipmitool's `-A` names (any case).
    public init?(name: String) {
        switch name.lowercased() {
        case "none": self = .none
        case "md2": self = .md2
        case "md5": self = .md5
        case "password", "straight_password_key", "straight": self = .straightPassword
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .md2: "MD2"
        case .md5: "MD5"
        case .straightPassword: "straight password"
        }
    }

    /// The AuthCode of a v1.5 session packet (IPMI v2.0 section 22.17.1, "AuthCode Algorithms"): nothing for none,
    /// the 16-byte password itself for straight password, and for MD5 and MD2 the digest of password ‖ session ID ‖
    /// IPMI message ‖ session sequence number ‖ password, the numbers little-endian as they travel, the password
    /// NUL-padded to 16 bytes.
    public func authCode(password: [UInt8], sessionID: UInt32, message: [UInt8], sequence: UInt32) -> [UInt8]? {
        let key = SessionCrypto.padded(Array(password.prefix(16)), to: 16)
        switch self {
        case .none: return []
        case .straightPassword: return key
        case .md2, .md5:
            var writer = ByteWriter(capacity: 40 + message.count)
            writer.write(key)
            writer.write(littleEndian: sessionID)
            writer.write(message)
            writer.write(littleEndian: sequence)
            writer.write(key)
            return self == .md5 ? Crypto.digest(.md5, writer.bytes) : MD2.digest(writer.bytes)
        }
    }
}

/// What an IPMI v1.5 session needs besides the credentials (``SessionConfiguration/ipmi15``).
public struct IPMI15Options: Sendable, Hashable {
    /// nil chooses the strongest the BMC offers (``IPMI15AuthenticationType/preference``).
    public var authenticationType: IPMI15AuthenticationType?

    public init(authenticationType: IPMI15AuthenticationType? = nil) {
        self.authenticationType = authenticationType
    }
}

extension AppCommand {
    public static let getSessionChallenge: UInt8 = 0x39
    public static let activateSession: UInt8 = 0x3A
}

/// Get Session Challenge (IPMI v2.0 section 22.16): request auth type and user name (16 bytes, NUL-padded);
/// response temporary session ID (4, LE) and a 16-byte challenge.
public struct GetSessionChallenge: Hashable, Sendable {
    public var temporarySessionID: UInt32
    public var challenge: [UInt8]

    public init(temporarySessionID: UInt32, challenge: [UInt8]) {
        self.temporarySessionID = temporarySessionID
        self.challenge = challenge
    }

    public static func requestData(authType: IPMI15AuthenticationType, username: [UInt8]) -> [UInt8] {
        [authType.rawValue] + SessionCrypto.padded(Array(username.prefix(16)), to: 16)
    }

    public init(responseData data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Get Session Challenge response")
        temporarySessionID = try reader.readUInt32LE()
        challenge = try reader.readBytes(16)
    }

    public var responseData: [UInt8] {
        var writer = ByteWriter(capacity: 20)
        writer.write(littleEndian: temporarySessionID)
        writer.write(challenge)
        return writer.bytes
    }
}

/// Activate Session (IPMI v2.0 section 22.17): request auth type, maximum privilege, the challenge and the
/// console's initial outbound sequence number (4, LE; the BMC numbers its answers from it); response auth type,
/// session ID (4, LE), the initial inbound sequence number (4, LE; the console numbers its requests from it) and
/// the maximum privilege.
public struct ActivateSession: Hashable, Sendable {
    public var authType: UInt8
    public var sessionID: UInt32
    public var initialInboundSequence: UInt32
    public var maximumPrivilege: UInt8

    public static func requestData(
        authType: IPMI15AuthenticationType, privilege: PrivilegeLevel, challenge: [UInt8],
        initialOutboundSequence: UInt32
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 22)
        writer.write(authType.rawValue)
        writer.write(privilege.rawValue)
        writer.write(SessionCrypto.padded(Array(challenge.prefix(16)), to: 16))
        writer.write(littleEndian: initialOutboundSequence)
        return writer.bytes
    }

    public init(responseData data: [UInt8]) throws(IPMIError) {
        var reader = ByteReader(data, what: "Activate Session response")
        authType = try reader.readByte()
        sessionID = try reader.readUInt32LE()
        initialInboundSequence = try reader.readUInt32LE()
        maximumPrivilege = try reader.readByte()
    }

    /// The response data a BMC sends (for the simulator).
    public static func responseData(
        authType: UInt8, sessionID: UInt32, initialInboundSequence: UInt32, maximumPrivilege: UInt8
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: 10)
        writer.write(authType)
        writer.write(littleEndian: sessionID)
        writer.write(littleEndian: initialInboundSequence)
        writer.write(maximumPrivilege)
        return writer.bytes
    }
}

/// The inbound session sequence numbers of a v1.5 session (IPMI v2.0 section 6.12.13): each is taken once, when it
/// is newer than the newest taken or at most 31 behind it (answers to a window of requests may arrive out of order).
/// Numbers wrap. A jump of more than 256 ahead, far more answers than a session can lose while it still gets others,
/// is refused: such a number is not this session's count (or the BMC writes it big-endian: FreeIPMI's `endianseq`).
public struct IPMI15SequenceWindow: Sendable, Hashable {
    static let behind: UInt32 = 32
    static let ahead: UInt32 = 256
    private var newest: UInt32
    /// Bit n set: newest - n was taken.
    private var seen: UInt32

    /// A window whose first number is `first` (the initial outbound sequence number the console gave the BMC).
    public init(first: UInt32) {
        newest = first &- 1
        seen = 1
    }

    public mutating func accept(_ sequence: UInt32) -> Bool {
        let ahead = sequence &- newest
        if ahead != 0, ahead <= Self.ahead {
            seen = ahead >= Self.behind ? 1 : seen << ahead | 1
            newest = sequence
            return true
        }
        let age = newest &- sequence
        guard age < Self.behind else { return false }
        let bit = UInt32(1) << age
        guard seen & bit == 0 else { return false }
        seen |= bit
        return true
    }
}

/// An established (or activating) IPMI v1.5 session's framing, pure: seals requests with the session ID, the next
/// outbound sequence number and the AuthCode; opens answers, checking session ID, auth type, AuthCode and inbound
/// sequence number, with FreeIPMI's 1.5 workarounds (`idzero`, `unexpectedauth`, `endianseq`, `noauthcodecheck`).
/// Counts what it drops, so that a handshake that stalls can name the workaround to try.
struct IPMI15Session: Sendable {
    /// Why answers were dropped, for the hint when the handshake stalls.
    struct Drops: Sendable, Hashable {
        var zeroSessionID = 0
        var unexpectedAuthCode = 0
        var badAuthCode = 0
        /// Out of the window, but in it byte-swapped.
        var outOfWindow = 0
    }

    let authType: IPMI15AuthenticationType
    /// The auth type requests go with: ``authType``, or none when the BMC said per-message authentication is
    /// disabled (and `forcepermsg` is not set).
    var outboundAuthType: IPMI15AuthenticationType
    let password: [UInt8]
    let workarounds: SessionWorkarounds
    var sessionID: UInt32
    var outboundSequence: UInt32 = 0
    var inbound: IPMI15SequenceWindow?
    /// The initial outbound sequence number the console gave in Activate Session: the BMC's first answer's.
    var firstInbound: UInt32 = 0
    var drops = Drops()

    init(authType: IPMI15AuthenticationType, password: [UInt8], workarounds: SessionWorkarounds, sessionID: UInt32) {
        self.authType = authType
        self.outboundAuthType = authType
        self.password = password
        self.workarounds = workarounds
        self.sessionID = sessionID
    }

    /// The datagram carrying `message`; the outbound sequence number advances (skipping 0, which marks packets
    /// outside a session).
    mutating func seal(_ message: [UInt8]) -> [UInt8] {
        let sequence = outboundSequence
        if outboundSequence != 0 { outboundSequence = outboundSequence == UInt32.max ? 1 : outboundSequence + 1 }
        let code =
            outboundAuthType.authCode(password: password, sessionID: sessionID, message: message, sequence: sequence)
            ?? []
        return IPMI15Packet(
            authType: outboundAuthType.rawValue, sessionSequence: sequence, sessionID: sessionID, authCode: code,
            message: message
        ).encode()
    }

    /// The IPMI message of an answer in this session. `acceptingSessionIDs` are IDs besides ours an answer may carry
    /// (the Activate Session answer may come under the temporary or the new one); `checkingSequence` is false only
    /// for that answer, which precedes the window.
    mutating func open(
        _ datagram: [UInt8], alsoAccepting otherID: UInt32? = nil, checkingSequence: Bool = true
    ) -> Result<IPMI15Packet, DropReason> {
        guard datagram.count > 4, datagram[4] != AuthType.rmcpPlus, let packet = try? IPMI15Packet.decode(datagram)
        else { return .failure(.malformed) }
        if packet.sessionID != sessionID, packet.sessionID != otherID {
            guard packet.sessionID == 0 else { return .failure(.wrongSessionID) }
            // `idzero`: some BMCs put 0 where the session ID belongs (ipmi-sensors(8)).
            guard workarounds.contains(.acceptSessionIDZero) else {
                drops.zeroSessionID += 1
                return .failure(.wrongSessionID)
            }
        }
        if packet.authType != outboundAuthType.rawValue {
            // An answer must be authenticated as the requests are; one with an AuthCode where none is expected is
            // checked as though it were (`unexpectedauth`), never taken unchecked.
            guard outboundAuthType == .none, packet.authType == authType.rawValue else {
                return .failure(packet.authType == AuthType.none ? .unauthenticated : .unexpectedPayload)
            }
            guard workarounds.contains(.checkUnexpectedAuthCode) else {
                drops.unexpectedAuthCode += 1
                return .failure(.unexpectedPayload)
            }
        }
        let authenticated = packet.authType != AuthType.none
        if authenticated, !workarounds.contains(.noAuthCodeCheck) {
            let expected = IPMI15AuthenticationType(rawValue: packet.authType)?.authCode(
                password: password, sessionID: packet.sessionID, message: packet.message,
                sequence: packet.sessionSequence)
            guard let expected, constantTimeEqual(expected, packet.authCode) else {
                drops.badAuthCode += 1
                return .failure(.integrityMismatch)
            }
        }
        // Sequence numbers protect only when an AuthCode covers them; answers without one are matched by rqSeq.
        if checkingSequence, authenticated, inbound != nil {
            let sequence =
                workarounds.contains(.bigEndianSequence) ? packet.sessionSequence.byteSwapped : packet.sessionSequence
            guard inbound?.accept(sequence) == true else {
                // Only a number that would fit byte-swapped suggests `endianseq`; a duplicate is just dropped.
                var probe = inbound
                if probe?.accept(sequence.byteSwapped) == true { drops.outOfWindow += 1 }
                return .failure(.replayed)
            }
        }
        return .success(packet)
    }

    /// Why a handshake step inside the session went unanswered, with the workaround to try; nil when nothing was
    /// dropped that a workaround would take.
    func stallReason(perMessageAuthenticationDisabled: Bool) -> String? {
        let active = workarounds
        if drops.zeroSessionID > 0 {
            return "the BMC's answers carry session ID 0 (\(drops.zeroSessionID) dropped)"
                + SessionWorkarounds.hint([.acceptSessionIDZero], unless: active)
        }
        if drops.unexpectedAuthCode > 0 {
            return
                "the BMC authenticates its answers although it says per-message authentication is disabled "
                + "(\(drops.unexpectedAuthCode) dropped)"
                + SessionWorkarounds.hint([.checkUnexpectedAuthCode], unless: active)
        }
        if drops.badAuthCode > 0 {
            return "the AuthCodes of the BMC's answers do not verify (\(drops.badAuthCode) dropped)"
                + SessionWorkarounds.hint([.noAuthCodeCheck], unless: active)
        }
        if drops.outOfWindow > 0 {
            return "the session sequence numbers of the BMC's answers are out of order (\(drops.outOfWindow) dropped)"
                + SessionWorkarounds.hint([.bigEndianSequence], unless: active)
        }
        if perMessageAuthenticationDisabled, outboundAuthType == .none {
            return "no answer to requests without AuthCode, which the BMC said it takes (per-message authentication "
                + "disabled)" + SessionWorkarounds.hint([.forcePerMessageAuthentication], unless: active)
        }
        return nil
    }
}
