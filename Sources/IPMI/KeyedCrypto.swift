import CLibCrypto
import Synchronization

/// OpenSSL contexts that stay keyed for the life of one session: HMAC under K1 and AES-CBC-128 under K2's first
/// 16 bytes (IPMI v2.0 sections 13.28.4, 13.29).
///
/// Keying costs more than the work on a 40-byte packet (HMAC hashes the padded key twice; AES expands its key
/// schedule), so it happens once here instead of per packet. Sealing and opening then only reset the context:
/// HMAC to its keyed start (`HMAC_Init_ex` with no key and no digest reuses both), AES to a new IV.
/// The contexts are mutable C state behind immutable pointers: every use holds `lock`, which makes copies of a
/// ``SessionCrypto`` safe to use from any thread (a session uses its own serially, so the lock is uncontended).
/// That is why the class can be `@unchecked Sendable`.
final class KeyedCrypto: @unchecked Sendable {
    private let hmacContext: OpaquePointer?
    private let encryptContext: OpaquePointer?
    private let decryptContext: OpaquePointer?
    private let lock = Mutex(())

    var hasAES: Bool { encryptContext != nil && decryptContext != nil }

    /// - Parameters:
    ///   - hash: the HMAC digest, or nil when the integrity algorithm is not an HMAC.
    ///   - aesKey: 16 bytes, or nil without confidentiality.
    init(hmac hash: HashFunction?, k1: [UInt8], aesKey: [UInt8]?) {
        var hmacContext: OpaquePointer?
        if let hash, !k1.isEmpty, let context = HMAC_CTX_new() {
            let keyed = k1.withUnsafeBufferPointer {
                HMAC_Init_ex(context, $0.baseAddress, Int32($0.count), hash.fetched, nil) == 1
            }
            if keyed { hmacContext = context } else { HMAC_CTX_free(context) }
        }
        var encrypt: OpaquePointer?
        var decrypt: OpaquePointer?
        if let aesKey, aesKey.count == 16 {
            encrypt = Self.aesContext(key: aesKey, encrypt: true)
            decrypt = Self.aesContext(key: aesKey, encrypt: false)
        }
        self.hmacContext = hmacContext
        self.encryptContext = encrypt
        self.decryptContext = decrypt
    }

    deinit {
        HMAC_CTX_free(hmacContext)
        EVP_CIPHER_CTX_free(encryptContext)
        EVP_CIPHER_CTX_free(decryptContext)
    }

    private static func aesContext(key: [UInt8], encrypt: Bool) -> OpaquePointer? {
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        let keyed = key.withUnsafeBufferPointer {
            EVP_CipherInit_ex(context, FetchedAlgorithms.aes128CBC, nil, $0.baseAddress, nil, encrypt ? 1 : 0) == 1
        }
        guard keyed, EVP_CIPHER_CTX_set_padding(context, 0) == 1 else {
            EVP_CIPHER_CTX_free(context)
            return nil
        }
        return context
    }

    /// HMAC under the session key of `bytes`, or nil if OpenSSL failed (callers then fall back to one-shot).
    func hmac(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let context = hmacContext else { return nil }
        return lock.withLock { _ -> [UInt8]? in
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            // A non-NULL data pointer even for empty input.
            let data = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            let ok = output.withUnsafeMutableBufferPointer { out in
                HMAC_Init_ex(context, nil, 0, nil, nil) == 1
                    && HMAC_Update(context, data.assumingMemoryBound(to: UInt8.self), bytes.count) == 1
                    && HMAC_Final(context, out.baseAddress, &length) == 1
            }
            guard ok else { return nil }
            output.removeLast(output.count - Int(length))
            return output
        }
    }

    /// AES-128-CBC without padding under the session key; `input.count` must be a multiple of 16. The output is
    /// appended to `output`. False if OpenSSL failed.
    func aes(
        encrypt: Bool, iv: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]
    ) -> Bool {
        guard iv.count == 16, input.count % 16 == 0 else { return false }
        if input.isEmpty { return true }
        guard let context = encrypt ? encryptContext : decryptContext else { return false }
        return lock.withLock { _ -> Bool in
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: input.count + 16))
            var written: Int32 = 0
            var finalWritten: Int32 = 0
            let ok = output.withUnsafeMutableBufferPointer { out -> Bool in
                let destination = out.baseAddress! + start
                return EVP_CipherInit_ex(
                    context, nil, nil, nil, iv.baseAddress!.assumingMemoryBound(to: UInt8.self), -1) == 1
                    && EVP_CipherUpdate(
                        context, destination, &written, input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        Int32(input.count)) == 1
                    && EVP_CipherFinal_ex(context, destination + Int(written), &finalWritten) == 1
            }
            guard ok else {
                output.removeLast(output.count - start)
                return false
            }
            output.removeLast(output.count - start - Int(written + finalWritten))
            return true
        }
    }
}
