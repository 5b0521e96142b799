import Testing

@testable import IPMI

/// Drives the client state machine through complete sessions against a scripted BMC whose packets, and
/// the exact client packets expected in reply, were computed by generate_vectors.py.
@Suite("Session state machine: scripted handshakes")
struct HandshakeTests {
    enum Producer { case start, action, request, close, done }

    @Test(arguments: Vectors.shared.handshakes)
    func fullSession(_ vector: Vectors.Handshake) throws {
        let random = ScriptedRandom(hex(vector.random))
        var machine = SessionStateMachine(configuration: try vector.configuration(), random: random)
        #expect(!machine.isEstablished)
        var lastAction: SessionAction? = nil
        var producer = Producer.start
        var responses: [IPMIResponse] = []
        var lastRqSeq: UInt8?
        for (index, step) in vector.steps.enumerated() {
            if let expected = step.client {
                let produced: [UInt8]
                switch producer {
                case .start:
                    guard case .send(let bytes) = machine.start() else {
                        Issue.record("start() did not send")
                        return
                    }
                    produced = bytes
                case .action:
                    guard case .send(let bytes) = lastAction else {
                        Issue.record("step \(index): expected .send, got \(String(describing: lastAction))")
                        return
                    }
                    produced = bytes
                    #expect(machine.isHandshaking)
                    if case .send(let again) = machine.retransmit() {
                        #expect(again == bytes, "retransmit resends the same packet")
                    } else {
                        Issue.record("retransmit() returned nothing during the handshake")
                    }
                case .request:
                    let (rqSeq, bytes) = try machine.encodeRequest(netFn: .app, command: AppCommand.getDeviceID)
                    lastRqSeq = rqSeq
                    produced = bytes
                case .close:
                    produced = try machine.encodeClose()
                    #expect(!machine.isEstablished)
                case .done:
                    Issue.record("unexpected client step")
                    return
                }
                #expect(produced == hex(expected), "step \(index) of \(vector.name)")
                if produced != hex(expected) { return }
                continue
            }
            let bmcBytes = hex(step.bmc ?? "")
            let action = machine.receive(bmcBytes)
            lastAction = action
            switch (step.expect, action) {
            case ("send", .send):
                producer = .action
            case ("established", .established(let session)):
                #expect(session.cipherSuite == CipherSuite(id: vector.suite))
                #expect(session.privilege.rawValue == vector.privilege)
                #expect(session.managedSessionID == vector.managedSessionID)
                #expect(session.consoleSessionID == vector.consoleSessionID)
                #expect(session.reportedMaximumPrivilege == 0)
                #expect(machine.isEstablished)
                #expect(machine.negotiated == session)
                #expect(machine.retransmit().isNone)
                if vector.negotiate { #expect(!session.offeredCipherSuites.isEmpty) }
                producer = .request
            case ("none", .none):
                break
            case ("response", .response(let rqSeq, let netFn, let command, let response)):
                #expect(netFn == .app)
                responses.append(response)
                if producer == .request {
                    #expect(rqSeq == lastRqSeq)
                    #expect(command == AppCommand.getDeviceID)
                    producer = .close
                } else {
                    #expect(command == AppCommand.closeSession)
                    producer = .done
                }
            default:
                Issue.record("step \(index) of \(vector.name): expected \(step.expect ?? "?"), got \(action)")
                return
            }
            // A duplicate of any BMC datagram is never acted upon twice.
            if step.expect == "response" || step.expect == "established" {
                #expect(machine.receive(bmcBytes).isDropped)
            }
        }
        #expect(producer == .done)
        #expect(responses.first?.data == hex(vector.deviceID))
        #expect(responses.first?.completionCode.rawValue == vector.completionCode)
        #expect(random.leftOver == 0)
        #expect(!random.exhausted)
        #expect(throws: IPMIError.self) { try machine.encodeRequest(netFn: .app, command: 1) }
    }

    /// Replays a vector up to (not including) the BMC step at `stopIndex`, with other credentials.
    static func replay(
        _ vector: Vectors.Handshake, until stopIndex: Int, configuration: SessionConfiguration? = nil
    ) throws -> (SessionStateMachine, ScriptedRandom) {
        let random = ScriptedRandom(hex(vector.random))
        var machine = SessionStateMachine(configuration: try configuration ?? vector.configuration(), random: random)
        _ = machine.start()
        for step in vector.steps.prefix(stopIndex) {
            guard let bmc = step.bmc else { continue }
            let action = machine.receive(hex(bmc))
            if step.expect == "established", case .established = action {
                _ = try machine.encodeRequest(netFn: .app, command: AppCommand.getDeviceID)
            }
        }
        return (machine, random)
    }

    static func vector(_ name: String) -> Vectors.Handshake {
        Vectors.shared.handshakes.first { $0.name == name }!
    }

    static func bmcStep(_ vector: Vectors.Handshake, payloadType: UInt8) -> Int {
        vector.steps.firstIndex { step in
            guard let bmc = step.bmc else { return false }
            let bytes = hex(bmc)
            return bytes[4] == 0x06 && bytes[5] & 0x3F == payloadType
        }!
    }

    @Test(arguments: ["suite 3", "suite 17", "suite 7", "suite 11"])
    func wrongPasswordFailsAtRAKP2(_ name: String) throws {
        let vector = Self.vector(name)
        var configuration = try vector.configuration()
        configuration.credentials = try SessionCredentials(username: vector.username, password: Array("wrong".utf8))
        let rakp2 = Self.bmcStep(vector, payloadType: 0x13)
        var (machine, _) = try Self.replay(vector, until: rakp2, configuration: configuration)
        guard case .failed(let error) = machine.receive(hex(vector.steps[rakp2].bmc!)) else {
            Issue.record("wrong password was not rejected")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.isAuthenticationFailure)
        #expect(!error.description.contains("wrong\""))
        #expect(machine.retransmit().isNone)
        #expect(machine.receive(hex(vector.steps[rakp2].bmc!)).isDropped)
    }

    @Test func missingKgFailsAtRAKP4() throws {
        // The BMC derived SIK from K_g; a console without K_g passes RAKP 2 (password) but not RAKP 4.
        let vector = Self.vector("suite 17 with K_g, operator, empty user")
        var configuration = try vector.configuration()
        configuration.credentials = try SessionCredentials(username: "", password: hex(vector.password))
        let rakp4 = Self.bmcStep(vector, payloadType: 0x15)
        var (machine, _) = try Self.replay(vector, until: rakp4, configuration: configuration)
        guard case .failed(let error) = machine.receive(hex(vector.steps[rakp4].bmc!)) else {
            Issue.record("RAKP 4 mismatch was not rejected")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.description.contains("RAKP 4"))
    }

    @Test(arguments: [(UInt8(0x13), UInt8(0x0D)), (0x13, 0x12), (0x11, 0x02), (0x11, 0x01), (0x15, 0x0F)])
    func rakpStatusCodesFail(payloadType: UInt8, status: UInt8) throws {
        let vector = Self.vector("suite 3")
        let index = Self.bmcStep(vector, payloadType: payloadType)
        var (machine, _) = try Self.replay(vector, until: index)
        var bytes = hex(vector.steps[index].bmc!)
        bytes[RMCPPlusPacket.payloadOffset + 1] = status
        guard case .failed(let error) = machine.receive(bytes) else {
            Issue.record("status 0x\(String(status, radix: 16)) was not a failure")
            return
        }
        #expect(error.code == .rakpStatus)
        #expect(error.rakpStatusCode == status)
        #expect(error.description.contains(RAKPStatus.name(of: status)))
        #expect(error.isAuthenticationFailure == [0x0D, 0x0F].contains(status))
    }

    @Test func suiteZeroRefusedUnlessAllowed() throws {
        let credentials = try SessionCredentials(username: "admin", password: [])
        var machine = SessionStateMachine(
            configuration: SessionConfiguration(
                credentials: credentials, cipherSuite: CipherSuite(id: 0), consoleSessionID: 5),
            random: ScriptedRandom([1, 2]))
        guard case .failed(let error) = machine.start() else {
            Issue.record("suite 0 started")
            return
        }
        #expect(error.code == .unsupportedCipherSuite)
        #expect(!machine.isHandshaking)
    }

    @Test func zeroConsoleSessionIDRefused() throws {
        let credentials = try SessionCredentials(username: "admin", password: [])
        var machine = SessionStateMachine(
            configuration: SessionConfiguration(credentials: credentials, consoleSessionID: 0))
        guard case .failed(let error) = machine.start() else {
            Issue.record("session ID 0 accepted")
            return
        }
        #expect(error.code == .invalidArgument)
    }

    @Test func negotiationWithOnlyUnauthenticatedSuitesFails() throws {
        let vector = Self.vector("negotiated 17")
        var (machine, _) = try Self.replay(vector, until: 3)
        // Answer the first Get Channel Cipher Suites page with only suite 0 (and end of list).
        guard
            case .send(let request) = {
                var copy = try! Self.replay(vector, until: 1).0
                return copy.receive(hex(vector.steps[1].bmc!))
            }()
        else {
            Issue.record("no cipher suite request")
            return
        }
        let rqSeq = try IPMIRequestMessage.decode(try IPMI15Packet.decode(request).message).rqSeq
        let response = IPMIResponseMessage(
            netFnCode: 0x07, rqSeq: rqSeq, command: 0x54, completionCode: .normal,
            data: [0x01, 0xC0, 0x00, 0x00, 0x40, 0x80])
        (machine, _) = try Self.replay(vector, until: 3)
        guard case .failed(let error) = machine.receive(IPMI15Packet(message: response.encode()).encode()) else {
            Issue.record("negotiated an unauthenticated suite")
            return
        }
        #expect(error.code == .unsupportedCipherSuite)
    }

    @Test func bmcWithoutGetChannelCipherSuitesOffersSuite17First() throws {
        let vector = Self.vector("negotiated 17")
        var (machine, _) = try Self.replay(vector, until: 3)
        let request = hex(vector.steps[2].client!)
        let rqSeq = try IPMIRequestMessage.decode(try IPMI15Packet.decode(request).message).rqSeq
        let response = IPMIResponseMessage(
            netFnCode: 0x07, rqSeq: rqSeq, command: 0x54, completionCode: .invalidCommand, data: [])
        guard case .send(let openSession) = machine.receive(IPMI15Packet(message: response.encode()).encode()) else {
            Issue.record("no Open Session after an invalid-command answer")
            return
        }
        let payload = try RMCPPlusPacket.decode(openSession).packet.payload
        // As ipmitool does: 17, then 3 if the BMC refuses it (withoutTheBMCsCipherSuitesOpenSessionOffers17Then3).
        #expect(try OpenSessionRequest.decode(payload).cipherSuite == CipherSuite(id: 17))
    }

    @Test func openSessionWithOtherAlgorithmsFails() throws {
        let vector = Self.vector("suite 17")
        let index = Self.bmcStep(vector, payloadType: 0x11)
        var (machine, _) = try Self.replay(vector, until: index)
        var bytes = hex(vector.steps[index].bmc!)
        bytes[RMCPPlusPacket.payloadOffset + 12 + 4] = 0x01  // authentication HMAC-SHA1 instead of SHA256
        guard case .failed(let error) = machine.receive(bytes) else {
            Issue.record("accepted other algorithms")
            return
        }
        #expect(error.code == .unsupportedCipherSuite)
    }

    @Test func privilegeRejectedFails() throws {
        // Suite 1 has no integrity or encryption, so the BMC side is easy to rebuild with another code.
        let vector = Self.vector("suite 1")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        var (machine, _) = try Self.replay(vector, until: index)
        let original = try RMCPPlusPacket.decode(hex(vector.steps[index].bmc!)).packet
        var response = try IPMIResponseMessage.decode(original.payload)
        response.completionCode = CompletionCode(rawValue: 0x81)
        response.data = []
        var packet = original
        packet.payload = response.encode()
        guard case .failed(let error) = machine.receive(packet.encode()) else {
            Issue.record("privilege rejection ignored")
            return
        }
        #expect(error.code == .privilegeRejected)
    }

    @Test func rqSeqCyclesAndOutstandingRequestsMatch() throws {
        let vector = Self.vector("suite 1")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        var (machine, _) = try Self.replay(vector, until: index + 1)
        #expect(machine.isEstablished)
        // Replay left one Get Device ID outstanding; add 63 more: the 6-bit space is then full.
        var seqs: Set<UInt8> = []
        var packets: [(UInt8, [UInt8])] = []
        for _ in 0..<63 {
            let (rqSeq, packet) = try machine.encodeRequest(netFn: .chassis, command: 0x01)
            #expect(rqSeq < 64)
            seqs.insert(rqSeq)
            packets.append((rqSeq, packet))
        }
        #expect(seqs.count == 63)
        #expect(machine.outstandingRequestCount == 64)
        #expect(throws: IPMIError.tooManyOutstandingRequests) { try machine.encodeRequest(netFn: .chassis, command: 1) }
        // Session sequence numbers increase by one per packet.
        let sequences = try packets.map { try RMCPPlusPacket.decode($0.1).packet.sequenceNumber }
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 + 1 })
        // Answer them in reverse order; each is matched by rqSeq, a second answer is dropped.
        for (rqSeq, _) in packets.reversed() {
            let reply = RMCPPlusPacket(
                payloadType: .ipmi, sessionID: vector.consoleSessionID, sequenceNumber: 1,
                payload: IPMIResponseMessage(
                    netFnCode: 0x01, rqSeq: rqSeq, command: 0x01, completionCode: .normal, data: [rqSeq]
                ).encode())
            guard case .response(let gotSeq, let netFn, let command, let response) = machine.receive(reply.encode())
            else {
                Issue.record("response \(rqSeq) not matched")
                return
            }
            #expect(gotSeq == rqSeq)
            #expect(netFn == .chassis)
            #expect(command == 0x01)
            #expect(response.data == [rqSeq])
            #expect(machine.receive(reply.encode()).isDropped)
        }
        // A response with the right rqSeq but another command is not a match.
        let (rqSeq, _) = try machine.encodeRequest(netFn: .storage, command: 0x20)
        let wrong = RMCPPlusPacket(
            payloadType: .ipmi, sessionID: vector.consoleSessionID, sequenceNumber: 1,
            payload: IPMIResponseMessage(netFnCode: 0x0B, rqSeq: rqSeq, command: 0x21, completionCode: .normal).encode()
        )
        #expect(machine.receive(wrong.encode()) == .dropped(.unmatchedResponse))
        machine.cancel(rqSeq: rqSeq)
        let right = RMCPPlusPacket(
            payloadType: .ipmi, sessionID: vector.consoleSessionID, sequenceNumber: 1,
            payload: IPMIResponseMessage(netFnCode: 0x0B, rqSeq: rqSeq, command: 0x20, completionCode: .normal).encode()
        )
        #expect(machine.receive(right.encode()) == .dropped(.unmatchedResponse))
        // Another session's ID is dropped before anything else.
        var foreign = right
        foreign.sessionID = vector.consoleSessionID &+ 1
        #expect(machine.receive(foreign.encode()) == .dropped(.wrongSessionID))
    }
}

