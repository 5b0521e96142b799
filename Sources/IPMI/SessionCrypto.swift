/// Integrity and confidentiality of session packets once keys exist (IPMI v2.0 sections 13.28.4, 13.29).
///
/// Sealing and opening run once per request, so they work on the datagram in place: a sealed packet is one array
/// sized up front, with the payload encrypted where it lies and the AuthCode written after it; opening checks the
/// AuthCode and decrypts into a temporary buffer, and hands the plaintext to the caller without building arrays.
/// The static one-shot functions (``authCode(_:k1:paddedPassword:data:)``, ``encryptAES(key:iv:payload:)``,
/// ``decryptAES(key:payload:)``) are the reference the in-place path is tested against.
public struct SessionCrypto: Sendable {
    public var suite: CipherSuite
    /// Keys, padded password and keyed contexts behind one reference: the state machine copies its
    /// `SessionCrypto` for every packet, which then costs one retain instead of one per array.
    private let secrets: Secrets

    private final class Secrets: Sendable {
        let keys: SessionKeys
        /// The user's password zero-padded to 20 bytes: the MD5-128 integrity algorithm hashes it directly.
        let paddedPassword: [UInt8]
        /// HMAC and AES contexts keyed once for the session.
        let keyed: KeyedCrypto

        init(keys: SessionKeys, paddedPassword: [UInt8], keyed: KeyedCrypto) {
            self.keys = keys
            self.paddedPassword = paddedPassword
            self.keyed = keyed
        }
    }

    var keys: SessionKeys { secrets.keys }
    var paddedPassword: [UInt8] { secrets.paddedPassword }
    private var keyed: KeyedCrypto { secrets.keyed }

    public init(suite: CipherSuite, keys: SessionKeys, password: [UInt8]) {
        self.suite = suite
        self.secrets = Secrets(
            keys: keys, paddedPassword: Self.padded(password, to: 20),
            keyed: KeyedCrypto(
                hmac: suite.integrity.hmacHash, k1: keys.k1,
                aesKey: suite.confidentiality == .aesCBC128 ? keys.aesKey : nil))
    }

