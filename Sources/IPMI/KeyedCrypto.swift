import CLibCrypto
import NIOConcurrencyHelpers

/// OpenSSL contexts that stay keyed for the life of one session: HMAC under K1 and AES-CBC-128 under K2's first
/// 16 bytes (IPMI v2.0 sections 13.28.4, 13.29).
///
/// Keying costs more than the work on a 40-byte packet (HMAC hashes the padded key twice; AES expands its key
/// schedule), so it happens once here instead of per packet. HMAC keeps the digest states after the key's inner
/// and outer pads (`ipmi_hmac_key`, RFC 2104) and starts each packet from copies of them, on the stack; AES runs
/// in ECB mode, which needs no reset, with the CBC chaining done in Swift.
/// The HMAC key is written once, in `init`, and only read after that. The AES contexts are mutable C state behind
/// immutable pointers: every use holds `lock`, which makes copies of a ``SessionCrypto`` safe to use from any
/// thread (a session uses its own serially, so the lock is uncontended). That is why the class can be
/// `@unchecked Sendable`.
final class KeyedCrypto: @unchecked Sendable {
    private let hmacKey: UnsafeMutablePointer<ipmi_hmac_key>?
    private let encryptContext: OpaquePointer?
    private let decryptContext: OpaquePointer?
    private let lock = NIOLock()

    /// Room for any digest OpenSSL produces (`EVP_MAX_MD_SIZE`): the size of an HMAC output buffer.
    /// A computed constant rather than a stored static: on Linux every read of a global goes through `swift_once`.
    static var digestCapacity: Int { Int(EVP_MAX_MD_SIZE) }

    var hasAES: Bool { encryptContext != nil && decryptContext != nil }

    /// - Parameters:
    ///   - hash: the HMAC digest, or nil when the integrity algorithm is not an HMAC.
    ///   - aesKey: 16 bytes, or nil without confidentiality.
    init(hmac hash: HashFunction?, k1: [UInt8], aesKey: [UInt8]?) {
        var hmacKey: UnsafeMutablePointer<ipmi_hmac_key>?
        if let hash, !k1.isEmpty {
            let key = UnsafeMutablePointer<ipmi_hmac_key>.allocate(capacity: 1)
            let keyed = k1.withUnsafeBufferPointer {
                ipmi_hmac_key_init(key, hash.hmacAlgorithm, $0.baseAddress, $0.count) == 1
            }
            if keyed { hmacKey = key } else { key.deallocate() }
        }
        var encrypt: OpaquePointer?
        var decrypt: OpaquePointer?
        if let aesKey, aesKey.count == 16 {
            encrypt = Self.aesContext(key: aesKey, encrypt: true)
            decrypt = Self.aesContext(key: aesKey, encrypt: false)
        }
        self.hmacKey = hmacKey
        self.encryptContext = encrypt
        self.decryptContext = decrypt
    }

    deinit {
        if let hmacKey {
            ipmi_hmac_key_clear(hmacKey)
            hmacKey.deallocate()
        }
        EVP_CIPHER_CTX_free(encryptContext)
        EVP_CIPHER_CTX_free(decryptContext)
    }

    private static func aesContext(key: [UInt8], encrypt: Bool) -> OpaquePointer? {
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        let keyed = key.withUnsafeBufferPointer {
            EVP_CipherInit_ex(context, FetchedAlgorithms.aes128ECB, nil, $0.baseAddress, nil, encrypt ? 1 : 0) == 1
        }
        guard keyed, EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
            EVP_CIPHER_CTX_free(context)
            return nil
        }
        return context
    }

    /// HMAC under the session key of `bytes`, written to the start of `output` (at least `EVP_MAX_MD_SIZE`
    /// bytes, so callers can use a stack buffer instead of building an array per packet). Returns the digest
    /// length, or nil without an HMAC key (callers then fall back to one-shot).
    func hmac(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let hmacKey, output.count >= Self.digestCapacity else { return nil }
        // A non-NULL data pointer even for empty input.
        let data = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        return Int(ipmi_hmac_compute(hmacKey, data, bytes.count, out))
    }

    /// AES-128-CBC encryption without padding under the session key, in place: `blocks.count` must be a
    /// multiple of 16. False if OpenSSL failed.
    ///
    /// The context is AES-128-ECB and the CBC chaining (C_i = E(P_i xor C_(i-1)), C_0 = IV) happens here:
    /// setting a new IV on an OpenSSL 3 CBC context per packet goes through provider parameter lookups that
    /// cost more than encrypting a 32-byte IPMI payload. The result is the same AES-128-CBC that IPMI v2.0
    /// section 13.29 specifies (its own pad is added by the caller).
    func aesEncryptCBC(iv: UnsafeRawBufferPointer, inPlace blocks: UnsafeMutableRawBufferPointer) -> Bool {
        guard iv.count == 16, blocks.count % 16 == 0 else { return false }
        if blocks.isEmpty { return true }
        guard let context = encryptContext else { return false }
        return lock.withLock { () -> Bool in
            let base = blocks.baseAddress!
            var previous = iv.baseAddress!
            for offset in stride(from: 0, to: blocks.count, by: 16) {
                let block = base + offset
                Self.xor16(block, previous)
                var written: Int32 = 0
                let pointer = block.assumingMemoryBound(to: UInt8.self)
                guard EVP_CipherUpdate(context, pointer, &written, pointer, 16) == 1, written == 16 else {
                    return false
                }
                previous = UnsafeRawPointer(block)
            }
            return true
        }
    }

    /// AES-128-CBC decryption without padding under the session key: `input.count` must be a multiple of 16
    /// and `output` at least as long, not overlapping `input`. All blocks are decrypted in one ECB call, then
    /// P_i = D(C_i) xor C_(i-1) with C_0 = IV (see ``aesEncryptCBC(iv:inPlace:)`` for why ECB). False if OpenSSL
    /// failed.
    func aesDecryptCBC(
        iv: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard iv.count == 16, input.count % 16 == 0, output.count >= input.count else { return false }
        if input.isEmpty { return true }
        guard let context = decryptContext else { return false }
        return lock.withLock { () -> Bool in
            var written: Int32 = 0
            guard
                EVP_CipherUpdate(
                    context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &written,
                    input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)) == 1,
                Int(written) == input.count
            else { return false }
            Self.xor16(output.baseAddress!, iv.baseAddress!)
            for offset in stride(from: 16, to: input.count, by: 16) {
                Self.xor16(output.baseAddress! + offset, input.baseAddress! + offset - 16)
            }
            return true
        }
    }

    /// `block[0..<16] ^= other[0..<16]`, as two 64-bit words (alignment-free loads).
    private static func xor16(_ block: UnsafeMutableRawPointer, _ other: UnsafeRawPointer) {
        for word in 0..<2 {
            let offset = word * 8
            let value =
                block.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                ^ other.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            block.storeBytes(of: value, toByteOffset: offset, as: UInt64.self)
        }
    }
}
