import Testing

@testable import IPMI

/// `KeyedCrypto` computes HMAC from digest states it keeps after the key's pads (RFC 2104), on plain OpenSSL digest
/// structs. OpenSSL's own HMAC (`Crypto.hmac`, checked against the published vectors) is the reference, over lengths
/// on both sides of the 64-byte block and its 55/56-byte padding edge, and over keys longer than a block.
@Suite("HMAC from precomputed key pads")
struct PrecomputedHMACTests {
    static let hashes: [HashFunction] = [.sha1, .md5, .sha256]
    static let dataLengths = [0, 1, 20, 55, 56, 63, 64, 65, 119, 120, 128, 200]
    static let keyLengths = [1, 16, 20, 32, 64, 65, 100]

    @Test(arguments: hashes)
    func everyLengthMatchesOpenSSLsHMAC(_ hash: HashFunction) throws {
        for keyLength in Self.keyLengths {
            let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let keyed = KeyedCrypto(hmac: hash, k1: key, aesKey: nil)
            for dataLength in Self.dataLengths {
                let data = (0..<dataLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }
                var output = [UInt8](repeating: 0xEE, count: KeyedCrypto.digestCapacity)
                let length = try #require(
                    data.withUnsafeBytes { bytes in
                        output.withUnsafeMutableBytes { keyed.hmac(bytes, into: $0) }
                    })
                #expect(length == hash.digestLength)
                #expect(
                    Array(output.prefix(length)) == Crypto.hmac(hash, key: key, data: data),
                    "\(hash), key \(keyLength) bytes, data \(dataLength) bytes")
            }
        }
    }

    /// RFC 4231 test case 2 (key "Jefe"), HMAC-SHA-256: the published value, not another implementation's output.
    @Test func rfc4231Case2() throws {
        let keyed = KeyedCrypto(hmac: .sha256, k1: Array("Jefe".utf8), aesKey: nil)
        let data = Array("what do ya want for nothing?".utf8)
        var output = [UInt8](repeating: 0, count: KeyedCrypto.digestCapacity)
        let length = try #require(
            data.withUnsafeBytes { bytes in output.withUnsafeMutableBytes { keyed.hmac(bytes, into: $0) } })
        let hex = output.prefix(length).map { String(format: "%02x", $0) }.joined()
        #expect(hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func noKeyMeansNoKeyedHMAC() {
        let keyed = KeyedCrypto(hmac: .sha1, k1: [], aesKey: nil)
        var output = [UInt8](repeating: 0, count: KeyedCrypto.digestCapacity)
        let result = [UInt8]([1, 2, 3]).withUnsafeBytes { bytes in
            output.withUnsafeMutableBytes { keyed.hmac(bytes, into: $0) }
        }
        #expect(result == nil)
    }
}
