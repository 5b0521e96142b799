import IPMI
import Testing

/// `SessionCrypto` keeps its HMAC and AES contexts keyed for the whole session and only resets them per packet.
/// Every packet must still equal what the one-shot functions (checked against the known-answer vectors) give,
/// for the first packet and for the ones after it.
@Suite("Session crypto with contexts keyed once")
struct KeyedSessionCryptoTests {
    static let suiteIDs: [UInt8] = CipherSuite.negotiationPreference

    @Test(arguments: suiteIDs)
    func everyPacketMatchesTheOneShotComputation(_ id: UInt8) throws {
        let suite = try #require(CipherSuite(id: id))
        let sik = (0..<UInt8(32)).map { $0 &* 7 &+ 3 }
        let keys = SessionKeys(authentication: suite.authentication, sik: sik)
        let password = Array("secret".utf8)
        let crypto = SessionCrypto(suite: suite, keys: keys, password: password)
        var padded = password
        padded += [UInt8](repeating: 0, count: 20 - padded.count)

        let payloads: [[UInt8]] = [[0x20, 0x18, 0xC8, 0x81, 0x04, 0x2D, 0x30, 0x22], [], Array(0..<UInt8(47))]
        for (index, payload) in payloads.enumerated() {
            let iv = [UInt8](repeating: UInt8(index + 1), count: 16)
            let sealed = try crypto.seal(
                sessionID: 0x1122_3344, sequenceNumber: UInt32(index + 1), payload: payload, iv: iv)

            let encrypted = suite.confidentiality == .aesCBC128
            let body = encrypted ? try SessionCrypto.encryptAES(key: keys.aesKey, iv: iv, payload: payload) : payload
            let expected = RMCPPlusPacket(
                payloadType: .ipmi, isEncrypted: encrypted, isAuthenticated: suite.integrity != .none,
                sessionID: 0x1122_3344, sequenceNumber: UInt32(index + 1), payload: body
            ).encode { SessionCrypto.authCode(suite.integrity, k1: keys.k1, paddedPassword: padded, data: $0) }
            #expect(sealed == expected, "suite \(id), packet \(index)")

            let opened = try crypto.open(sealed)
            #expect(opened.payload == payload, "suite \(id), packet \(index)")
        }
    }

    @Test func aTamperedPacketIsStillRejectedAfterGoodOnes() throws {
        let suite = CipherSuite.suite17
        let keys = SessionKeys(authentication: suite.authentication, sik: [UInt8](repeating: 9, count: 32))
        let crypto = SessionCrypto(suite: suite, keys: keys, password: [])
        let iv = [UInt8](repeating: 5, count: 16)
        for sequence in 1...3 {
            let good = try crypto.seal(sessionID: 1, sequenceNumber: UInt32(sequence), payload: [1, 2, 3], iv: iv)
            _ = try crypto.open(good)
        }
        var bad = try crypto.seal(sessionID: 1, sequenceNumber: 4, payload: [1, 2, 3], iv: iv)
        bad[20] ^= 0x01
        #expect(throws: DropReason.integrityMismatch) { try crypto.open(bad) }
    }
}

/// `OpenSSLRandom` serves small draws from a buffer refilled in blocks; no bytes may be handed out twice, also
/// across refills.
@Suite("Pooled random bytes")
struct PooledRandomTests {
    @Test func drawsAcrossSeveralRefillsNeverRepeat() {
        let random = OpenSSLRandom()
        var seen: Set<[UInt8]> = []
        for _ in 0..<1_000 {  // 16 KB in 16-byte IVs: several 4 KB refills
            let iv = random.bytes(16)
            #expect(iv.count == 16)
            #expect(seen.insert(iv).inserted)
        }
        #expect(random.bytes(1).count == 1)
        #expect(random.bytes(0).isEmpty)
        #expect(random.bytes(300).count == 300)
    }
}
