/// Requested or granted session privilege (IPMI v2.0 section 6.8, table 6-2 ... and 13.17).
public enum PrivilegeLevel: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case callback = 1
    case user = 2
    case `operator` = 3
    case administrator = 4
    case oem = 5

    public var description: String {
        switch self {
        case .callback: "callback"
        case .user: "user"
        case .operator: "operator"
        case .administrator: "administrator"
        case .oem: "oem"
        }
    }

    /// Parses names as ipmitool's `-L` accepts them (case-insensitive), or the numbers 1-5.
    public init?(name: String) {
        switch name.lowercased() {
        case "callback", "1": self = .callback
        case "user", "2": self = .user
        case "operator", "3": self = .operator
        case "administrator", "admin", "4": self = .administrator
        case "oem", "oem_proprietary", "5": self = .oem
        default: return nil
        }
    }
}

/// RAKP authentication algorithm (IPMI v2.0 section 13.28, table 13-17).
public enum AuthenticationAlgorithm: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case hmacSHA1 = 1
    case hmacMD5 = 2
    case hmacSHA256 = 3

    /// The HMAC hash, nil for RAKP-none.
    public var hash: HashFunction? {
        switch self {
        case .none: nil
        case .hmacSHA1: .sha1
        case .hmacMD5: .md5
        case .hmacSHA256: .sha256
        }
    }

    /// Length of the RAKP 2 / RAKP 3 key exchange authentication code (full HMAC).
    public var authCodeLength: Int { hash?.digestLength ?? 0 }

    /// Length of the RAKP 4 integrity check value: HMAC truncated to 12 (SHA1), 16 (MD5) or 16 (SHA256)
    /// bytes (section 13.28.1-13.28.1b).
    public var integrityCheckValueLength: Int {
        switch self {
        case .none: 0
        case .hmacSHA1: 12
        case .hmacMD5: 16
        case .hmacSHA256: 16
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .hmacSHA1: "HMAC-SHA1"
        case .hmacMD5: "HMAC-MD5"
        case .hmacSHA256: "HMAC-SHA256"
        }
    }
}

/// Packet integrity algorithm (IPMI v2.0 section 13.28.4, table 13-18).
public enum IntegrityAlgorithm: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case hmacSHA1_96 = 1
    case hmacMD5_128 = 2
    case md5_128 = 3
    case hmacSHA256_128 = 4

    /// Length of the AuthCode field in the session trailer.
    public var authCodeLength: Int {
        switch self {
        case .none: 0
        case .hmacSHA1_96: 12
        case .hmacMD5_128, .md5_128, .hmacSHA256_128: 16
        }
    }

    /// The digest of the HMAC this algorithm truncates; nil for none and for MD5-128, which is a plain digest.
    var hmacHash: HashFunction? {
        switch self {
        case .hmacSHA1_96: .sha1
        case .hmacMD5_128: .md5
        case .hmacSHA256_128: .sha256
        case .none, .md5_128: nil
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .hmacSHA1_96: "HMAC-SHA1-96"
        case .hmacMD5_128: "HMAC-MD5-128"
        case .md5_128: "MD5-128"
        case .hmacSHA256_128: "HMAC-SHA256-128"
        }
    }
}

/// Payload confidentiality algorithm (IPMI v2.0 section 13.28.5, table 13-19).
public enum ConfidentialityAlgorithm: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    case aesCBC128 = 1

    public var description: String {
        switch self {
        case .none: "none"
        case .aesCBC128: "AES-CBC-128"
        }
    }
}

/// An (authentication, integrity, confidentiality) triple, with its standard ID when it has one
/// (IPMI v2.0 section 22.15.2, table 22-20).
public struct CipherSuite: Hashable, Sendable, CustomStringConvertible {
    public var id: UInt8?
    public var authentication: AuthenticationAlgorithm
    public var integrity: IntegrityAlgorithm
    public var confidentiality: ConfidentialityAlgorithm

    /// The standard suites this library implements. Suites 4, 5, 9, 10, 13 and 14 use xRC4, which it
    /// does not.
    static let standard: [UInt8: (AuthenticationAlgorithm, IntegrityAlgorithm, ConfidentialityAlgorithm)] = [
        0: (.none, .none, .none),
        1: (.hmacSHA1, .none, .none),
        2: (.hmacSHA1, .hmacSHA1_96, .none),
        3: (.hmacSHA1, .hmacSHA1_96, .aesCBC128),
        6: (.hmacMD5, .none, .none),
        7: (.hmacMD5, .hmacMD5_128, .none),
        8: (.hmacMD5, .hmacMD5_128, .aesCBC128),
        11: (.hmacMD5, .md5_128, .none),
        12: (.hmacMD5, .md5_128, .aesCBC128),
        15: (.hmacSHA256, .none, .none),
        16: (.hmacSHA256, .hmacSHA256_128, .none),
        17: (.hmacSHA256, .hmacSHA256_128, .aesCBC128),
    ]