extension HandshakeTests {
    /// An in-session answer from the BMC of the "suite 1" vector (no integrity, so it is easy to build).
    static func answer(
        _ consoleSessionID: UInt32, sequence: UInt32, netFnCode: UInt8, rqSeq: UInt8, command: UInt8
    )
        -> [UInt8]
    {
        RMCPPlusPacket(
            payloadType: .ipmi, sessionID: consoleSessionID, sequenceNumber: sequence,
            payload: IPMIResponseMessage(
                netFnCode: netFnCode, rqSeq: rqSeq, command: command, completionCode: .normal, data: [rqSeq]
            ).encode()
        ).encode()
    }

    @Test func heldRqSeqIsNotReusedForTheSameCommandUntilTheHoldEnds() throws {
        let vector = Self.vector("suite 1")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        var (machine, _) = try Self.replay(vector, until: index + 1)
        let id = vector.consoleSessionID
        // Get Sensor Reading (netFn 04h, command 2Dh) answered, then held until t = 1000.
        let (first, _) = try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, now: 0)
        let reply = Self.answer(id, sequence: 10, netFnCode: 0x05, rqSeq: first, command: 0x2D)
        guard case .response(first, .sensorEvent, 0x2D, _) = machine.receive(reply) else {
            Issue.record("answer not matched")
            return
        }
        machine.hold(rqSeq: first, until: 1000)
        #expect(machine.earliestHoldEnd(after: 999) == 1000)
        #expect(machine.earliestHoldEnd(after: 1000) == nil)
        // A second copy of that answer (the BMC answered a duplicated request) is late, not a match.
        #expect(
            machine.receive(Self.answer(id, sequence: 11, netFnCode: 0x05, rqSeq: first, command: 0x2D))
                == .dropped(.late))
        #expect(machine.lastLateAnswerHoldEnd == 1000)
        // Going round the rqSeq space for the same command skips the held rqSeq while the hold lasts ...
        var used: Set<UInt8> = []
        for _ in 0..<62 {
            let (rqSeq, _) = try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, now: 999)
            used.insert(rqSeq)
        }
        #expect(!used.contains(first))
        #expect(used.count == 62)
        // ... so with one request of the replay still outstanding, the space is full for this command,
        #expect(throws: IPMIError.tooManyOutstandingRequests) {
            try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, now: 999)
        }
        // but not for another command: a late Get Sensor Reading answer would not match a Get SDR.
        let (other, _) = try machine.encodeRequest(netFn: .storage, command: 0x23, now: 999)
        #expect(other == first)
        #expect(
            machine.receive(Self.answer(id, sequence: 12, netFnCode: 0x05, rqSeq: first, command: 0x2D))
                == .dropped(.late))
        machine.cancel(rqSeq: other)
        // Once the hold has ended the rqSeq serves the same command again.
        let (again, _) = try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D, now: 1000)
        #expect(again == first)
    }

    @Test func answerToAnRqSeqNeverHeldIsUnmatched() throws {
        let vector = Self.vector("suite 1")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        var (machine, _) = try Self.replay(vector, until: index + 1)
        let (rqSeq, _) = try machine.encodeRequest(netFn: .sensorEvent, command: 0x2D)
        machine.cancel(rqSeq: rqSeq)
        let reply = Self.answer(vector.consoleSessionID, sequence: 10, netFnCode: 0x05, rqSeq: rqSeq, command: 0x2D)
        #expect(machine.receive(reply) == .dropped(.unmatchedResponse))
        #expect(machine.earliestHoldEnd(after: 0) == nil)
    }
}

