import IPMI
import Testing

/// Byte-exact layouts. Expected bytes are either written out by hand from the spec tables or come from
/// real ipmitool ↔ ipmi_sim captures (Fixtures/ipmitool-lanplus-*.txt).
@Suite("Packet layouts")
struct PacketFixtureTests {
    let c3 = Capture("ipmitool-lanplus-C3.txt")
    let c1 = Capture("ipmitool-lanplus-C1.txt")
    let bridged = Capture("ipmitool-lanplus-C1-bridged.txt")

    @Test func capturesLoaded() {
        #expect(c3.datagrams.count == 22)
        #expect(c1.datagrams.count == 22)
        #expect(bridged.datagrams.count == 22)
    }

    @Test func checksum() {
        // 0x20 + 0x18 = 0x38, two's complement 0xC8 (section 13.8).
        #expect(ipmiChecksum([0x20, 0x18]) == 0xC8)
        #expect(ipmiChecksum([0x81, 0x00, 0x38, 0x8E, 0x04]) == 0xB5)
        #expect(ipmiChecksum([]) == 0x00)
    }

    @Test func getChannelAuthenticationCapabilitiesRequest() {
        // ipmitool's first datagram: RMCP, v1.5 auth none, seq 0, session 0, length 9, message.
        let message = IPMIRequestMessage(
            netFn: .app, rqSeq: 0, command: AppCommand.getChannelAuthenticationCapabilities,
            data: GetChannelAuthenticationCapabilitiesRequest(privilege: .administrator).data)
        #expect(message.encode() == [0x20, 0x18, 0xC8, 0x81, 0x00, 0x38, 0x8E, 0x04, 0xB5])
        #expect(IPMI15Packet(message: message.encode()).encode() == c3.console[0])
    }

    @Test func getChannelAuthenticationCapabilitiesResponse() throws {
        let packet = try IPMI15Packet.decode(c3.bmc[0])
        #expect(packet.sessionID == 0)
        let message = try IPMIResponseMessage.decode(packet.message)
        #expect(message.netFnCode == 0x07)
        #expect(message.command == 0x38)
        #expect(message.completionCode == .normal)
        #expect(message.rqSeq == 0)
        #expect(message.responderAddress == 0x20)
        let caps = try GetChannelAuthenticationCapabilitiesResponse(data: message.data)
        #expect(caps.channel == 0x01)
        #expect(caps.authenticationTypes == 0x97)
        #expect(caps.extendedCapabilities == 0x03)
        #expect(caps.supportsIPMIv2)
        #expect(caps.encoded == message.data)
        #expect(message.encode() == packet.message)
        let v15Only = GetChannelAuthenticationCapabilitiesResponse(
            channel: 1, authenticationTypes: 0x97, loginStatus: 0, extendedCapabilities: 0x01)
        #expect(!v15Only.supportsIPMIv2)
    }

    @Test func responseChecksumsAreVerified() {
        var bytes = [UInt8](c3.bmc[0].dropFirst(14))
        bytes[bytes.count - 1] ^= 0x01
        #expect(throws: IPMIError.self) { try IPMIResponseMessage.decode(bytes) }
        bytes = [UInt8](c3.bmc[0].dropFirst(14))
        bytes[2] ^= 0x01
        #expect(throws: IPMIError.self) { try IPMIResponseMessage.decode(bytes) }
        #expect(throws: IPMIError.self) { try IPMIResponseMessage.decode([0x81, 0x1C, 0x63]) }
    }

    @Test func getChannelCipherSuitesRequest() {
        // Section 22.15: channel 0x0E, payload type IPMI, bit 7 = list by cipher suite, index.
        #expect(GetChannelCipherSuitesRequest(listIndex: 0).data == [0x0E, 0x00, 0x80])
        #expect(GetChannelCipherSuitesRequest(listIndex: 3).data == [0x0E, 0x00, 0x83])
        let message = IPMIRequestMessage(netFn: .app, rqSeq: 1, command: 0x54, data: [0x0E, 0x00, 0x80])
        // Hand-computed: 0x81 + 0x04 + 0x54 + 0x0E + 0x80 = 0x167 → checksum 0x99.
        #expect(message.encode() == [0x20, 0x18, 0xC8, 0x81, 0x04, 0x54, 0x0E, 0x00, 0x80, 0x99])
    }