    /// The order in which a negotiated suite is chosen: strongest first.
    public static let negotiationPreference: [UInt8] = [17, 16, 15, 3, 2, 1, 8, 7, 12, 11, 6]

    /// The default when nothing is configured and negotiation is not possible.
    public static let suite17 = CipherSuite(id: 17)!
    public static let suite3 = CipherSuite(id: 3)!

    /// One of the standard suites 0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17.
    public init?(id: UInt8) {
        guard let (a, i, c) = Self.standard[id] else { return nil }
        self.id = id
        self.authentication = a
        self.integrity = i
        self.confidentiality = c
    }

    /// An explicit triple; `id` is filled in when the triple is a standard suite.
    public init(
        authentication: AuthenticationAlgorithm, integrity: IntegrityAlgorithm,
        confidentiality: ConfidentialityAlgorithm
    ) {
        self.authentication = authentication
        self.integrity = integrity
        self.confidentiality = confidentiality
        self.id =
            Self.standard.first {
                $0.value.0 == authentication && $0.value.1 == integrity && $0.value.2 == confidentiality
            }?
            .key
    }

    /// True for suite 0 and any triple without authentication: such a session proves nothing.
    public var isUnauthenticated: Bool { authentication == .none }

    /// Integrity and confidentiality both need keys, which only an authentication algorithm produces.
    public var isConsistent: Bool {
        authentication != .none || (integrity == .none && confidentiality == .none)
    }

    public var description: String {
        let triple = "\(authentication)/\(integrity)/\(confidentiality)"
        if let id { return "cipher suite \(id) (\(triple))" }
        return "cipher suite (\(triple))"
    }

    /// Picks the strongest suite the BMC lists, in the order of ``negotiationPreference``; suite 0 only
    /// as a last resort when `allowUnauthenticated` is set.
    public static func strongest(
        supportedBy offered: [CipherSuite], allowUnauthenticated: Bool = false
    )
        -> CipherSuite?
    {
        for id in negotiationPreference {
            if let wanted = CipherSuite(id: id), offered.contains(where: { $0.sameAlgorithms(as: wanted) }) {
                return wanted
            }
        }
        if allowUnauthenticated, let zero = CipherSuite(id: 0), offered.contains(where: { $0.sameAlgorithms(as: zero) })
        {
            return zero
        }
        return nil
    }

    func sameAlgorithms(as other: CipherSuite) -> Bool {
        authentication == other.authentication && integrity == other.integrity
            && confidentiality == other.confidentiality
    }

    /// Parses the cipher suite records returned by Get Channel Cipher Suites (all pages concatenated,
    /// without the leading channel byte) as laid out in IPMI v2.0 section 22.15.2: a start byte 0xC0
    /// (standard) or 0xC1 (OEM, followed by a 3-byte IANA number) and the suite ID, then algorithm bytes
    /// tagged in bits 7:6 (00 authentication, 01 integrity, 10 confidentiality). Records this library
    /// cannot use (unknown algorithms, xRC4) are skipped, never an error.
    public static func parseRecords(_ bytes: [UInt8]) -> [CipherSuite] {
        var suites: [CipherSuite] = []
        var index = 0
        while index < bytes.count {
            let start = bytes[index]
            guard start == 0xC0 || start == 0xC1 else {
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let id = bytes[index]
            index += 1
            if start == 0xC1 { index += 3 }
            var authentication: UInt8?
            var integrity: UInt8?
            var confidentiality: UInt8?
            while index < bytes.count, bytes[index] & 0xC0 != 0xC0 {
                let value = bytes[index] & 0x3F
                switch bytes[index] >> 6 {
                case 0: if authentication == nil { authentication = value }
                case 1: if integrity == nil { integrity = value }
                default: if confidentiality == nil { confidentiality = value }
                }
                index += 1
            }
            guard let a = authentication.flatMap(AuthenticationAlgorithm.init(rawValue:)),
                let i = IntegrityAlgorithm(rawValue: integrity ?? 0),
                let c = ConfidentialityAlgorithm(rawValue: confidentiality ?? 0)
            else { continue }
            var suite = CipherSuite(authentication: a, integrity: i, confidentiality: c)
            if start == 0xC0 { suite.id = id }
            suites.append(suite)
        }
        return suites
    }
}
