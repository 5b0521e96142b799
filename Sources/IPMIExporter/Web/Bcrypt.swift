import IPMI

/// bcrypt password hashes in the modular crypt format `$2b$10$` + 22 characters of salt + 31 of hash, as made
/// by `htpasswd -B`, Python's bcrypt and Go's x/crypto/bcrypt (which the Prometheus exporter-toolkit uses).
///
/// The versions 2a, 2b and 2y differ only in bugs of particular C implementations with passwords longer than
/// 255 bytes or with 8-bit characters; for passwords of at most 72 bytes, which is all that is accepted here
/// (as Go does: longer ones would otherwise be silently truncated), they compute the same hash.
public struct BcryptHash: Sendable, Hashable {
    public var version: String
    public var cost: Int
    /// 16 bytes.
    public var salt: [UInt8]
    /// 23 bytes: the first 23 of the 24-byte ciphertext.
    public var digest: [UInt8]

    public static let versions = ["2a", "2b", "2y"]
    public static let costs = 4...31
    /// Longest password bcrypt can take into account (the key is the password and a NUL, at most 72 bytes).
    public static let maxPasswordBytes = 72

    /// Parses `$2b$CC$<salt><hash>`; nil if it is not a bcrypt hash of a supported version.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[3] == UInt8(ascii: "$"),
            bytes[6] == UInt8(ascii: "$")
        else { return nil }
        let version = String(decoding: bytes[1..<3], as: UTF8.self)
        guard Self.versions.contains(version),
            bytes[4..<6].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), Self.costs.contains(cost),
            let salt = BcryptBase64.decode(bytes[7..<29], count: 16),
            let digest = BcryptBase64.decode(bytes[29..<60], count: 23)
        else { return nil }
        self.init(version: version, cost: cost, salt: salt, digest: digest)
    }

    public init(version: String = "2b", cost: Int, salt: [UInt8], digest: [UInt8]) {
        self.version = version
        self.cost = cost
        self.salt = salt
        self.digest = digest
    }

    /// Hashes `password` with a given salt and cost; nil if the password is longer than 72 bytes.
    public static func make(
        password: some Collection<UInt8>, salt: [UInt8], cost: Int, version: String = "2b"
    )
        -> BcryptHash?
    {
        precondition(salt.count == 16 && costs.contains(cost))
        guard let digest = digest(password: password, salt: salt, cost: cost) else { return nil }
        return BcryptHash(version: version, cost: cost, salt: salt, digest: digest)
    }

    /// Whether `password` hashes to this hash; the comparison takes the same time wherever they differ.
    public func verify(password: some Collection<UInt8>) -> Bool {
        guard let computed = Self.digest(password: password, salt: salt, cost: cost) else { return false }
        return constantTimeEqual(computed, digest)
    }

    /// The modular crypt text, `$2b$10$…`.
    public var text: String {
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$\(version)$\(costText)$" + BcryptBase64.encode(salt) + BcryptBase64.encode(digest)
    }

    /// The 24 bytes "OrpheanBeholderScryDoubt" encrypted 64 times with the expensively keyed Blowfish; the
    /// first 23 bytes are kept (a historical quirk of the OpenBSD encoding that every implementation follows).
    private static func digest(password: some Collection<UInt8>, salt: [UInt8], cost: Int) -> [UInt8]? {
        guard password.count <= maxPasswordBytes else { return nil }
        var key = Array(password)
        key.append(0)
        if key.count > maxPasswordBytes { key.removeLast() }
        let cipher = Blowfish(expensiveSetupWithCost: cost, salt: salt, key: key)
        let magic = Array("OrpheanBeholderScryDoubt".utf8)
        var words = (0..<6).map { i in
            magic[(4 * i)..<(4 * i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        for block in 0..<3 {
            var left = words[2 * block]
            var right = words[2 * block + 1]
            for _ in 0..<64 {
                cipher.encrypt(&left, &right)
            }
            words[2 * block] = left
            words[2 * block + 1] = right
        }
        var output: [UInt8] = []
        output.reserveCapacity(24)
        for word in words {
            output += [UInt8(word >> 24), UInt8((word >> 16) & 0xFF), UInt8((word >> 8) & 0xFF), UInt8(word & 0xFF)]
        }
        return Array(output.prefix(23))
    }
}

/// bcrypt's base 64: the bit order of RFC 4648 base 64 but the alphabet `./A–Za–z0–9` and no padding.
enum BcryptBase64 {
    static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1: UInt8 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2: UInt8 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if index + 1 < bytes.count { output.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)]) }
            if index + 2 < bytes.count { output.append(alphabet[Int(b2 & 0x3F)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes exactly `count` bytes; the unused low bits of the last character are ignored, as bcrypt does.
    static func decode(_ text: ArraySlice<UInt8>, count: Int) -> [UInt8]? {
        var bits: UInt32 = 0
        var bitCount = 0
        var output: [UInt8] = []
        for character in text {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            bits = bits << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8((bits >> UInt32(bitCount)) & 0xFF))
            }
        }
        guard output.count >= count else { return nil }
        return Array(output.prefix(count))
    }
}
