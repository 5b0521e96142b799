/// The 4-byte RMCP header in front of every IPMI-over-LAN datagram (IPMI v2.0 section 13.1.3, table 13-2):
/// version 0x06, reserved, sequence 0xFF (no RMCP ACK wanted), class 0x07 (IPMI).
public struct RMCPHeader: Hashable, Sendable {
    public static let version: UInt8 = 0x06
    public static let noAckSequence: UInt8 = 0xFF
    public static let classIPMI: UInt8 = 0x07
    public static let encodedLength = 4

    public var sequence: UInt8
    public var messageClass: UInt8

    public init(sequence: UInt8 = RMCPHeader.noAckSequence, messageClass: UInt8 = RMCPHeader.classIPMI) {
        self.sequence = sequence
        self.messageClass = messageClass
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write([Self.version, 0x00, sequence, messageClass])
    }

    public static func decode(from reader: inout ByteReader) throws(IPMIError) -> RMCPHeader {
        let bytes = try reader.readBytes(4)
        guard bytes[0] == version else { throw .malformed("RMCP version 0x" + hex2(bytes[0])) }
        return RMCPHeader(sequence: bytes[2], messageClass: bytes[3] & 0x1F)
    }
}

/// Session authentication type byte (IPMI v2.0 section 13.6, table 13-8; 0x06 marks RMCP+).
public enum AuthType {
    public static let none: UInt8 = 0x00
    public static let rmcpPlus: UInt8 = 0x06
}

/// An IPMI v1.5 session packet (IPMI v2.0 section 13.6, table 13-8, first layout): used before an RMCP+ session
/// exists, for Get Channel Authentication Capabilities and Get Channel Cipher Suites, and for whole IPMI v1.5
/// sessions (``IPMI15Session``). Layout after the RMCP header: auth type, session sequence (4, LE), session ID
/// (4, LE), the 16-byte AuthCode unless the auth type is none, message length (1), IPMI message. Bytes after the
/// message (the legacy pad byte some implementations add) are ignored.
public struct IPMI15Packet: Hashable, Sendable {
    public static let authCodeLength = 16

    public var authType: UInt8
    public var sessionSequence: UInt32
    public var sessionID: UInt32
    /// Empty for auth type none, else 16 bytes (shorter ones are zero-padded when encoded).
    public var authCode: [UInt8]
    public var message: [UInt8]

    public init(
        authType: UInt8 = AuthType.none, sessionSequence: UInt32 = 0, sessionID: UInt32 = 0, authCode: [UInt8] = [],
        message: [UInt8]
    ) {
        self.authType = authType
        self.sessionSequence = sessionSequence
        self.sessionID = sessionID
        self.authCode = authCode
        self.message = message
    }

    /// The whole datagram, RMCP header included.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 30 + message.count)
        RMCPHeader().encode(into: &writer)
        writer.write(authType)
        writer.write(littleEndian: sessionSequence)
        writer.write(littleEndian: sessionID)
        if authType != AuthType.none {
            let code = authCode.prefix(Self.authCodeLength)
            writer.write(Array(code))
            writer.write(repeating: 0, count: Self.authCodeLength - code.count)
        }
        writer.write(UInt8(truncatingIfNeeded: message.count))
        writer.write(message)
        return writer.bytes
    }

    public static func decode(_ datagram: [UInt8]) throws(IPMIError) -> IPMI15Packet {
        var reader = ByteReader(datagram, what: "IPMI v1.5 packet")
        let rmcp = try RMCPHeader.decode(from: &reader)
        guard rmcp.messageClass == RMCPHeader.classIPMI else { throw .malformed("not an IPMI RMCP class") }
        let authType = try reader.readByte()
        guard authType != AuthType.rmcpPlus else { throw .malformed("an RMCP+ packet, not IPMI v1.5") }
        let sequence = try reader.readUInt32LE()
        let sessionID = try reader.readUInt32LE()
        let authCode = authType == AuthType.none ? [] : try reader.readBytes(authCodeLength)
        let length = Int(try reader.readByte())
        let message = try reader.readBytes(length)
        return IPMI15Packet(
            authType: authType, sessionSequence: sequence, sessionID: sessionID, authCode: authCode, message: message)
    }
}

