import CLibCrypto

/// The keyed digest and the comparison web authentication needs, from OpenSSL directly: the `IPMI` target's
/// crypto is shaped by the session protocol and its performance, and web auth should not change when it does.
enum WebCrypto {
    /// Whether `a` and `b` hold the same bytes, in a time that depends only on their lengths.
    static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let a = Array(a)
        let b = Array(b)
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }

    /// HMAC-SHA-256 of `message` under `key`; nil if OpenSSL fails (then nothing may be keyed by it).
    static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let done = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &output, &length)
        guard done != nil, length == 32 else { return nil }
        return output
    }
}
