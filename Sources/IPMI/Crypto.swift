import CLibCrypto
import NIOConcurrencyHelpers

/// The hash functions IPMI v2.0 uses for RAKP authentication and packet integrity (sections 13.28-13.28.4).
public enum HashFunction: Sendable {
    case sha1, md5, sha256

    /// Digest length in bytes.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .md5: 16
        case .sha256: 32
        }
    }

    /// The shim's name for this digest in `ipmi_hmac_key_init`.
    var hmacAlgorithm: Int32 {
        switch self {
        case .sha1: Int32(IPMI_HMAC_SHA1)
        case .md5: Int32(IPMI_HMAC_MD5)
        case .sha256: Int32(IPMI_HMAC_SHA256)
        }
    }

    var fetched: OpaquePointer? {
        switch self {
        case .sha1: FetchedAlgorithms.sha1
        case .md5: FetchedAlgorithms.md5
        case .sha256: FetchedAlgorithms.sha256
        }
    }
}

/// Algorithms fetched from OpenSSL's default provider once per process. OpenSSL 3 otherwise looks an
/// algorithm up by name (locks and string compares) on every HMAC and cipher initialisation, which is a
/// good part of the cost of sealing or opening a small IPMI packet. Fetched objects are immutable and
/// safe to share between threads; they live as long as the process.
enum FetchedAlgorithms {
    nonisolated(unsafe) static let sha1: OpaquePointer? = EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1()
    nonisolated(unsafe) static let md5: OpaquePointer? = EVP_MD_fetch(nil, "MD5", nil) ?? EVP_md5()
    nonisolated(unsafe) static let sha256: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()
    nonisolated(unsafe) static let aes128CBC: OpaquePointer? =
        EVP_CIPHER_fetch(nil, "AES-128-CBC", nil) ?? EVP_aes_128_cbc()
    nonisolated(unsafe) static let aes128ECB: OpaquePointer? =
        EVP_CIPHER_fetch(nil, "AES-128-ECB", nil) ?? EVP_aes_128_ecb()
}

/// Thin wrappers over OpenSSL libcrypto; byte arrays in, byte arrays out.
public enum Crypto {
    /// HMAC of `data` under `key`. Keys shorter than the hash block are zero-padded by HMAC itself, so a
    /// password zero-padded to 20 bytes (as IPMI stores it) gives the same result as the bare password.
    public static func hmac(_ hash: HashFunction, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // A one-byte zero key equals the empty key under HMAC's zero padding, and avoids passing NULL.
        let key = key.isEmpty ? [0] : key
        // An HMAC context with the pre-fetched digest: the one-shot HMAC() of OpenSSL 3 looks both the MAC
        // and the digest up by name on every call.
        guard let context = ipmi_hmac_ctx_new() else { return [] }
        defer { ipmi_hmac_ctx_free(context) }
        let ok = key.withUnsafeBufferPointer { keyBuffer in
            data.withUnsafeBufferPointer { dataBuffer in
                output.withUnsafeMutableBufferPointer { out in
                    ipmi_hmac_init(context, keyBuffer.baseAddress, Int32(keyBuffer.count), hash.fetched) == 1
                        && ipmi_hmac_update(context, dataBuffer.baseAddress ?? keyBuffer.baseAddress, dataBuffer.count)
                            == 1
                        && ipmi_hmac_final(context, out.baseAddress, &length) == 1
                }
            }
        }
        guard ok else { return [] }
        return Array(output.prefix(Int(length)))
    }

