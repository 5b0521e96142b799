/// The inputs both sides of a RAKP exchange share (IPMI v2.0 sections 13.20-13.23, 13.31).
public struct RAKPExchange: Sendable {
    public var authentication: AuthenticationAlgorithm
    /// SIDm: the remote console's session ID.
    public var consoleSessionID: UInt32
    /// SIDc: the managed system's (BMC's) session ID.
    public var managedSessionID: UInt32
    /// Rm
    public var consoleRandom: [UInt8]
    /// Rc
    public var managedRandom: [UInt8]
    /// GUIDc
    public var managedGUID: [UInt8]
    /// RoleM exactly as sent in RAKP 1, including the name-only lookup bit 0x10.
    public var role: UInt8
    /// UNameM
    public var username: [UInt8]

    public init(
        authentication: AuthenticationAlgorithm, consoleSessionID: UInt32, managedSessionID: UInt32,
        consoleRandom: [UInt8], managedRandom: [UInt8], managedGUID: [UInt8], role: UInt8, username: [UInt8]
    ) {
        self.authentication = authentication
        self.consoleSessionID = consoleSessionID
        self.managedSessionID = managedSessionID
        self.consoleRandom = consoleRandom
        self.managedRandom = managedRandom
        self.managedGUID = managedGUID
        self.role = role
        self.username = username
    }

    private func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        guard let hash = authentication.hash else { return [] }
        return Crypto.hmac(hash, key: key, data: data)
    }

    private static func le(_ value: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: 4)
        writer.write(littleEndian: value)
        return writer.bytes
    }

    private var roleAndName: [UInt8] { [role, UInt8(truncatingIfNeeded: username.count)] + username }

    /// RAKP 2 key exchange authentication code (section 13.21):
    /// HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | RoleM | ULengthM | UNameM).
    public func rakp2AuthCode(userKey: [UInt8]) -> [UInt8] {
        hmac(
            key: userKey,
            Self.le(consoleSessionID) + Self.le(managedSessionID) + consoleRandom + managedRandom + managedGUID
                + roleAndName)
    }

    /// RAKP 3 key exchange authentication code (section 13.22): HMAC_Kuid(Rc | SIDm | RoleM | ULengthM | UNameM).
    public func rakp3AuthCode(userKey: [UInt8]) -> [UInt8] {
        hmac(key: userKey, managedRandom + Self.le(consoleSessionID) + roleAndName)
    }

    /// Session integrity key (section 13.31): HMAC_KG(Rm | Rc | RoleM | ULengthM | UNameM), where KG is the
    /// BMC key K_g when one is set, else the user key.
    public func sessionIntegrityKey(generatingKey: [UInt8]) -> [UInt8] {
        hmac(key: generatingKey, consoleRandom + managedRandom + roleAndName)
    }

    /// RAKP 4 integrity check value (section 13.23): HMAC_SIK(Rm | SIDc | GUIDc), truncated to 12 bytes for
    /// HMAC-SHA1 and 16 for HMAC-MD5 and HMAC-SHA256.
    public func rakp4IntegrityCheckValue(sik: [UInt8]) -> [UInt8] {
        Array(
            hmac(key: sik, consoleRandom + Self.le(managedSessionID) + managedGUID)
                .prefix(authentication.integrityCheckValueLength))
    }
}

/// The keys of an established session (IPMI v2.0 section 13.32): K1 = HMAC_SIK(0x01 × 20) for integrity,
/// K2 = HMAC_SIK(0x02 × 20) whose first 16 bytes are the AES-CBC-128 key. Never logged or printed.
public struct SessionKeys: Sendable {
    public var sik: [UInt8]
    public var k1: [UInt8]
    public var k2: [UInt8]

    public init(authentication: AuthenticationAlgorithm, sik: [UInt8]) {
        self.sik = sik
        if let hash = authentication.hash {
            k1 = Crypto.hmac(hash, key: sik, data: [UInt8](repeating: 0x01, count: 20))
            k2 = Crypto.hmac(hash, key: sik, data: [UInt8](repeating: 0x02, count: 20))
        } else {
            k1 = []
            k2 = []
        }
    }

    public var aesKey: [UInt8] { Array(k2.prefix(16)) }
}