/// RMCP+ payload types (IPMI v2.0 section 13.27.3, table 13-16), the low 6 bits of the payload type byte.
public struct PayloadType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x3F }

    public static let ipmi = PayloadType(rawValue: 0x00)
    public static let sol = PayloadType(rawValue: 0x01)
    public static let oemExplicit = PayloadType(rawValue: 0x02)
    public static let openSessionRequest = PayloadType(rawValue: 0x10)
    public static let openSessionResponse = PayloadType(rawValue: 0x11)
    public static let rakp1 = PayloadType(rawValue: 0x12)
    public static let rakp2 = PayloadType(rawValue: 0x13)
    public static let rakp3 = PayloadType(rawValue: 0x14)
    public static let rakp4 = PayloadType(rawValue: 0x15)

    public var description: String {
        switch self {
        case .ipmi: "IPMI"
        case .sol: "SOL"
        case .oemExplicit: "OEM"
        case .openSessionRequest: "Open Session Request"
        case .openSessionResponse: "Open Session Response"
        case .rakp1: "RAKP 1"
        case .rakp2: "RAKP 2"
        case .rakp3: "RAKP 3"
        case .rakp4: "RAKP 4"
        default: "payload type 0x" + hex2(rawValue)
        }
    }
}

/// An RMCP+ (IPMI v2.0) session packet, IPMI v2.0 section 13.6, table 13-8 (second layout):
/// auth type 0x06, payload type (bit 7 encrypted, bit 6 authenticated), [OEM IANA + payload ID only for
/// OEM explicit payloads, unsupported here], session ID (4, LE), session sequence (4, LE),
/// payload length (2, LE), payload; then, when authenticated, the session trailer: integrity pad (0xFF),
/// pad length, next header (0x07) and the AuthCode computed over auth type ... next header.
///
/// `payload` holds the bytes as they travel, i.e. IV + ciphertext when encrypted; see ``SessionCrypto``.
public struct RMCPPlusPacket: Hashable, Sendable {
    public static let nextHeader: UInt8 = 0x07
    /// RMCP header (4) + session header without OEM fields (12).
    public static let payloadOffset = 16

    public var payloadType: PayloadType
    public var isEncrypted: Bool
    public var isAuthenticated: Bool
    public var sessionID: UInt32
    public var sequenceNumber: UInt32
    public var payload: [UInt8]
    /// The AuthCode of an authenticated packet, as received (decode) or computed (encode).
    public var authCode: [UInt8]

    public init(
        payloadType: PayloadType, isEncrypted: Bool = false, isAuthenticated: Bool = false, sessionID: UInt32 = 0,
        sequenceNumber: UInt32 = 0, payload: [UInt8], authCode: [UInt8] = []
    ) {
        self.payloadType = payloadType
        self.isEncrypted = isEncrypted
        self.isAuthenticated = isAuthenticated
        self.sessionID = sessionID
        self.sequenceNumber = sequenceNumber
        self.payload = payload
        self.authCode = authCode
    }

    var payloadTypeByte: UInt8 {
        payloadType.rawValue | (isEncrypted ? 0x80 : 0) | (isAuthenticated ? 0x40 : 0)
    }

    /// The whole datagram. For an authenticated packet, `authCodeFor` receives the bytes from the auth
    /// type through the next header (the integrity pad makes that a multiple of 4, section 13.28.4) and
    /// returns the AuthCode; an unauthenticated packet has no trailer.
    public func encode(authCodeFor: ([UInt8]) -> [UInt8] = { _ in [] }) -> [UInt8] {
        encode(authCodeOf: { authCodeFor(Array($0)) })
    }

    /// ``encode(authCodeFor:)`` with the covered bytes handed to `authCodeFor` in place, without a copy.
    func encode(authCodeOf authCodeFor: (UnsafeRawBufferPointer) -> [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + payload.count)
        RMCPHeader().encode(into: &writer)
        writer.write(AuthType.rmcpPlus)
        writer.write(payloadTypeByte)
        writer.write(littleEndian: sessionID)
        writer.write(littleEndian: sequenceNumber)
        writer.write(littleEndian: UInt16(truncatingIfNeeded: payload.count))
        writer.write(payload)
        guard isAuthenticated else { return writer.bytes }
        let pad = Self.integrityPadCount(payloadLength: payload.count)
        writer.write(repeating: 0xFF, count: pad)
        writer.write(UInt8(pad))
        writer.write(Self.nextHeader)
        let code = writer.bytes.withUnsafeBytes {
            authCodeFor(UnsafeRawBufferPointer(rebasing: $0[RMCPHeader.encodedLength...]))
        }
        writer.write(code)
        return writer.bytes
    }

    /// The 0xFF bytes after a payload of `payloadLength` bytes that make auth type through next header (the 12
    /// bytes of session header, the payload, the pad, pad length and next header) a multiple of 4 (section
    /// 13.28.4).
    static func integrityPadCount(payloadLength: Int) -> Int {
        (4 - (payloadLength + 14) % 4) % 4
    }

