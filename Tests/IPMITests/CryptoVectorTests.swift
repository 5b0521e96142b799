import Testing

@testable import IPMI

@Suite("Known-answer tests (vectors from generate_vectors.py)")
struct CryptoVectorTests {
    @Test(arguments: Vectors.shared.rakp)
    func rakpKeyExchange(_ v: Vectors.RAKP) throws {
        let auth = try #require(AuthenticationAlgorithm(rawValue: v.authentication))
        let exchange = RAKPExchange(
            authentication: auth, consoleSessionID: v.sidm, managedSessionID: v.sidc, consoleRandom: hex(v.rm),
            managedRandom: hex(v.rc), managedGUID: hex(v.guid), role: v.role, username: hex(v.username))
        let userKey = hex(v.password)
        let generatingKey = v.kg.map(hex) ?? userKey
        #expect(exchange.rakp2AuthCode(userKey: userKey) == hex(v.rakp2))
        #expect(exchange.rakp3AuthCode(userKey: userKey) == hex(v.rakp3))
        let sik = exchange.sessionIntegrityKey(generatingKey: generatingKey)
        #expect(sik == hex(v.sik))
        let keys = SessionKeys(authentication: auth, sik: sik)
        #expect(keys.k1 == hex(v.k1))
        #expect(keys.k2 == hex(v.k2))
        #expect(keys.aesKey == Array(hex(v.k2).prefix(16)))
        #expect(exchange.rakp4IntegrityCheckValue(sik: sik) == hex(v.rakp4))
        #expect(hex(v.rakp4).count == auth.integrityCheckValueLength)
    }

    @Test(arguments: Vectors.shared.integrity)
    func integrityAuthCode(_ v: Vectors.Integrity) throws {
        let integrity = try #require(IntegrityAlgorithm(rawValue: v.integrity))
        var padded = hex(v.password)
        padded += [UInt8](repeating: 0, count: 20 - padded.count)
        let code = SessionCrypto.authCode(integrity, k1: hex(v.k1), paddedPassword: padded, data: hex(v.data))
        #expect(code == hex(v.authCode))
        #expect(code.count == integrity.authCodeLength)
    }

    @Test(arguments: Vectors.shared.aes)
    func aesConfidentiality(_ v: Vectors.AES) throws {
        let encrypted = try SessionCrypto.encryptAES(key: hex(v.key), iv: hex(v.iv), payload: hex(v.payload))
        #expect(encrypted == hex(v.encrypted))
        #expect(try SessionCrypto.decryptAES(key: hex(v.key), payload: hex(v.encrypted)) == hex(v.payload))
        // The raw CBC layer alone, against the plaintext with its IPMI trailer.
        let raw = try Crypto.aes128CBC(
            encrypt: false, key: hex(v.key), iv: hex(v.iv), input: Array(hex(v.encrypted).dropFirst(16)))
        #expect(raw == hex(v.plaintextWithTrailer))
    }

    @Test func aesPaddingLayout() throws {
        // Section 13.29: 14 payload bytes need one pad byte (0x01) and the pad length 0x01; 15 need none.
        let key = [UInt8](repeating: 0x11, count: 16)
        let iv = [UInt8](repeating: 0x22, count: 16)
        for (count, trailer) in [
            (14, [0x01, 0x01]), (15, [0x00]), (0, Array(1...15) + [15]), (16, Array(1...15) + [15]),
        ] {
            let payload = [UInt8](repeating: 0xAB, count: count)
            let sealed = try SessionCrypto.encryptAES(key: key, iv: iv, payload: payload)
            let plain = try Crypto.aes128CBC(encrypt: false, key: key, iv: iv, input: Array(sealed.dropFirst(16)))
            #expect(plain == payload + trailer.map { UInt8($0) })
        }
    }

    @Test func aesRejectsBadPadding() throws {
        let key = [UInt8](repeating: 0x11, count: 16)
        let iv = [UInt8](repeating: 0x22, count: 16)
        // Pad length byte 0x03 but pad bytes that are not 1, 2, 3.
        let bad = [UInt8](repeating: 0xAB, count: 12) + [0x09, 0x09, 0x09, 0x03]
        let sealed = iv + (try Crypto.aes128CBC(encrypt: true, key: key, iv: iv, input: bad))
        #expect(throws: IPMIError.self) { try SessionCrypto.decryptAES(key: key, payload: sealed) }
        #expect(throws: IPMIError.self) { try SessionCrypto.decryptAES(key: key, payload: Array(sealed.prefix(20))) }
    }

    @Test func digestsMatchPublishedValues() {
        // RFC 1321 / FIPS 180 test vectors for "abc", and RFC 2202 test case 2 for HMAC-SHA1.
        #expect(Crypto.digest(.md5, Array("abc".utf8)) == hex("900150983cd24fb0d6963f7d28e17f72"))
        #expect(Crypto.digest(.md5, []) == hex("d41d8cd98f00b204e9800998ecf8427e"))
        #expect(
            Crypto.digest(.sha256, Array("abc".utf8))
                == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(
            Crypto.hmac(.sha1, key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
                == hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
        #expect(Crypto.hmac(.sha256, key: [], data: []).count == 32)
    }

    /// The seven test vectors of RFC 1319 appendix A.5.
    @Test(arguments: [
        ("", "8350e5a3e24c153df2275c9f80692773"),
        ("a", "32ec01ec4a6dac72c0ab96fb34c0b5d1"),
        ("abc", "da853b0d3f88d99b30283a69e6ded6bb"),
        ("message digest", "ab4f496bfb2a530b219ff33031fe06b0"),
        ("abcdefghijklmnopqrstuvwxyz", "4e8ddff3650292ab5a4108c3aa47940b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "da33def2a42df13975352846c30338cd"),
        (String(repeating: "1234567890", count: 8), "d5976f79d83d3a0dc9806c3c66f3efd8"),
    ])
    func md2MatchesRFC1319(message: String, digest: String) {
        #expect(MD2.digest(Array(message.utf8)) == hex(digest))
    }

    /// RFC 1319 section 3.2: the substitution table is a permutation of 0...255.
    @Test func md2TableIsAPermutation() {
        #expect(MD2.piSubstitution.count == 256 && Set(MD2.piSubstitution).count == 256)
    }

    @Test func randomBytesDiffer() {
        let a = OpenSSLRandom().bytes(16)
        let b = OpenSSLRandom().bytes(16)
        #expect(a.count == 16)
        #expect(a != b)
    }
}
