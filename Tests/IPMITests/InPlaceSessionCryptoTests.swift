import IPMI
import Testing

/// `SessionCrypto` seals into one buffer and opens in place (AES-CBC chained by hand over an ECB context, HMAC into
/// a stack buffer). Packets must still be byte for byte what the one-shot functions give, for every payload length
/// around the 16-byte AES block and the 4-byte integrity pad, and opening must reject exactly what it rejected.
@Suite("Session crypto in place")
struct InPlaceSessionCryptoTests {
    static let sik = (0..<UInt8(32)).map { $0 &* 5 &+ 11 }
    static let password = Array("in-place".utf8)
    static let paddedPassword = password + [UInt8](repeating: 0, count: 20 - password.count)

    /// A packet built only from the one-shot reference functions (checked against known-answer vectors).
    static func reference(
        _ suite: CipherSuite, keys: SessionKeys, sequence: UInt32, body: [UInt8], encrypted: Bool,
        authenticated: Bool
    ) -> [UInt8] {
        RMCPPlusPacket(
            payloadType: .ipmi, isEncrypted: encrypted, isAuthenticated: authenticated, sessionID: 0xA1B2_C3D4,
            sequenceNumber: sequence, payload: body
        ).encode {
            SessionCrypto.authCode(suite.integrity, k1: keys.k1, paddedPassword: paddedPassword, data: $0)
        }
    }