    /// Parses a datagram. `authCodeLength` is the AuthCode length of the session's integrity algorithm,
    /// used only when the authenticated bit is set. Returns the packet and the bytes the AuthCode covers.
    public static func decode(
        _ datagram: [UInt8], authCodeLength: Int = 0
    ) throws(IPMIError) -> (
        packet: RMCPPlusPacket, authenticatedBytes: [UInt8]
    ) {
        let decoded = try decodeInPlace(datagram, authCodeLength: authCodeLength)
        return (decoded.packet, Array(datagram[decoded.authenticated]))
    }

    /// ``decode(_:authCodeLength:)`` that says where the authenticated bytes are instead of copying them;
    /// the range is empty when the packet is not authenticated.
    static func decodeInPlace(
        _ datagram: [UInt8], authCodeLength: Int
    ) throws(IPMIError) -> (packet: RMCPPlusPacket, authenticated: Range<Int>) {
        let parsed = datagram.withUnsafeBytes { bytes in
            Result { () throws(IPMIError) in try RMCPPlusLayout(bytes, authCodeLength: authCodeLength) }
        }
        let layout = try parsed.get()
        let packet = RMCPPlusPacket(
            payloadType: layout.payloadType, isEncrypted: layout.isEncrypted, isAuthenticated: layout.isAuthenticated,
            sessionID: layout.sessionID, sequenceNumber: layout.sequenceNumber,
            payload: Array(datagram[layout.payload]),
            authCode: Array(datagram[layout.authCode]))
        return (packet, layout.authenticated)
    }
}

/// Where the parts of an RMCP+ session packet lie in its datagram (IPMI v2.0 section 13.6, table 13-8; see
/// ``RMCPPlusPacket``), found without copying any of them: opening a session packet reads the payload and
/// AuthCode in place.
struct RMCPPlusLayout: Sendable {
    /// Payload type with the encrypted (bit 7) and authenticated (bit 6) flags.
    var typeByte: UInt8
    var sessionID: UInt32
    var sequenceNumber: UInt32
    var payload: Range<Int>
    /// The AuthCode; empty when the packet is not authenticated.
    var authCode: Range<Int>
    /// The bytes the AuthCode covers, auth type through next header; empty when not authenticated.
    var authenticated: Range<Int>

    var payloadType: PayloadType { PayloadType(rawValue: typeByte) }
    var isEncrypted: Bool { typeByte & 0x80 != 0 }
    var isAuthenticated: Bool { typeByte & 0x40 != 0 }

    /// Parses the headers and, when the authenticated bit is set, the session trailer: integrity pad (at most 3
    /// bytes, section 13.28.4), pad length, next header 0x07, then `authCodeLength` bytes of AuthCode. Bytes after
    /// the payload of an unauthenticated packet are ignored.
    init(_ bytes: UnsafeRawBufferPointer, authCodeLength: Int) throws(IPMIError) {
        let tooShort = IPMIError.malformed("RMCP+ packet too short")
        guard bytes.count >= RMCPHeader.encodedLength else { throw tooShort }
        guard bytes[0] == RMCPHeader.version else { throw .malformed("RMCP version 0x" + hex2(bytes[0])) }
        guard bytes[3] & 0x1F == RMCPHeader.classIPMI else { throw .malformed("not an IPMI RMCP class") }
        guard bytes.count > 4 else { throw tooShort }
        guard bytes[4] == AuthType.rmcpPlus else { throw .malformed("not an RMCP+ packet") }
        guard bytes.count > 5 else { throw tooShort }
        typeByte = bytes[5]
        guard PayloadType(rawValue: typeByte) != .oemExplicit else {
            throw .malformed("OEM explicit payloads are not supported")
        }
        guard bytes.count >= RMCPPlusPacket.payloadOffset else { throw tooShort }
        sessionID = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt32.self))
        sequenceNumber = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 10, as: UInt32.self))
        let length = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self)))
        let payloadEnd = RMCPPlusPacket.payloadOffset + length
        guard payloadEnd <= bytes.count else { throw tooShort }
        payload = RMCPPlusPacket.payloadOffset..<payloadEnd
        authCode = bytes.count..<bytes.count
        authenticated = 0..<0
        guard typeByte & 0x40 != 0 else { return }
        let trailerCount = bytes.count - payloadEnd
        guard authCodeLength >= 0, trailerCount >= 2 + authCodeLength else {
            throw .malformed("session trailer too short")
        }
        let padCount = trailerCount - 2 - authCodeLength
        guard padCount <= 3, Int(bytes[payloadEnd + padCount]) == padCount,
            bytes[payloadEnd + padCount + 1] == RMCPPlusPacket.nextHeader
        else {
            throw .malformed("bad integrity pad or next header")
        }
        authCode = (bytes.count - authCodeLength)..<bytes.count
        authenticated = RMCPHeader.encodedLength..<(bytes.count - authCodeLength)
    }
}
