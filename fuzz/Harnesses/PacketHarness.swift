#if !FUZZ_STANDALONE
    import IPMI
#endif

/// Feeds one datagram, as a BMC (or anyone on the network) could send it, to every stateless decoder of the
/// RMCP / RMCP+ layer: packet framing (IPMI v2.0 section 13.6), session setup payloads (section 13.17-13.23),
/// IPMI messages (section 13.8), Send Message unwrapping (section 22.7), the integrity and confidentiality
/// checks (sections 13.28-13.29) and the debug-log description. Nothing may trap, whatever the bytes.
public enum PacketFuzzHarness {
    public static func run(_ bytes: [UInt8]) {
        _ = routingKey(ofDatagramFromBMC: bytes)
        _ = PacketDescription.describe(bytes)

        if let packet = try? IPMI15Packet.decode(bytes) {
            // A decoded packet must survive its own encoding: what we parse, we can also write back.
            let again = try? IPMI15Packet.decode(packet.encode())
            precondition(again == packet, "IPMI 1.5 packet does not round-trip")
            decodeMessage(packet.message)
        }
        for authCodeLength in [0, 12, 16, 20] {
            guard let (packet, _) = try? RMCPPlusPacket.decode(bytes, authCodeLength: authCodeLength) else { continue }
            decodePayload(packet.payload)
        }
        decodePayload(bytes)
        decodeMessage(bytes)

        // Decryption and integrity checks with fixed keys: the work an attacker can make us do before we drop.
        _ = try? SessionCrypto.decryptAES(key: fixedKey16, payload: bytes)
        for crypto in sessionCryptos {
            _ = try? crypto.open(bytes)
        }
    }

    /// Every session-setup payload decoder, the cipher suite list and the capabilities answer.
    static func decodePayload(_ payload: [UInt8]) {
        _ = try? OpenSessionRequest.decode(payload)
        _ = try? OpenSessionResponse.decode(payload)
        _ = try? RAKPMessage1.decode(payload)
        _ = try? RAKPMessage2.decode(payload)
        _ = try? RAKPMessage3.decode(payload)
        _ = try? RAKPMessage4.decode(payload)
        _ = try? GetChannelAuthenticationCapabilitiesResponse(data: payload)
        _ = try? GetChannelCipherSuitesRequest.records(inResponse: payload)
        _ = CipherSuite.parseRecords(payload)
    }

    /// IPMI request and response messages, and a response's data as a Send Message answer.
    static func decodeMessage(_ message: [UInt8]) {
        if let response = try? IPMIResponseMessage.decode(message) {
            let again = try? IPMIResponseMessage.decode(response.encode())
            precondition(again == response, "IPMI response message does not round-trip")
            _ = PacketDescription.describe(response)
            _ = response.response
            _ = try? SendMessage.unwrapResponse(response.data)
        }
        if let request = try? IPMIRequestMessage.decode(message) {
            _ = PacketDescription.describe(request)
        }
        _ = try? SendMessage.unwrapResponse(message)
    }

    static let fixedKey16: [UInt8] = (0..<16).map { UInt8($0 &* 7 &+ 1) }

    /// One session per integrity algorithm family, with or without AES, keyed with fixed bytes.
    static let sessionCryptos: [SessionCrypto] = [1, 3, 7, 8, 11, 12, 17].compactMap { (id: UInt8) in
        guard let suite = CipherSuite(id: id) else { return nil }
        let sik = (0..<suite.authentication.authCodeLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 3) }
        return SessionCrypto(
            suite: suite, keys: SessionKeys(authentication: suite.authentication, sik: sik), password: Array("pw".utf8))
    }
}