    @Test func cipherSuiteRecordsFromIPMISim() throws {
        // The record bytes ipmi_sim returned (all pages concatenated): suites 0-14, no SHA-256.
        let records = hex(
            "c0000040 80c00101 4080c002 014180c0 03014181 c0040141 82c00501 4183c006 024080c0 07024280 c0080242 81c00902"
                + "4282c00a 024283c0 0b024380 c00c0243 81c00d02 4382c00e 024383")
        let suites = CipherSuite.parseRecords(records)
        // 4, 5, 9, 10, 13, 14 use xRC4 and are skipped.
        #expect(suites.compactMap(\.id) == [0, 1, 2, 3, 6, 7, 8, 11, 12])
        #expect(suites[3] == CipherSuite(id: 3))
        #expect(CipherSuite.strongest(supportedBy: suites) == CipherSuite(id: 3))
    }

    @Test func cipherSuiteRecordsOEMAndJunk() {
        // An OEM record (0xC1, id, IANA 3 bytes, algorithms) and a standard 17.
        let records: [UInt8] = [0xC1, 0x50, 0x57, 0x01, 0x00, 0x01, 0x41, 0x81, 0xC0, 0x11, 0x03, 0x44, 0x81, 0x07]
        let suites = CipherSuite.parseRecords(records)
        #expect(suites.count == 2)
        #expect(suites[0].id == 3)  // the OEM record's triple is the standard suite 3
        #expect(suites[1] == CipherSuite(id: 17))
        #expect(CipherSuite.parseRecords([0xC0]).isEmpty)
        // A record keeps the BMC's ID even when its algorithms are not that standard suite's; negotiation
        // compares algorithms, not IDs.
        let relabelled = CipherSuite.parseRecords([0xC0, 0x03, 0x01])
        #expect(relabelled.first?.id == 3)
        #expect(relabelled.first?.integrity == IntegrityAlgorithm.none)
        #expect(CipherSuite.strongest(supportedBy: relabelled)?.id == 1)
    }