extension HandshakeTests {
    /// The IPMI message of a sessionless IPMI v1.5 packet (IPMI v2.0 table 13-8, first layout: RMCP header, auth
    /// type 00h, sequence, session ID, length, message) put in RMCP+ framing (second layout: auth type 06h, payload
    /// type, session ID, sequence, 2-byte length, payload), as some BMCs answer before a session exists.
    static func rmcpPlusFraming(
        of ipmi15: [UInt8], payloadType: UInt8 = 0x00, sessionID: [UInt8] = [0, 0, 0, 0]
    )
        -> [UInt8]
    {
        let message = Array(ipmi15[14...])
        precondition(ipmi15[4] == 0x00 && Int(ipmi15[13]) == message.count)
        return [0x06, 0x00, 0xFF, 0x07, 0x06, payloadType] + sessionID + [0, 0, 0, 0]
            + [UInt8(message.count), 0x00] + message
    }

    @Test(arguments: ["suite 3", "suite 17"])
    func sessionlessAnswersInRMCPPlusFramingAreAccepted(_ name: String) throws {
        let vector = Self.vector(name)
        var machine = SessionStateMachine(
            configuration: try vector.configuration(), random: ScriptedRandom(hex(vector.random)))
        _ = machine.start()
        var reframed = 0
        var established = false
        for step in vector.steps {
            guard let bmc = step.bmc else { continue }
            var answer = hex(bmc)
            if answer[4] == 0x00 {
                answer = Self.rmcpPlusFraming(of: answer)
                reframed += 1
            }
            if case .established = machine.receive(answer) {
                established = true
                break
            }
        }
        #expect(reframed >= 1)
        #expect(established)
    }

