import CCrypt
import CLibCrypto

/// A bcrypt password hash in the modular crypt format, `$2b$10$` + 22 characters of salt + 31 of hash, as made
/// by `htpasswd -B`, Python's bcrypt and Go's x/crypto/bcrypt (which the Prometheus exporter-toolkit uses).
/// bcrypt itself is libxcrypt's (`crypt_rn`); this type decides what the web config accepts and compares.
///
/// The versions 2a, 2b and 2y differ only in bugs of particular C implementations with passwords longer than
/// 255 bytes or with 8-bit characters; libxcrypt computes all three the corrected way, so they agree for every
/// password accepted here: at most 72 bytes (as Go does: bcrypt would otherwise silently ignore the rest) and
/// without NUL (crypt takes a C string, so `a\0b` would be checked as `a`).
public struct BcryptHash: Sendable, Hashable {
    /// The modular crypt text, `$2b$10$…`.
    public let text: String
    public let version: String
    public let cost: Int

    public static let versions = ["2a", "2b", "2y"]
    public static let costs = 4...31
    /// Longest password bcrypt can take into account (the key is the password and a NUL, at most 72 bytes).
    public static let maxPasswordBytes = 72
    /// bcrypt's base 64 alphabet, in which salt and hash are written.
    static let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    /// The hash part: the last 31 characters.
    static let digestCharacters = 31

    /// Parses `$2b$CC$<salt><hash>`; nil if it is not a bcrypt hash of a supported version and cost.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[3] == UInt8(ascii: "$"),
            bytes[6] == UInt8(ascii: "$")
        else { return nil }
        let version = String(decoding: bytes[1..<3], as: UTF8.self)
        guard Self.versions.contains(version),
            bytes[4..<6].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), Self.costs.contains(cost),
            // crypt_rn reads only the salt and would take a hash with a stray character for one no password
            // matches; refusing it here turns a typo into a load error instead of a locked-out user.
            bytes[7...].allSatisfy(Self.alphabet.contains),
            // And libxcrypt agrees it can use the salt (a check without hashing).
            crypt_checksalt(text) == CRYPT_SALT_OK
        else { return nil }
        self.init(text: text, version: version, cost: cost)
    }

    private init(text: String, version: String, cost: Int) {
        self.text = text
        self.version = version
        self.cost = cost
    }

    /// Whether `password` hashes to this hash (one bcrypt computation: run it off the event loops); the
    /// comparison takes the same time wherever the hashes differ.
    public func verify(password: some Collection<UInt8>) -> Bool {
        guard let computed = Self.crypt(password, setting: text), computed.count == 60 else { return false }
        // Only the hash part: libxcrypt writes the salt's last character with its 4 unused bits cleared, and
        // Go ignores those bits as well, so a salt written with them set still verifies.
        return WebCrypto.constantTimeEqual(
            computed.suffix(Self.digestCharacters), text.utf8.suffix(Self.digestCharacters))
    }

    /// A new hash of `password` with a random salt from libxcrypt; nil for a password ``verify(password:)``
    /// would refuse. The exporter only checks hashes; tests make theirs with this.
    static func make(password: some Collection<UInt8>, cost: Int, version: String = "2b") -> BcryptHash? {
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard Self.versions.contains(version), Self.costs.contains(cost),
            let salt = crypt_gensalt_rn("$\(version)$", UInt(cost), nil, 0, &setting, Int32(setting.count)),
            let hashed = crypt(password, setting: String(cString: salt))
        else { return nil }
        return BcryptHash(parsing: String(decoding: hashed, as: UTF8.self))
    }

    /// A hash of the given cost whose hash part is all zero bits, which no known password produces: unknown
    /// users are checked against it, so that answering them costs as much time as answering known ones.
    static func decoy(cost: Int) -> BcryptHash {
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return BcryptHash(text: "$2b$\(costText)$" + String(repeating: ".", count: 53), version: "2b", cost: cost)
    }

    /// crypt_rn's output for `password` under `setting` (a hash, or a salt from crypt_gensalt_rn); nil when the
    /// password is too long or holds a NUL, or libxcrypt refuses the setting.
    private static func crypt(_ password: some Collection<UInt8>, setting: String) -> [UInt8]? {
        guard password.count <= maxPasswordBytes, !password.contains(0) else { return nil }
        var phrase = password.map { CChar(bitPattern: $0) }
        phrase.append(0)
        // crypt_rn keeps its state (32 KiB) in the caller's crypt_data, which makes it thread-safe: one per call,
        // zeroed before as crypt_rn asks and cleansed after since it held the password.
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            OPENSSL_cleanse(data, size)
            data.deallocate()
            phrase.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        }
        guard let output = crypt_rn(phrase, setting, data, Int32(size)) else { return nil }
        return Array(UnsafeRawBufferPointer(start: output, count: strlen(output)))
    }
}

extension BcryptHash: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never the hash itself: it allows offline guessing of the password.
    public var description: String { "$\(version)$\(cost)$<redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