    @Test(arguments: [UInt8(0), 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17])
    func cipherSuiteTable(id: UInt8) throws {
        let suite = try #require(CipherSuite(id: id))
        let table: [UInt8: (UInt8, UInt8, UInt8)] = [
            0: (0, 0, 0), 1: (1, 0, 0), 2: (1, 1, 0), 3: (1, 1, 1), 6: (2, 0, 0), 7: (2, 2, 0), 8: (2, 2, 1),
            11: (2, 3, 0), 12: (2, 3, 1), 15: (3, 0, 0), 16: (3, 4, 0), 17: (3, 4, 1),
        ]
        let expected = try #require(table[id])
        #expect(suite.authentication.rawValue == expected.0)
        #expect(suite.integrity.rawValue == expected.1)
        #expect(suite.confidentiality.rawValue == expected.2)
        #expect(
            CipherSuite(
                authentication: suite.authentication, integrity: suite.integrity, confidentiality: suite.confidentiality
            )
            .id == id)
    }

    @Test func cipherSuiteUnknownIDs() {
        for id: UInt8 in [4, 5, 9, 10, 13, 14, 18, 255] {
            #expect(CipherSuite(id: id) == nil)
        }
        let odd = CipherSuite(authentication: .hmacSHA256, integrity: .hmacSHA1_96, confidentiality: .none)
        #expect(odd.id == nil)
        #expect(!CipherSuite(authentication: .none, integrity: .hmacSHA1_96, confidentiality: .none).isConsistent)
    }

    @Test func strongestPreference() {
        let all = [0, 1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17].compactMap { CipherSuite(id: UInt8($0)) }
        #expect(CipherSuite.strongest(supportedBy: all)?.id == 17)
        #expect(CipherSuite.strongest(supportedBy: all.filter { $0.id != 17 })?.id == 16)
        #expect(CipherSuite.strongest(supportedBy: [CipherSuite(id: 6)!, CipherSuite(id: 8)!])?.id == 8)
        #expect(CipherSuite.strongest(supportedBy: [CipherSuite(id: 11)!, CipherSuite(id: 12)!])?.id == 12)
        #expect(CipherSuite.strongest(supportedBy: [CipherSuite(id: 0)!]) == nil)
        #expect(CipherSuite.strongest(supportedBy: [CipherSuite(id: 0)!], allowUnauthenticated: true)?.id == 0)
        #expect(CipherSuite.strongest(supportedBy: []) == nil)
        #expect(CipherSuite.negotiationPreference == [17, 16, 15, 3, 2, 1, 8, 7, 12, 11, 6])
    }

    @Test func openSessionRequestMatchesIpmitool() throws {
        // ipmitool asks for privilege 0 ("highest matching") with tag 0 and console session 0xa0a2a3a4.
        let request = OpenSessionRequest(
            messageTag: 0, requestedPrivilege: 0, consoleSessionID: 0xA0A2_A3A4, cipherSuite: CipherSuite(id: 3)!)
        let packet = RMCPPlusPacket(payloadType: .openSessionRequest, payload: request.encode())
        #expect(packet.encode() == c3.console[1])
        let decoded = try RMCPPlusPacket.decode(c3.console[1]).packet
        #expect(decoded.payloadType == .openSessionRequest)
        #expect(try OpenSessionRequest.decode(decoded.payload) == request)
        let suite1 = OpenSessionRequest(
            messageTag: 0, requestedPrivilege: 0, consoleSessionID: 0xA0A2_A3A4, cipherSuite: CipherSuite(id: 1)!)
        #expect(RMCPPlusPacket(payloadType: .openSessionRequest, payload: suite1.encode()).encode() == c1.console[1])
    }

    @Test func openSessionResponseFromIPMISim() throws {
        let packet = try RMCPPlusPacket.decode(c3.bmc[1]).packet
        #expect(packet.payloadType == .openSessionResponse)
        let response = try OpenSessionResponse.decode(packet.payload)
        #expect(response.status == 0)
        #expect(response.maximumPrivilege == 0)  // the quirk
        #expect(response.consoleSessionID == 0xA0A2_A3A4)
        #expect(response.managedSessionID == 0x82)
        #expect(response.cipherSuite == CipherSuite(id: 3))
        #expect(response.encode() == packet.payload)
        // An error answer may end after the console session ID (section 13.18).
        let short = try OpenSessionResponse.decode([0x07, 0x11, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04])
        #expect(short.status == 0x11)
        #expect(short.consoleSessionID == 0x0403_0201)
        #expect(short.cipherSuite == nil)
    }

    @Test func rakpExchangeFromIPMISimCapture() throws {
        // Verify ipmi_sim's RAKP 2 and 4 and reproduce ipmitool's RAKP 1 and 3 byte for byte.
        let rakp1Packet = try RMCPPlusPacket.decode(c3.console[2]).packet
        #expect(rakp1Packet.payloadType == .rakp1)
        let rakp1 = try RAKPMessage1.decode(rakp1Packet.payload)
        #expect(rakp1.role == 0x14)
        #expect(rakp1.username == Array("admin".utf8))
        #expect(rakp1.managedSessionID == 0x82)
        #expect(RMCPPlusPacket(payloadType: .rakp1, payload: rakp1.encode()).encode() == c3.console[2])

        let rakp2 = try RAKPMessage2.decode(try RMCPPlusPacket.decode(c3.bmc[2]).packet.payload)
        #expect(rakp2.status == 0)
        #expect(rakp2.managedGUID == hex("a123456789abcdefa123456789abcdef"))
        #expect(rakp2.authCode.count == 20)
        let exchange = RAKPExchange(
            authentication: .hmacSHA1, consoleSessionID: 0xA0A2_A3A4, managedSessionID: 0x82,
            consoleRandom: rakp1.consoleRandom, managedRandom: rakp2.managedRandom, managedGUID: rakp2.managedGUID,
            role: rakp1.role, username: rakp1.username)
        let password = Array("secret".utf8)
        #expect(exchange.rakp2AuthCode(userKey: password) == rakp2.authCode)
        #expect(exchange.rakp2AuthCode(userKey: Array("Secret".utf8)) != rakp2.authCode)

        let rakp3 = RAKPMessage3(
            messageTag: 0, status: 0, managedSessionID: 0x82, authCode: exchange.rakp3AuthCode(userKey: password))
        #expect(RMCPPlusPacket(payloadType: .rakp3, payload: rakp3.encode()).encode() == c3.console[3])
        #expect(try RAKPMessage3.decode(rakp3.encode()) == rakp3)

        let rakp4 = try RAKPMessage4.decode(try RMCPPlusPacket.decode(c3.bmc[3]).packet.payload)
        let sik = exchange.sessionIntegrityKey(generatingKey: password)
        #expect(exchange.rakp4IntegrityCheckValue(sik: sik) == rakp4.integrityCheckValue)
        #expect(rakp4.integrityCheckValue.count == 12)
    }

    /// Rebuilds the session keys of the captured suite 3 session.
    func capturedSuite3Crypto() throws -> SessionCrypto {
        let rakp1 = try RAKPMessage1.decode(try RMCPPlusPacket.decode(c3.console[2]).packet.payload)
        let rakp2 = try RAKPMessage2.decode(try RMCPPlusPacket.decode(c3.bmc[2]).packet.payload)
        let exchange = RAKPExchange(
            authentication: .hmacSHA1, consoleSessionID: 0xA0A2_A3A4, managedSessionID: 0x82,
            consoleRandom: rakp1.consoleRandom, managedRandom: rakp2.managedRandom, managedGUID: rakp2.managedGUID,
            role: rakp1.role, username: rakp1.username)
        let sik = exchange.sessionIntegrityKey(generatingKey: Array("secret".utf8))
        return SessionCrypto(
            suite: CipherSuite(id: 3)!, keys: SessionKeys(authentication: .hmacSHA1, sik: sik),
            password: Array("secret".utf8))
    }

    @Test func encryptedSessionPacketsMatchIpmitool() throws {
        let crypto = try capturedSuite3Crypto()
        // Every in-session datagram ipmitool sent: reopen it, then seal it again with the same IV and sequence.
        for datagram in c3.console.dropFirst(4) {
            let wire = try RMCPPlusPacket.decode(datagram, authCodeLength: 12).packet
            #expect(wire.isEncrypted && wire.isAuthenticated)
            #expect(wire.sessionID == 0x82)
            let opened = try crypto.open(datagram)
            let request = try IPMIRequestMessage.decode(opened.payload)
            #expect(request.responderAddress == 0x20)
            #expect(request.requesterAddress == 0x81)
            let resealed = try crypto.seal(
                sessionID: wire.sessionID, sequenceNumber: wire.sequenceNumber, payload: opened.payload,
                iv: Array(wire.payload.prefix(16)))
            #expect(resealed == datagram)
        }
        // The first one is Set Session Privilege Level (administrator).
        let first = try IPMIRequestMessage.decode(try crypto.open(c3.console[4]).payload)
        #expect(first.command == AppCommand.setSessionPrivilegeLevel)
        #expect(first.data == [0x04])
    }

    @Test func encryptedResponsesFromIPMISimOpen() throws {
        let crypto = try capturedSuite3Crypto()
        var commands: [UInt8] = []
        for datagram in c3.bmc.dropFirst(4) {
            let opened = try crypto.open(datagram)
            #expect(opened.sessionID == 0xA0A2_A3A4)
            let response = try IPMIResponseMessage.decode(opened.payload)
            commands.append(response.command)
            if response.command == AppCommand.getDeviceID {
                #expect(response.completionCode == .normal)
                #expect(response.data == hex("0003090802 9f9112 00020f 00000000"))
            }
        }
        #expect(commands.contains(AppCommand.setSessionPrivilegeLevel))
        #expect(commands.last == AppCommand.closeSession)
        // One flipped bit anywhere after the RMCP header breaks the AuthCode.
        var tampered = c3.bmc[4]
        tampered[30] ^= 0x01
        #expect(throws: DropReason.integrityMismatch) { try crypto.open(tampered) }
    }

    @Test func unauthenticatedSessionPacketsMatchIpmitool() throws {
        // Suite 1: no trailer, plaintext payload. Session 0x102, sequence 3, Set Session Privilege Level.
        let request = IPMIRequestMessage(netFn: .app, rqSeq: 1, command: 0x3B, data: [0x04])
        let packet = RMCPPlusPacket(payloadType: .ipmi, sessionID: 0x0102, sequenceNumber: 3, payload: request.encode())
        #expect(packet.encode() == c1.console[4])
        let response = try IPMIResponseMessage.decode(try RMCPPlusPacket.decode(c1.bmc[4]).packet.payload)
        #expect(response.command == 0x3B)
        #expect(response.data == [0x04])
        // Close Session carries the BMC's session ID (section 22.19).
        let close = IPMIRequestMessage(
            netFn: .app, rqSeq: 7, command: AppCommand.closeSession, data: CloseSession.data(managedSessionID: 0x0102))
        #expect(
            RMCPPlusPacket(payloadType: .ipmi, sessionID: 0x0102, sequenceNumber: 9, payload: close.encode()).encode()
                == c1.console.last)
    }

    @Test func integrityPadLayout() {
        // Section 13.28.4: pad 0xFF so that auth type … next header is a multiple of 4 bytes.
        for payloadCount in 0..<8 {
            let packet = RMCPPlusPacket(
                payloadType: .ipmi, isAuthenticated: true, sessionID: 1, sequenceNumber: 1,
                payload: [UInt8](repeating: 0xAA, count: payloadCount))
            var covered: [UInt8] = []
            let bytes = packet.encode { data in
                covered = data
                return [UInt8](repeating: 0xEE, count: 12)
            }
            #expect(covered.count % 4 == 0)
            let pad = covered.count - 12 - payloadCount - 2
            #expect((0...3).contains(pad))
            #expect(covered.suffix(2) == [UInt8(pad), 0x07])
            #expect(covered.dropFirst(12 + payloadCount).prefix(pad).allSatisfy { $0 == 0xFF })
            #expect(bytes.count == 4 + covered.count + 12)
        }
    }

    @Test func sendMessageEncapsulationMatchesIpmitool() throws {
        // ipmitool -b 0 -t 0x30 raw 6 1 (rqSeq 6): Send Message to channel 0 with tracking, inner
        // Get Device ID to 0x30 from the remote console software ID 0x81.
        let data = SendMessage.encapsulate(
            channel: 0, targetAddress: 0x30, netFn: .app, command: AppCommand.getDeviceID, rqSeq: 6)
        #expect(data == [0x40, 0x30, 0x18, 0xB8, 0x81, 0x18, 0x01, 0x66])
        let outer = IPMIRequestMessage(netFn: .app, rqSeq: 6, command: AppCommand.sendMessage, data: data)
        let packet = RMCPPlusPacket(payloadType: .ipmi, sessionID: 0x0182, sequenceNumber: 8, payload: outer.encode())
        let captured = bridged.console[9]
        #expect(packet.encode() == captured)
        // ipmi_sim refuses with completion code 0x83 on Send Message.
        let answer = try IPMIResponseMessage.decode(try RMCPPlusPacket.decode(bridged.bmc[9]).packet.payload)
        #expect(answer.command == AppCommand.sendMessage)
        #expect(answer.completionCode.rawValue == 0x83)
        #expect(answer.rqSeq == 6)
    }

    @Test func sendMessageEncapsulationByHand() throws {
        // Channel 7, target 0x72 LUN 2, sensor/event Get Sensor Reading 0x2D of sensor 0x10, rqSeq 0x21.
        // rsAddr 72, netFn/LUN 0x04<<2|2 = 0x12, cs = -(0x84) = 0x7C; rqAddr 81, rqSeq 0x21<<2 = 0x84,
        // cmd 2D, data 10; cs = -(0x81+0x84+0x2D+0x10 = 0x142) = 0xBE.
        let data = SendMessage.encapsulate(
            channel: 7, targetAddress: 0x72, targetLUN: 2, netFn: .sensorEvent, command: 0x2D, data: [0x10],
            rqSeq: 0x21)
        #expect(data == [0x47, 0x72, 0x12, 0x7C, 0x81, 0x84, 0x2D, 0x10, 0xBE])
        // The nested response some BMCs return inside the Send Message response data.
        // rqAddr 81, netFn 0x05<<2 = 0x14, cs -(0x95) = 0x6B; rsAddr 72, rqSeq/LUN 0x86, cmd 2D, cc 00,
        // data 55, cs -(0x17A) = 0x86.
        let nested: [UInt8] = [0x81, 0x14, 0x6B, 0x72, 0x86, 0x2D, 0x00, 0x55, 0x86]
        let inner = try #require(try SendMessage.unwrapResponse(nested))
        #expect(inner.command == 0x2D)
        #expect(inner.requestNetFn == .sensorEvent)
        #expect(inner.data == [0x55])
        #expect(try SendMessage.unwrapResponse([]) == nil)
    }

    @Test func rmcpPlusDecodeRejectsGarbage() {
        #expect(throws: IPMIError.self) { try RMCPPlusPacket.decode([]) }
        #expect(throws: IPMIError.self) { try RMCPPlusPacket.decode([0x06, 0x00, 0xFF, 0x07, 0x06, 0x00]) }
        // Declared payload length longer than the datagram.
        #expect(throws: IPMIError.self) {
            try RMCPPlusPacket.decode([0x06, 0x00, 0xFF, 0x07, 0x06, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])
        }
        #expect(throws: IPMIError.self) { try IPMI15Packet.decode([0x06, 0x00, 0xFF, 0x07, 0x02]) }
    }
}