    @Test func sessionlessRMCPPlusAnswersWithASessionIDOrAuthenticationAreDropped() throws {
        let vector = Self.vector("suite 3")
        var machine = SessionStateMachine(
            configuration: try vector.configuration(), random: ScriptedRandom(hex(vector.random)))
        _ = machine.start()
        let first = hex(vector.steps.first { $0.bmc != nil }!.bmc!)
        #expect(machine.receive(Self.rmcpPlusFraming(of: first, sessionID: [1, 0, 0, 0])) == .dropped(.malformed))
        // Payload type byte with the authenticated bit (6) set: not sessionless data.
        #expect(machine.receive(Self.rmcpPlusFraming(of: first, payloadType: 0x40)).isDropped)
        // SOL payload (01h) instead of IPMI.
        #expect(machine.receive(Self.rmcpPlusFraming(of: first, payloadType: 0x01)) == .dropped(.malformed))
        // The real answer still goes through afterwards.
        #expect(!machine.receive(Self.rmcpPlusFraming(of: first)).isDropped)
    }

    @Test func aSessionlessAnswerAfterEstablishmentIsDropped() throws {
        let vector = Self.vector("suite 3")
        let index = vector.steps.firstIndex { $0.expect == "established" }!
        var (machine, _) = try Self.replay(vector, until: index + 1)
        #expect(machine.isEstablished)
        let first = hex(vector.steps.first { $0.bmc != nil }!.bmc!)
        #expect(machine.receive(Self.rmcpPlusFraming(of: first)).isDropped)
        #expect(machine.receive(first).isDropped)
    }
}

