#if !FUZZ_STANDALONE
    import IPMI
#endif

/// Drives the client ``SessionStateMachine`` to a chosen point of the RMCP+ handshake (IPMI v2.0 section 13.15)
/// with a well-behaved scripted BMC, then feeds it datagrams from the input, as a hostile or broken BMC could.
///
/// Input layout: byte 0 selects the session (bits 3-7, see ``sessions``) and the phase (bits 0-2): 0 before
/// any answer (authentication capabilities), 1-5 after that many correct answers (cipher suites or Open Session,
/// RAKP 2, RAKP 4, privilege), 6 established with datagrams fed raw, 7 established with each datagram
/// sealed by the BMC's real session keys (so the fuzzer reaches the message decoding behind the integrity
/// check). The rest is a list of datagrams, each a length byte then that many bytes.
public enum SessionFuzzHarness {
    struct Session {
        var suite: UInt8?
        var bridge: BridgeTarget?
        var kg: [UInt8]?
    }

    static let sessions: [Session] = [
        Session(suite: 3), Session(suite: 17), Session(suite: 1), Session(suite: 0), Session(suite: nil),
        Session(suite: 3, bridge: BridgeTarget(channel: 0, address: 0x72)),
        Session(suite: 17, bridge: BridgeTarget(channel: 6, address: 0x30), kg: Array("gkey".utf8)),
        Session(suite: 12), Session(suite: 8),
    ]

    static let password: [UInt8] = Array("fuzz-password".utf8)
    static let consoleSessionID: UInt32 = 0xA0A2_A3A4

    /// The machine brought to the phase `selector` names, the BMC beside it, the last packet the machine sent
    /// and the rqSeq of the requests outstanding once established.
    static func prepare(
        _ selector: UInt8
    ) -> (machine: SessionStateMachine, bmc: ScriptedBMC, sent: [UInt8], requests: [UInt8])? {
        let session = sessions[Int(selector >> 3) % sessions.count]
        let phase = Int(selector & 0x07)
        guard
            let credentials = try? SessionCredentials(username: "admin", password: password, kg: session.kg)
        else { return nil }
        let configuration = SessionConfiguration(
            credentials: credentials, privilege: .administrator,
            cipherSuite: session.suite.flatMap(CipherSuite.init(id:)), allowUnauthenticated: session.suite == 0,
            bridge: session.bridge, consoleSessionID: consoleSessionID)
        var machine = SessionStateMachine(configuration: configuration, random: CountingRandom())
        var bmc = ScriptedBMC(password: password, kg: session.kg, consoleSessionID: consoleSessionID)

        // Bring the session to the chosen phase with correct answers.
        guard case .send(var sent) = machine.start() else { return nil }
        var answered = 0
        while answered < min(phase, 6), !machine.isEstablished {
            guard let answer = bmc.answer(sent) else { return nil }
            answered += 1
            switch machine.receive(answer) {
            case .send(let next): sent = next
            case .established: break
            default: return nil
            }
        }
        var requests: [UInt8] = []
        if machine.isEstablished {
            // Outstanding requests for the BMC's datagrams to match: a plain one and a sensor reading.
            for (netFn, command) in [(NetFn.app, AppCommand.getDeviceID), (NetFn.sensorEvent, UInt8(0x2D))] {
                if let (rqSeq, packet) = try? machine.encodeRequest(netFn: netFn, command: command, data: [1]) {
                    requests.append(rqSeq)
                    sent = packet
                }
            }
        }
        return (machine, bmc, sent, requests)
    }

    public static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first, let prepared = prepare(selector) else { return }
        var machine = prepared.machine
        var bmc = prepared.bmc
        let requests = prepared.requests
        let phase = Int(selector & 0x07)