    /// A plain digest.
    public static func digest(_ hash: HashFunction, _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let count = data.count
        // Never hand OpenSSL a NULL pointer, even for empty input.
        let storage = data.isEmpty ? [0] : data
        storage.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                _ = EVP_Digest(input.baseAddress, count, out.baseAddress, &length, hash.fetched, nil)
            }
        }
        return Array(output.prefix(Int(length)))
    }

    /// AES-128-CBC without padding; `input.count` must be a multiple of 16.
    public static func aes128CBC(encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]) throws(IPMIError) -> [UInt8]
    {
        guard key.count == 16, iv.count == 16 else { throw .crypto("AES-128 needs a 16-byte key and IV") }
        guard input.count % 16 == 0 else { throw .malformed("AES-CBC input is not a multiple of 16 bytes") }
        if input.isEmpty { return [] }
        guard let context = EVP_CIPHER_CTX_new() else { throw .crypto("cannot allocate cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            iv.withUnsafeBufferPointer { v in
                input.withUnsafeBufferPointer { inBuf in
                    output.withUnsafeMutableBufferPointer { out -> Bool in
                        guard
                            EVP_CipherInit_ex(
                                context, FetchedAlgorithms.aes128CBC, nil, k.baseAddress, v.baseAddress, encrypt ? 1 : 0
                            ) == 1,
                            EVP_CIPHER_CTX_set_padding(context, 0) == 1,
                            EVP_CipherUpdate(
                                context, out.baseAddress, &written, inBuf.baseAddress, Int32(inBuf.count)) == 1,
                            EVP_CipherFinal_ex(context, out.baseAddress! + Int(written), &finalWritten) == 1
                        else { return false }
                        return true
                    }
                }
            }
        }
        guard ok else { throw .crypto("AES-128-CBC operation failed") }
        return Array(output.prefix(Int(written + finalWritten)))
    }

    /// Cryptographically strong random bytes from OpenSSL.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: count)
        let status = output.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(status == 1, "OpenSSL RAND_bytes failed")
        return output
    }
}

/// Where the session takes its random numbers (console random Rm, message tag, AES IVs, first rqSeq).
/// Tests inject fixed bytes.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]

    /// Fills `buffer` with the next `buffer.count` random bytes, the same draw as `bytes(buffer.count)`; false
    /// (and `buffer` unspecified) if the source gave a different count. Lets a caller take an AES IV straight into
    /// the packet instead of through an array per packet.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool
}

extension RandomSource {
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let drawn = bytes(buffer.count)
        guard drawn.count == buffer.count else { return false }
        buffer.copyBytes(from: drawn)
        return true
    }
}

/// The default random source: OpenSSL's CSPRNG.
///
/// Small draws (an AES IV per encrypted packet) come from a buffer refilled 4 KB at a time: each `RAND_bytes` call
/// also asks the kernel for the process ID (OpenSSL's fork check), a system call per packet otherwise. Every byte
/// is handed out once.
public struct OpenSSLRandom: RandomSource {
    /// The process-wide pool, held here so that a draw does not look the global up (`swift_once` on Linux).
    private let pool = RandomPool.shared

    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        count <= RandomPool.largestPooledDraw ? pool.take(count) : Crypto.randomBytes(count)
    }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard buffer.count <= RandomPool.largestPooledDraw else {
            buffer.copyBytes(from: Crypto.randomBytes(buffer.count))
            return true
        }
        pool.take(into: buffer)
        return true
    }
}

private final class RandomPool: Sendable {
    static let shared = RandomPool()
    static var largestPooledDraw: Int { 64 }
    private static let refillSize = 4096

    private struct State {
        var buffer: [UInt8] = []
        var next = 0
    }

    // NIO's pthread lock rather than `Mutex`: sessions on several threads draw from the pool, and ThreadSanitizer
    // (see `make tsan`) sees this lock but not `Mutex`.
    private let state = NIOLockedValueBox(State())

    func take(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            take(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    func take(into output: UnsafeMutableRawBufferPointer) {
        let count = output.count
        guard count > 0 else { return }
        state.withLockedValue { state in
            if state.buffer.count - state.next < count {
                state.buffer = Crypto.randomBytes(Self.refillSize)
                state.next = 0
            }
            defer { state.next += count }
            state.buffer.withUnsafeBytes { pool in
                output.copyMemory(from: UnsafeRawBufferPointer(rebasing: pool[state.next..<(state.next + count)]))
            }
        }
    }
}