extension HandshakeTests {
    /// A machine that negotiates (no suite configured), past Get Channel Authentication Capabilities and waiting
    /// for the first page of Get Channel Cipher Suites, with the rqSeq that page was asked for under.
    static func machineAskingForCipherSuites() throws -> (SessionStateMachine, rqSeq: UInt8) {
        let vector = Self.vector("suite 17")
        var configuration = try vector.configuration()
        configuration.cipherSuite = nil
        var machine = SessionStateMachine(configuration: configuration, random: ScriptedRandom(hex(vector.random)))
        _ = machine.start()
        let capabilities = hex(vector.steps.first { $0.bmc != nil }!.bmc!)
        guard case .send(let request) = machine.receive(capabilities) else {
            Issue.record("no Get Channel Cipher Suites request")
            return (machine, 0)
        }
        let message = try IPMI15Packet.decode(request).message
        // Request message: rsAddr, netFn/rsLUN, checksum, rqAddr, rqSeq/rqLUN, command 54h (IPMI v2.0 section 22.15).
        #expect(message[5] == 0x54)
        return (machine, message[4] >> 2)
    }

    /// The suite an Open Session request offers, and its message tag.
    static func offeredSuite(_ action: SessionAction) throws -> (suite: CipherSuite, tag: UInt8)? {
        guard case .send(let packet) = action else { return nil }
        let decoded = try RMCPPlusPacket.decode(packet).packet
        guard decoded.payloadType == .openSessionRequest else { return nil }
        let request = try OpenSessionRequest.decode(decoded.payload)
        return (request.cipherSuite, request.messageTag)
    }