        var offset = 1
        var fed = 0
        while offset < bytes.count, fed < 16 {
            let length = Int(bytes[offset])
            let end = min(bytes.count, offset + 1 + length)
            let chunk = Array(bytes[(offset + 1)..<end])
            offset = end
            fed += 1
            let datagram = phase == 7 ? (bmc.seal(chunk) ?? chunk) : chunk
            let before = machine.outstandingRequestCount
            switch machine.receive(datagram) {
            case .response(let rqSeq, _, _, _):
                precondition(requests.contains(rqSeq), "a response for a request never sent")
                precondition(machine.outstandingRequestCount == before - 1, "an answered request stays outstanding")
            case .send, .established, .failed, .dropped, .none:
                break
            }
            precondition(machine.outstandingRequestCount <= 64, "more outstanding requests than rqSeq values")
        }
        // Whatever state the datagrams left, the usual next steps must not trap.
        _ = machine.retransmit()
        _ = try? machine.encodeRequest(netFn: .app, command: AppCommand.getDeviceID)
        _ = try? machine.encodeClose()
    }

    /// One input per session and phase whose datagram is the answer a correct BMC would give there.
    public static func seeds() -> [[UInt8]] {
        var result: [[UInt8]] = []
        for sessionIndex in 0..<sessions.count {
            for phase in 0..<8 {
                let selector = UInt8(sessionIndex << 3 | phase)
                guard var prepared = prepare(selector) else { continue }
                // Sealed mode (7) takes the plaintext message; the harness seals it.
                let answer =
                    phase == 7
                    ? prepared.bmc.plaintextAnswer(prepared.sent) : prepared.bmc.answer(prepared.sent)
                guard let answer, answer.count < 256 else { continue }
                result.append([selector, UInt8(answer.count)] + answer)
            }
        }
        return result
    }
}

/// Deterministic "random" bytes, so every input replays the same way.
struct CountingRandom: RandomSource {
    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 11) } }
}

/// The BMC side of the handshake, built only from the public encoders, answering the client's packets correctly.
struct ScriptedBMC {
    let password: [UInt8]
    let kg: [UInt8]?
    let consoleSessionID: UInt32
    let managedSessionID: UInt32 = 0x0000_1234
    var suite: CipherSuite?
    var exchange: RAKPExchange?
    var crypto: SessionCrypto?
    var sequence: UInt32 = 0

