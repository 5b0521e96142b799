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