    @Test func withoutTheBMCsCipherSuitesOpenSessionOffers17Then3() throws {
        var (machine, rqSeq) = try Self.machineAskingForCipherSuites()
        let refusal = IPMI15Packet(
            message: IPMIResponseMessage(
                netFnCode: 0x07, rqSeq: rqSeq, command: 0x54, completionCode: CompletionCode(rawValue: 0xC1)
            ).encode()
        ).encode()
        let firstAction = machine.receive(refusal)
        let first = try #require(try Self.offeredSuite(firstAction))
        #expect(first.suite == .suite17)
        #expect(machine.negotiationFallback?.contains("Get Channel Cipher Suites") == true)
        // The BMC refuses 17 (status 11h, no matching integrity payload): suite 3 next, under a new message tag.
        let refused17 = RMCPPlusPacket(
            payloadType: .openSessionResponse,
            payload: OpenSessionResponse(
                messageTag: first.tag, status: 0x11, maximumPrivilege: 0, consoleSessionID: 0, managedSessionID: 0,
                cipherSuite: nil
            ).encode())
        let secondAction = machine.receive(refused17.encode())
        let second = try #require(try Self.offeredSuite(secondAction))
        #expect(second.suite == .suite3)
        #expect(second.tag != first.tag)
        // Refused again: no suite is left.
        let refused3 = RMCPPlusPacket(
            payloadType: .openSessionResponse,
            payload: OpenSessionResponse(
                messageTag: second.tag, status: 0x11, maximumPrivilege: 0, consoleSessionID: 0, managedSessionID: 0,
                cipherSuite: nil
            ).encode())
        guard case .failed(let error) = machine.receive(refused3.encode()) else {
            Issue.record("a second refusal did not end the handshake")
            return
        }
        #expect(error.code == .unsupportedCipherSuite)
    }

    @Test func anUnansweredCipherSuitesRequestFallsBackToOpenSessionWith17() throws {
        var (machine, _) = try Self.machineAskingForCipherSuites()
        let timedOut = machine.stepTimedOut()
        let fallback = try #require(timedOut)
        #expect(try Self.offeredSuite(fallback)?.suite == .suite17)
        #expect(machine.negotiationFallback == "Get Channel Cipher Suites went unanswered")
        // In any other step a timeout has no fallback.
        let again = machine.stepTimedOut()
        #expect(again == nil)
    }
}