    @Test(arguments: CipherSuite.negotiationPreference)
    func everyPayloadLengthMatchesTheOneShotComputation(_ id: UInt8) throws {
        let suite = try #require(CipherSuite(id: id))
        let keys = SessionKeys(authentication: suite.authentication, sik: Self.sik)
        let crypto = SessionCrypto(suite: suite, keys: keys, password: Self.password)
        let encrypted = suite.confidentiality == .aesCBC128
        for length in 0...49 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            let iv = (0..<16).map { UInt8(truncatingIfNeeded: $0 &+ length &* 3) }
            let sequence = UInt32(length + 1)
            let sealed = try crypto.seal(sessionID: 0xA1B2_C3D4, sequenceNumber: sequence, payload: payload, iv: iv)
            let body = encrypted ? try SessionCrypto.encryptAES(key: keys.aesKey, iv: iv, payload: payload) : payload
            let expected = Self.reference(
                suite, keys: keys, sequence: sequence, body: body, encrypted: encrypted,
                authenticated: suite.integrity != .none)
            #expect(sealed == expected, "suite \(id), payload length \(length)")

            let opened = try crypto.open(sealed)
            #expect(opened.payload == payload, "suite \(id), payload length \(length)")
            #expect(opened.sequenceNumber == sequence)
            #expect(!opened.isEncrypted)
            #expect(opened.authCode == Array(sealed.suffix(suite.integrity.authCodeLength)))
        }
    }

    /// Suite 17: HMAC-SHA256-128 integrity, AES-CBC-128 confidentiality.
    static let suite17 = CipherSuite.suite17
    static var keys17: SessionKeys { SessionKeys(authentication: suite17.authentication, sik: sik) }

    /// An authenticated, encrypted suite 17 packet whose plaintext (already padded by the caller) is `plaintext`.
    static func encryptedPacket(plaintext: [UInt8]) throws -> [UInt8] {
        let iv = [UInt8](repeating: 0x3C, count: 16)
        let ciphertext = try Crypto.aes128CBC(encrypt: true, key: keys17.aesKey, iv: iv, input: plaintext)
        return reference(
            suite17, keys: keys17, sequence: 7, body: iv + ciphertext, encrypted: true, authenticated: true)
    }

    @Test func aBadConfidentialityPadIsADecryptionFailure() throws {
        let crypto = SessionCrypto(suite: Self.suite17, keys: Self.keys17, password: Self.password)
        // Section 13.29: pad bytes 1, 2, … N then N. A wrong pad byte, or a pad length of 16 or more, is refused.
        var wrongByte = [UInt8](repeating: 0xAA, count: 10) + [1, 2, 3, 9, 5]
        wrongByte.append(5)
        let tooLong = [UInt8](repeating: 0xAA, count: 15) + [16]
        for plaintext in [wrongByte, tooLong] {
            let packet = try Self.encryptedPacket(plaintext: plaintext)
            #expect(throws: DropReason.decryptionFailed) { try crypto.open(packet) }
        }
        // The same framing with a correct pad opens.
        let good = try Self.encryptedPacket(plaintext: [UInt8](repeating: 0xAA, count: 10) + [1, 2, 3, 4, 5, 5])
        #expect(try crypto.open(good).payload == [UInt8](repeating: 0xAA, count: 10))
    }

    @Test func anEncryptedPayloadThatIsNotIVPlusWholeBlocksIsADecryptionFailure() throws {
        let crypto = SessionCrypto(suite: Self.suite17, keys: Self.keys17, password: Self.password)
        for body in [[UInt8](repeating: 1, count: 16), [UInt8](repeating: 1, count: 40)] {
            let packet = Self.reference(
                Self.suite17, keys: Self.keys17, sequence: 3, body: body, encrypted: true, authenticated: true)
            #expect(throws: DropReason.decryptionFailed) { try crypto.open(packet) }
        }
    }

    @Test func flagsThatDoNotMatchTheSuiteAreRefused() throws {
        let crypto = SessionCrypto(suite: Self.suite17, keys: Self.keys17, password: Self.password)
        let plain = Self.reference(
            Self.suite17, keys: Self.keys17, sequence: 1, body: [1, 2, 3], encrypted: false, authenticated: true)
        #expect(throws: DropReason.unencrypted) { try crypto.open(plain) }
        let unauthenticated = Self.reference(
            Self.suite17, keys: Self.keys17, sequence: 1, body: [1, 2, 3], encrypted: false, authenticated: false)
        #expect(throws: DropReason.unauthenticated) { try crypto.open(unauthenticated) }

        // Suite 1 (RAKP-HMAC-SHA1, no integrity, no confidentiality): an encrypted packet cannot be opened.
        let suite1 = try #require(CipherSuite(id: 1))
        let keys1 = SessionKeys(authentication: suite1.authentication, sik: Self.sik)
        let crypto1 = SessionCrypto(suite: suite1, keys: keys1, password: Self.password)
        let encrypted = Self.reference(
            suite1, keys: keys1, sequence: 1, body: [UInt8](repeating: 0, count: 32), encrypted: true,
            authenticated: false)
        #expect(throws: DropReason.unexpectedEncryption) { try crypto1.open(encrypted) }
    }

    @Test func aDamagedTrailerIsMalformedAndAChangedAuthCodeAMismatch() throws {
        let crypto = SessionCrypto(suite: Self.suite17, keys: Self.keys17, password: Self.password)
        let good = try crypto.seal(
            sessionID: 9, sequenceNumber: 9, payload: [7, 7, 7], iv: [UInt8](repeating: 2, count: 16))
        // Section 13.28.4: the next header (0x07) sits just before the 16-byte AuthCode.
        var badNextHeader = good
        badNextHeader[good.count - 17] = 0x08
        #expect(throws: DropReason.malformed) { try crypto.open(badNextHeader) }
        #expect(throws: DropReason.malformed) { try crypto.open(Array(good.prefix(good.count - 20))) }
        var badCode = good
        badCode[good.count - 1] ^= 0x80
        #expect(throws: DropReason.integrityMismatch) { try crypto.open(badCode) }
        var badCiphertext = good
        badCiphertext[40] ^= 0x01
        #expect(throws: DropReason.integrityMismatch) { try crypto.open(badCiphertext) }
    }
}

/// `RandomSource.fill` hands out the same bytes, in the same order, as `bytes`.
@Suite("Random fill")
struct RandomFillTests {
    @Test func theDefaultFillDrawsThroughBytes() {
        let random = ScriptedRandom(Array(1...40))
        var first = [UInt8](repeating: 0, count: 16)
        #expect(first.withUnsafeMutableBytes { random.fill($0) })
        #expect(first == Array(1...16))
        #expect(random.bytes(2) == [17, 18])
        var second = [UInt8](repeating: 0, count: 16)
        #expect(second.withUnsafeMutableBytes { random.fill($0) })
        #expect(second == Array(19...34))
    }

    @Test func openSSLFillsWithoutRepeating() {
        let random = OpenSSLRandom()
        var seen: Set<[UInt8]> = []
        for _ in 0..<600 {  // several 4 KB pool refills
            var iv = [UInt8](repeating: 0, count: 16)
            #expect(iv.withUnsafeMutableBytes { random.fill($0) })
            #expect(seen.insert(iv).inserted)
        }
    }
}