    static func padded(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        Array(bytes.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - bytes.count))
    }

    // MARK: one-shot reference functions

    /// The AuthCode over `data` (auth type through next header), section 13.28.4:
    /// HMAC-SHA1-96 = first 12 bytes of HMAC-SHA1 under K1; HMAC-MD5-128 = HMAC-MD5 under K1;
    /// MD5-128 = MD5(password | data | password) with the password zero-padded to 20 bytes;
    /// HMAC-SHA256-128 = first 16 bytes of HMAC-SHA256 under K1.
    public static func authCode(
        _ integrity: IntegrityAlgorithm, k1: [UInt8], paddedPassword: [UInt8], data: [UInt8]
    ) -> [UInt8] {
        switch integrity {
        case .none: []
        case .hmacSHA1_96: Array(Crypto.hmac(.sha1, key: k1, data: data).prefix(12))
        case .hmacMD5_128: Crypto.hmac(.md5, key: k1, data: data)
        case .md5_128: Crypto.digest(.md5, paddedPassword + data + paddedPassword)
        case .hmacSHA256_128: Array(Crypto.hmac(.sha256, key: k1, data: data).prefix(16))
        }
    }

    /// AES-CBC-128 payload (section 13.29): IV (16) | E(payload | pad 1, 2, … N | N), the pad making the
    /// plaintext a multiple of 16 bytes.
    public static func encryptAES(key: [UInt8], iv: [UInt8], payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        iv + (try Crypto.aes128CBC(encrypt: true, key: key, iv: iv, input: confidentialityPadded(payload)))
    }

    /// The length of the section 13.29 plaintext for a payload of `count` bytes: payload, pad, pad length,
    /// rounded up to whole 16-byte AES blocks.
    static func confidentialityPaddedCount(_ count: Int) -> Int {
        count + (16 - (count + 1) % 16) % 16 + 1
    }

    /// Writes the section 13.29 pad (1, 2, … N, then N) into `tail`, which spans from the end of the payload to the
    /// end of the last block.
    static func writeConfidentialityPad(into tail: UnsafeMutableRawBufferPointer) {
        let padCount = tail.count - 1
        for index in 0..<padCount { tail[index] = UInt8(index + 1) }
        tail[padCount] = UInt8(padCount)
    }

    /// The plaintext of section 13.29: the payload, then pad bytes 1, 2, … N and the pad length N, so that the
    /// whole is a multiple of the 16-byte AES block.
    static func confidentialityPadded(_ payload: [UInt8]) -> [UInt8] {
        let padded = confidentialityPaddedCount(payload.count)
        return [UInt8](unsafeUninitializedCapacity: padded) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.copyBytes(from: payload)
            writeConfidentialityPad(into: UnsafeMutableRawBufferPointer(rebasing: raw[payload.count...]))
            count = padded
        }
    }

    /// Reverses ``encryptAES(key:iv:payload:)``; throws malformed for a bad length or pad.
    public static func decryptAES(key: [UInt8], payload: [UInt8]) throws(IPMIError) -> [UInt8] {
        try checkEncryptedLength(payload.count)
        let iv = Array(payload[0..<16])
        var plaintext = try Crypto.aes128CBC(encrypt: false, key: key, iv: iv, input: Array(payload[16...]))
        let unpadded = plaintext.withUnsafeBytes { bytes in Result { () throws(IPMIError) in try unpaddedCount(bytes) }
        }
        let bodyCount = try unpadded.get()
        plaintext.removeLast(plaintext.count - bodyCount)
        return plaintext
    }

    private static func checkEncryptedLength(_ count: Int) throws(IPMIError) {
        guard count >= 32, count % 16 == 0 else {
            throw .malformed("encrypted payload length \(count) is not IV plus whole blocks")
        }
    }

    /// The payload length of a decrypted section 13.29 plaintext once its pad is checked and dropped.
    private static func unpaddedCount(_ plaintext: UnsafeRawBufferPointer) throws(IPMIError) -> Int {
        guard let padCount = plaintext.last.map(Int.init), padCount < 16, padCount + 1 <= plaintext.count else {
            throw .malformed("bad confidentiality pad length")
        }
        let bodyCount = plaintext.count - padCount - 1
        for index in 0..<padCount where plaintext[bodyCount + index] != UInt8(index + 1) {
            throw .malformed("bad confidentiality pad")
        }
        return bodyCount
    }

    // MARK: integrity with the keyed context

    public func authCode(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { authCode(of: $0) }
    }

    /// ``authCode(_:)`` over bytes in place.
    func authCode(of data: UnsafeRawBufferPointer) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: KeyedCrypto.digestCapacity, alignment: 8) { output in
            Array(UnsafeRawBufferPointer(rebasing: output[..<writeAuthCode(of: data, into: output)]))
        }
    }

    /// Writes the AuthCode of `data` to the start of `output` (``KeyedCrypto/digestCapacity`` bytes) and returns
    /// its length: through the session's keyed HMAC context when there is one, else the one-shot function
    /// (MD5-128 hashes the password, not a key).
    private func writeAuthCode(of data: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        if let length = keyed.hmac(data, into: output) {
            return min(length, suite.integrity.authCodeLength)
        }
        let code = Self.authCode(suite.integrity, k1: keys.k1, paddedPassword: paddedPassword, data: Array(data))
        let count = min(code.count, output.count)
        output.copyBytes(from: code[..<count])
        return count
    }

    // MARK: sealing

    /// Builds an in-session IPMI packet: encrypts the payload when the suite has confidentiality, adds the
    /// integrity trailer when it has integrity. `iv` must be 16 fresh random bytes when encrypting.
    public func seal(
        payloadType: PayloadType = .ipmi, sessionID: UInt32, sequenceNumber: UInt32, payload: [UInt8], iv: [UInt8]
    ) throws(IPMIError) -> [UInt8] {
        let sealed = iv.withUnsafeBytes { ivBytes in
            Result { () throws(IPMIError) in
                try seal(
                    payloadType: payloadType, sessionID: sessionID, sequenceNumber: sequenceNumber,
                    payloadCount: payload.count, iv: ivBytes
                ) { $0.copyBytes(from: payload) }
            }
        }
        return try sealed.get()
    }

    /// ``seal(payloadType:sessionID:sequenceNumber:payload:iv:)`` with the payload written by `writePayload`
    /// (exactly `payloadCount` bytes) straight into its place in the packet.
    ///
    /// The packet is one array sized up front (IPMI v2.0 section 13.6, table 13-8): RMCP header, auth type
    /// 0x06, payload type, session ID, session sequence, payload length, payload; then, when authenticated, the
    /// integrity pad 0xFF × n (making auth type … next header a multiple of 4, section 13.28.4), n, next header
    /// 0x07 and the AuthCode. An encrypted payload is IV | E(payload | pad), encrypted in place (section 13.29).
    func seal(
        payloadType: PayloadType, sessionID: UInt32, sequenceNumber: UInt32, payloadCount: Int,
        iv: UnsafeRawBufferPointer, writePayload: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(IPMIError) -> [UInt8] {
        let encrypted = suite.confidentiality == .aesCBC128
        if encrypted {
            guard keyed.hasAES else {
                return try sealOneShot(
                    payloadType: payloadType, sessionID: sessionID, sequenceNumber: sequenceNumber,
                    payload: [UInt8](unsafeUninitializedCapacity: payloadCount) { buffer, count in
                        writePayload(UnsafeMutableRawBufferPointer(buffer))
                        count = payloadCount
                    }, iv: Array(iv))
            }
            guard iv.count == 16 else { throw .crypto("AES-128 needs a 16-byte IV") }
        }
        let authenticated = suite.integrity != .none
        let header = RMCPPlusPacket.payloadOffset
        let plaintextCount = encrypted ? Self.confidentialityPaddedCount(payloadCount) : payloadCount
        let bodyCount = encrypted ? 16 + plaintextCount : payloadCount
        let integrityPad = authenticated ? RMCPPlusPacket.integrityPadCount(payloadLength: bodyCount) : 0
        let capacity = header + bodyCount + (authenticated ? integrityPad + 2 + suite.integrity.authCodeLength : 0)
        // Built in a temporary buffer, then copied into the array once: `init(unsafeUninitializedCapacity:)` and
        // `init(repeating:count:)` run unspecialised in the standard library and look the array's generic metadata
        // up on every call, which costs more than copying a packet; `Array(_:)` of a buffer is specialised here.
        let packet = withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 16) { raw -> [UInt8]? in
            raw[0] = RMCPHeader.version
            raw[1] = 0x00
            raw[2] = RMCPHeader.noAckSequence
            raw[3] = RMCPHeader.classIPMI
            raw[4] = AuthType.rmcpPlus
            raw[5] = payloadType.rawValue | (encrypted ? 0x80 : 0) | (authenticated ? 0x40 : 0)
            raw.storeBytes(of: sessionID.littleEndian, toByteOffset: 6, as: UInt32.self)
            raw.storeBytes(of: sequenceNumber.littleEndian, toByteOffset: 10, as: UInt32.self)
            raw.storeBytes(of: UInt16(truncatingIfNeeded: bodyCount).littleEndian, toByteOffset: 14, as: UInt16.self)
            let payloadStart = header + (encrypted ? 16 : 0)
            writePayload(UnsafeMutableRawBufferPointer(rebasing: raw[payloadStart..<(payloadStart + payloadCount)]))
            if encrypted {
                UnsafeMutableRawBufferPointer(rebasing: raw[header..<payloadStart]).copyMemory(from: iv)
                let plaintext = payloadStart..<(payloadStart + plaintextCount)
                Self.writeConfidentialityPad(
                    into: UnsafeMutableRawBufferPointer(
                        rebasing: raw[(payloadStart + payloadCount)..<plaintext.upperBound]))
                guard
                    keyed.aesEncryptCBC(
                        iv: UnsafeRawBufferPointer(rebasing: raw[header..<payloadStart]),
                        inPlace: UnsafeMutableRawBufferPointer(rebasing: raw[plaintext]))
                else { return nil }
            }
            var count = header + bodyCount
            guard authenticated else { return Array(UnsafeRawBufferPointer(rebasing: raw[..<count])) }
            for index in count..<(count + integrityPad) { raw[index] = 0xFF }
            raw[count + integrityPad] = UInt8(integrityPad)
            raw[count + integrityPad + 1] = RMCPPlusPacket.nextHeader
            count += integrityPad + 2
            let covered = UnsafeRawBufferPointer(rebasing: raw[RMCPHeader.encodedLength..<count])
            let codeStart = count
            count += withUnsafeTemporaryAllocation(byteCount: KeyedCrypto.digestCapacity, alignment: 8) { code in
                let length = min(writeAuthCode(of: covered, into: code), capacity - codeStart)
                UnsafeMutableRawBufferPointer(rebasing: raw[codeStart..<(codeStart + length)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: code[..<length]))
                return length
            }
            // Shorter than `capacity` only if a one-shot AuthCode fallback failed and gave fewer bytes.
            return Array(UnsafeRawBufferPointer(rebasing: raw[..<count]))
        }
        guard let packet else { throw .crypto("AES-128-CBC operation failed") }
        return packet
    }

    /// Sealing with the one-shot AES function, for a session whose AES contexts could not be created.
    private func sealOneShot(
        payloadType: PayloadType, sessionID: UInt32, sequenceNumber: UInt32, payload: [UInt8], iv: [UInt8]
    ) throws(IPMIError) -> [UInt8] {
        let packet = RMCPPlusPacket(
            payloadType: payloadType, isEncrypted: true, isAuthenticated: suite.integrity != .none,
            sessionID: sessionID, sequenceNumber: sequenceNumber,
            payload: try Self.encryptAES(key: keys.aesKey, iv: iv, payload: payload))
        return packet.encode { authCode(of: $0) }
    }

    // MARK: opening

    /// Parses and checks an in-session packet: the authenticated bit must match the suite, the AuthCode
    /// must verify, and an encrypted payload is decrypted. Returns the packet with plaintext payload.
    public func open(_ datagram: [UInt8]) throws(DropReason) -> RMCPPlusPacket {
        try open(datagram) { layout, payload in
            RMCPPlusPacket(
                payloadType: layout.payloadType, isEncrypted: false, isAuthenticated: layout.isAuthenticated,
                sessionID: layout.sessionID, sequenceNumber: layout.sequenceNumber, payload: Array(payload),
                authCode: Array(datagram[layout.authCode]))
        }
    }

    /// ``open(_:)`` that hands the checked packet's layout and plaintext payload to `body` in place, without
    /// copying either into arrays. The plaintext is only valid inside `body`.
    func open<Opened>(
        _ datagram: [UInt8], _ body: (RMCPPlusLayout, UnsafeRawBufferPointer) -> Opened
    ) throws(DropReason) -> Opened {
        let opened = datagram.withUnsafeBytes { bytes in
            Result { () throws(DropReason) in try open(bytes, body) }
        }
        return try opened.get()
    }

    private func open<Opened>(
        _ bytes: UnsafeRawBufferPointer, _ body: (RMCPPlusLayout, UnsafeRawBufferPointer) -> Opened
    ) throws(DropReason) -> Opened {
        let layout: RMCPPlusLayout
        do {
            layout = try RMCPPlusLayout(bytes, authCodeLength: suite.integrity.authCodeLength)
        } catch {
            throw .malformed
        }
        if suite.integrity != .none {
            guard layout.isAuthenticated else { throw .unauthenticated }
            let matches = withUnsafeTemporaryAllocation(byteCount: KeyedCrypto.digestCapacity, alignment: 8) {
                expected in
                let length = writeAuthCode(
                    of: UnsafeRawBufferPointer(rebasing: bytes[layout.authenticated]), into: expected)
                return constantTimeEqual(
                    UnsafeRawBufferPointer(rebasing: expected[..<length]),
                    UnsafeRawBufferPointer(rebasing: bytes[layout.authCode]))
            }
            guard matches else { throw .integrityMismatch }
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[layout.payload])
        guard layout.isEncrypted else {
            guard suite.confidentiality == .none else { throw .unencrypted }
            return body(layout, payload)
        }
        guard suite.confidentiality == .aesCBC128 else { throw .unexpectedEncryption }
        guard keyed.hasAES else {
            guard let plaintext = try? Self.decryptAES(key: keys.aesKey, payload: Array(payload)) else {
                throw .decryptionFailed
            }
            return plaintext.withUnsafeBytes { body(layout, $0) }
        }
        do {
            try Self.checkEncryptedLength(payload.count)
        } catch {
            throw .decryptionFailed
        }
        // Decrypt into a temporary buffer (on the stack for IPMI-sized payloads) and drop the pad by count.
        let decrypted = withUnsafeTemporaryAllocation(byteCount: payload.count - 16, alignment: 16) {
            plaintext -> Opened? in
            guard
                keyed.aesDecryptCBC(
                    iv: UnsafeRawBufferPointer(rebasing: payload[..<16]),
                    input: UnsafeRawBufferPointer(rebasing: payload[16...]), into: plaintext),
                let bodyCount = try? Self.unpaddedCount(UnsafeRawBufferPointer(plaintext))
            else { return nil }
            return body(layout, UnsafeRawBufferPointer(rebasing: plaintext[..<bodyCount]))
        }
        guard let decrypted else { throw .decryptionFailed }
        return decrypted
    }
}