extension SessionAction: Equatable {
    public static func == (lhs: SessionAction, rhs: SessionAction) -> Bool {
        switch (lhs, rhs) {
        case (.send(let a), .send(let b)): a == b
        case (.established(let a), .established(let b)): a == b
        case (.response(let a1, let a2, let a3, let a4), .response(let b1, let b2, let b3, let b4)):
            a1 == b1 && a2 == b2 && a3 == b3 && a4 == b4
        case (.failed(let a), .failed(let b)): a == b
        case (.dropped(let a), .dropped(let b)): a == b
        case (.none, .none): true
        default: false
        }
    }

    var isDropped: Bool {
        if case .dropped = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

@Suite("Replay protection")
struct ReplayTests {
    @Test func replayedAuthenticatedResponseIsDropped() throws {
        let vector = HandshakeTests.vector("suite 3")
        let deviceIDIndex = vector.steps.firstIndex { $0.expect == "response" }!
        var (machine, _) = try HandshakeTests.replay(vector, until: deviceIDIndex)
        let answer = hex(vector.steps[deviceIDIndex].bmc!)
        guard case .response(let rqSeq, _, _, _) = machine.receive(answer) else {
            Issue.record("no response")
            return
        }
        // Walk the 6-bit rqSeq space until the same rqSeq and command are outstanding again: only the
        // sequence number window can tell the replay from a fresh answer now.
        var again: UInt8 = 0xFF
        for _ in 0..<64 {
            let (next, _) = try machine.encodeRequest(netFn: .app, command: AppCommand.getDeviceID)
            if next == rqSeq {
                again = next
                break
            }
            machine.cancel(rqSeq: next)
        }
        #expect(again == rqSeq)
        #expect(machine.receive(answer) == .dropped(.replayed))
    }

    func accept(_ window: inout SequenceWindow, _ sequence: UInt32) -> Bool { window.accept(sequence) }

    @Test func sequenceWindow() {
        var window = SequenceWindow()
        #expect(!accept(&window, 0))
        #expect(accept(&window, 5))
        #expect(!accept(&window, 5))
        #expect(accept(&window, 3))
        #expect(accept(&window, 4))
        #expect(!accept(&window, 3))
        #expect(accept(&window, 100))
        #expect(accept(&window, 37))  // 63 behind
        #expect(!accept(&window, 36))  // 64 behind
        #expect(!accept(&window, 37))
        #expect(accept(&window, UInt32.max))
        #expect(!accept(&window, 100))
    }
}

@Suite("Short refusals")
struct ShortRefusalTests {
    @Test(arguments: [(UInt8(0x11), UInt8(0x04)), (0x13, 0x0D), (0x15, 0x0F)])
    func twoByteRefusalFailsWithItsStatus(payloadType: UInt8, status: UInt8) throws {
        // ipmi_sim answers an Open Session for a suite it lacks (17) with only tag and status 0x04.
        let vector = HandshakeTests.vector("suite 17")
        let index = HandshakeTests.bmcStep(vector, payloadType: payloadType)
        var (machine, _) = try HandshakeTests.replay(vector, until: index)
        let tag = hex(vector.steps[index].bmc!)[RMCPPlusPacket.payloadOffset]
        let refusal = RMCPPlusPacket(payloadType: PayloadType(rawValue: payloadType), payload: [tag, status]).encode()
        #expect(routingKey(ofDatagramFromBMC: refusal) == .preSession)
        var other = machine
        let otherTag = RMCPPlusPacket(payloadType: PayloadType(rawValue: payloadType), payload: [tag &+ 1, status])
        #expect(other.receive(otherTag.encode()) == .dropped(.wrongMessageTag))
        guard case .failed(let error) = machine.receive(refusal) else {
            Issue.record("short refusal not reported")
            return
        }
        if payloadType == 0x11 {
            #expect(error.code == .unsupportedCipherSuite)
            #expect(error.description.contains("invalid authentication algorithm"))
        } else {
            #expect(error.rakpStatusCode == status)
        }
    }

    @Test func ipmiSimRefusalBytes() throws {
        // Captured from ipmi_sim when asked for cipher suite 17: tag 0xdf, status 0x04.
        let datagram = hex("0600ff07 0611 00000000 00000000 0200 df04")
        let response = try OpenSessionResponse.decode(try RMCPPlusPacket.decode(datagram).packet.payload)
        #expect(response.messageTag == 0xDF)
        #expect(response.status == 0x04)
        #expect(RAKPStatus.name(of: response.status) == "invalid authentication algorithm")
    }
}