    init(password: [UInt8], kg: [UInt8]?, consoleSessionID: UInt32) {
        self.password = password
        self.kg = kg
        self.consoleSessionID = consoleSessionID
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: max(0, 20 - bytes.count)) }

    /// Cipher suite records for suites 1, 3 and 17 (IPMI v2.0 table 22-19).
    static let cipherSuiteRecords: [UInt8] = [
        0xC0, 0x01, 0x01, 0x40, 0x80, 0xC0, 0x03, 0x01, 0x41, 0x81, 0xC0, 0x11, 0x03, 0x44, 0x81,
    ]

    mutating func answer(_ packet: [UInt8]) -> [UInt8]? {
        guard packet.count > 4 else { return nil }
        if packet[4] == AuthType.none {
            guard let outer = try? IPMI15Packet.decode(packet),
                let request = try? IPMIRequestMessage.decode(outer.message)
            else { return nil }
            let data: [UInt8]
            switch request.command {
            case AppCommand.getChannelAuthenticationCapabilities:
                data =
                    GetChannelAuthenticationCapabilitiesResponse(
                        channel: 1, authenticationTypes: 0x80 | 0x04, loginStatus: 0x04, extendedCapabilities: 0x02
                    ).encoded
            case AppCommand.getChannelCipherSuites:
                data = [1] + Self.cipherSuiteRecords
            default:
                return nil
            }
            let response = IPMIResponseMessage(
                netFnCode: request.netFn.response, rqSeq: request.rqSeq, command: request.command,
                completionCode: .normal, data: data)
            return IPMI15Packet(message: response.encode()).encode()
        }
        // In-session packets carry an AuthCode whose length only the session knows: route on the type byte.
        guard packet.count > 5 else { return nil }
        if PayloadType(rawValue: packet[5]) == .ipmi { return plaintextAnswer(packet).flatMap { seal($0) } }
        guard let (outer, _) = try? RMCPPlusPacket.decode(packet) else { return nil }
        switch outer.payloadType {
        case .openSessionRequest:
            guard let request = try? OpenSessionRequest.decode(outer.payload) else { return nil }
            suite = request.cipherSuite
            let response = OpenSessionResponse(
                messageTag: request.messageTag, status: 0, maximumPrivilege: 0,
                consoleSessionID: request.consoleSessionID, managedSessionID: managedSessionID,
                cipherSuite: request.cipherSuite)
            return RMCPPlusPacket(payloadType: .openSessionResponse, payload: response.encode()).encode()
        case .rakp1:
            guard let suite, let rakp1 = try? RAKPMessage1.decode(outer.payload) else { return nil }
            let exchange = RAKPExchange(
                authentication: suite.authentication, consoleSessionID: consoleSessionID,
                managedSessionID: managedSessionID, consoleRandom: rakp1.consoleRandom,
                managedRandom: (0..<16).map { UInt8($0 &+ 0x40) }, managedGUID: (0..<16).map { UInt8($0 &+ 0x80) },
                role: rakp1.role, username: rakp1.username)
            self.exchange = exchange
            let rakp2 = RAKPMessage2(
                messageTag: rakp1.messageTag, status: 0, consoleSessionID: consoleSessionID,
                managedRandom: exchange.managedRandom, managedGUID: exchange.managedGUID,
                authCode: exchange.rakp2AuthCode(userKey: Self.padded(password)))
            return RMCPPlusPacket(payloadType: .rakp2, payload: rakp2.encode()).encode()
        case .rakp3:
            guard let suite, let exchange, let rakp3 = try? RAKPMessage3.decode(outer.payload) else { return nil }
            let generatingKey = kg.map(Self.padded) ?? Self.padded(password)
            let sik = exchange.sessionIntegrityKey(generatingKey: generatingKey)
            crypto = SessionCrypto(
                suite: suite, keys: SessionKeys(authentication: suite.authentication, sik: sik), password: password)
            let rakp4 = RAKPMessage4(
                messageTag: rakp3.messageTag, status: 0, consoleSessionID: consoleSessionID,
                integrityCheckValue: exchange.rakp4IntegrityCheckValue(sik: sik))
            return RMCPPlusPacket(payloadType: .rakp4, payload: rakp4.encode()).encode()
        default:
            return nil
        }
    }

    /// The IPMI response message (unsealed) to an in-session request.
    func plaintextAnswer(_ packet: [UInt8]) -> [UInt8]? {
        guard let crypto, let opened = try? crypto.open(packet),
            let request = try? IPMIRequestMessage.decode(opened.payload)
        else { return nil }
        let data: [UInt8]
        switch request.command {
        case AppCommand.setSessionPrivilegeLevel: data = request.data
        case AppCommand.getDeviceID: data = [0x20, 0x01, 0x09, 0x08, 0x02, 0x9F, 0x91, 0x12, 0x00, 0x02, 0x0F]
        case 0x2D: data = [0x42, 0xC0, 0x00, 0x80]
        default: data = []
        }
        let response = IPMIResponseMessage(
            netFnCode: request.netFn.response, rqSeq: request.rqSeq, command: request.command,
            completionCode: .normal, data: data)
        return response.encode()
    }

    /// Seals an IPMI payload as this BMC would send it in the session.
    mutating func seal(_ payload: [UInt8]) -> [UInt8]? {
        guard let crypto else { return nil }
        sequence &+= 1
        return try? crypto.seal(
            sessionID: consoleSessionID, sequenceNumber: sequence, payload: payload,
            iv: (0..<16).map { UInt8($0 &* 3) })
    }
}