/// Integrity and confidentiality of session packets once keys exist (IPMI v2.0 sections 13.28.4, 13.29).
public struct SessionCrypto: Sendable {
    public var suite: CipherSuite
    var keys: SessionKeys
    /// The user's password zero-padded to 20 bytes: the MD5-128 integrity algorithm hashes it directly.
    var paddedPassword: [UInt8]
    /// HMAC and AES contexts keyed once for the session.
    private let keyed: KeyedCrypto

    public init(suite: CipherSuite, keys: SessionKeys, password: [UInt8]) {
        self.suite = suite
        self.keys = keys
        self.paddedPassword = Self.padded(password, to: 20)
        self.keyed = KeyedCrypto(
            hmac: suite.integrity.hmacHash, k1: keys.k1,
            aesKey: suite.confidentiality == .aesCBC128 ? keys.aesKey : nil)
    }

    static func padded(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        Array(bytes.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - bytes.count))
    }

    /// The AuthCode over `data` (auth type through next header), section 13.28.4:
    /// HMAC-SHA1-96 = first 12 bytes of HMAC-SHA1 under K1; HMAC-MD5-128 = HMAC-MD5 under K1;
    /// MD5-128 = MD5(password | data | password) with the password zero-padded to 20 bytes;
    /// HMAC-SHA256-128 = first 16 bytes of HMAC-SHA256 under K1.
    public static func authCode(
        _ integrity: IntegrityAlgorithm, k1: [UInt8], paddedPassword: [UInt8], data: [UInt8]
    ) -> [UInt8] {
        switch integrity {
        case .none: []
        case .hmacSHA1_96: Array(Crypto.hmac(.sha1, key: k1, data: data).prefix(12))
        case .hmacMD5_128: Crypto.hmac(.md5, key: k1, data: data)
        case .md5_128: Crypto.digest(.md5, paddedPassword + data + paddedPassword)
        case .hmacSHA256_128: Array(Crypto.hmac(.sha256, key: k1, data: data).prefix(16))
        }
    }

    public func authCode(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { authCode(of: $0) }
    }

    /// ``authCode(_:)`` over bytes in place, through the session's keyed HMAC context when there is one.
    func authCode(of data: UnsafeRawBufferPointer) -> [UInt8] {
        if var code = keyed.hmac(data) {
            code.removeLast(code.count - suite.integrity.authCodeLength)
            return code
        }
        return Self.authCode(suite.integrity, k1: keys.k1, paddedPassword: paddedPassword, data: Array(data))
    }

    /// AES-CBC-128 payload (section 13.29): IV (16) | E(payload | pad 1, 2, … N | N), the pad making the
    /// plaintext a multiple of 16 bytes.
    public static func encryptAES(key: [UInt8], iv: [UInt8], payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        iv + (try Crypto.aes128CBC(encrypt: true, key: key, iv: iv, input: confidentialityPadded(payload)))
    }

    /// The plaintext of section 13.29: the payload, then pad bytes 1, 2, … N and the pad length N, so that the
    /// whole is a multiple of the 16-byte AES block.
    static func confidentialityPadded(_ payload: [UInt8]) -> [UInt8] {
        let padCount = (16 - (payload.count + 1) % 16) % 16
        var plaintext = payload
        plaintext.reserveCapacity(payload.count + padCount + 1)
        for value in 0..<padCount { plaintext.append(UInt8(value + 1)) }
        plaintext.append(UInt8(padCount))
        return plaintext
    }

    /// Reverses ``encryptAES(key:iv:payload:)``; throws malformed for a bad length or pad.
    public static func decryptAES(key: [UInt8], payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        try checkEncryptedLength(payload.count)
        let iv = Array(payload[0..<16])
        let plaintext = try Crypto.aes128CBC(encrypt: false, key: key, iv: iv, input: Array(payload[16...]))
        return try removingConfidentialityPad(plaintext)
    }

    private static func checkEncryptedLength(_ count: Int) throws(IPMIError) {
        guard count >= 32, count % 16 == 0 else {
            throw .malformed("encrypted payload length \(count) is not IV plus whole blocks")
        }
    }

    private static func removingConfidentialityPad(_ plaintext: [UInt8]) throws(IPMIError) -> [UInt8] {
        guard let padCount = plaintext.last.map(Int.init), padCount < 16, padCount + 1 <= plaintext.count else {
            throw .malformed("bad confidentiality pad length")
        }
        let bodyCount = plaintext.count - padCount - 1
        for index in 0..<padCount where plaintext[bodyCount + index] != UInt8(index + 1) {
            throw .malformed("bad confidentiality pad")
        }
        var body = plaintext
        body.removeLast(padCount + 1)
        return body
    }

    /// ``encryptAES(key:iv:payload:)`` through the session's keyed AES context.
    private func encrypt(iv: [UInt8], payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        guard keyed.hasAES else { return try Self.encryptAES(key: keys.aesKey, iv: iv, payload: payload) }
        guard iv.count == 16 else { throw .crypto("AES-128 needs a 16-byte IV") }
        let plaintext = Self.confidentialityPadded(payload)
        var output = iv
        output.reserveCapacity(16 + plaintext.count + 16)
        let ok = iv.withUnsafeBytes { ivBytes in
            plaintext.withUnsafeBytes { keyed.aes(encrypt: true, iv: ivBytes, input: $0, appendingTo: &output) }
        }
        guard ok else { throw .crypto("AES-128-CBC operation failed") }
        return output
    }

    /// ``decryptAES(key:payload:)`` through the session's keyed AES context.
    private func decrypt(_ payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        guard keyed.hasAES else { return try Self.decryptAES(key: keys.aesKey, payload: payload) }
        try Self.checkEncryptedLength(payload.count)
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(payload.count)
        let ok = payload.withUnsafeBytes { bytes in
            keyed.aes(
                encrypt: false, iv: UnsafeRawBufferPointer(rebasing: bytes[0..<16]),
                input: UnsafeRawBufferPointer(rebasing: bytes[16...]), appendingTo: &plaintext)
        }
        guard ok else { throw .crypto("AES-128-CBC operation failed") }
        return try Self.removingConfidentialityPad(plaintext)
    }

    /// Builds an in-session IPMI packet: encrypts the payload when the suite has confidentiality, adds the
    /// integrity trailer when it has integrity. `iv` must be 16 fresh random bytes when encrypting.
    public func seal(
        payloadType: PayloadType = .ipmi, sessionID: UInt32, sequenceNumber: UInt32, payload: [UInt8], iv: [UInt8]
    ) throws(IPMIError) -> [UInt8] {
        let encrypted = suite.confidentiality == .aesCBC128
        let body = encrypted ? try encrypt(iv: iv, payload: payload) : payload
        let packet = RMCPPlusPacket(
            payloadType: payloadType, isEncrypted: encrypted, isAuthenticated: suite.integrity != .none,
            sessionID: sessionID, sequenceNumber: sequenceNumber, payload: body)
        return packet.encode { authCode(of: $0) }
    }

    /// Parses and checks an in-session packet: the authenticated bit must match the suite, the AuthCode
    /// must verify, and an encrypted payload is decrypted. Returns the packet with plaintext payload.
    public func open(_ datagram: [UInt8]) throws(DropReason) -> RMCPPlusPacket {
        let decoded: (packet: RMCPPlusPacket, authenticated: Range<Int>)
        do {
            decoded = try RMCPPlusPacket.decodeInPlace(datagram, authCodeLength: suite.integrity.authCodeLength)
        } catch {
            throw .malformed
        }
        var packet = decoded.packet
        if suite.integrity != .none {
            guard packet.isAuthenticated else { throw .unauthenticated }
            let expected = datagram.withUnsafeBytes {
                authCode(of: UnsafeRawBufferPointer(rebasing: $0[decoded.authenticated]))
            }
            guard constantTimeEqual(expected, packet.authCode) else {
                throw .integrityMismatch
            }
        }
        if packet.isEncrypted {
            guard suite.confidentiality == .aesCBC128 else { throw .unexpectedEncryption }
            do {
                packet.payload = try decrypt(packet.payload)
            } catch {
                throw .decryptionFailed
            }
            packet.isEncrypted = false
        } else if suite.confidentiality != .none {
            throw .unencrypted
        }
        return packet
    }
}
