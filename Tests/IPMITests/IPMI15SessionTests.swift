import Testing

@testable import IPMI

/// IPMI v1.5 sessions in the pure state machine. The expected bytes are ipmitool 1.8.19's (`-I lan`) talking to
/// ipmi_sim 2.0.33 (Fixtures/ipmitool-lan-*.txt, `Vectors/capture_lan15.sh`); the random numbers ipmitool drew
/// (first rqSeq, initial outbound sequence number) are fed to the machine, so its datagrams must be the same.
@Suite("IPMI v1.5 sessions")
struct IPMI15SessionTests {
    static func machine(
        authenticationType: IPMI15AuthenticationType? = nil, privilege: PrivilegeLevel = .administrator,
        workarounds: SessionWorkarounds = [], random: [UInt8]
    ) throws -> SessionStateMachine {
        let configuration = SessionConfiguration(
            credentials: try SessionCredentials(username: "admin", password: "password"), privilege: privilege,
            consoleSessionID: 0x0102_0304, workarounds: workarounds,
            ipmi15: IPMI15Options(authenticationType: authenticationType))
        return SessionStateMachine(configuration: configuration, random: ScriptedRandom(random))
    }

    static func message(_ datagram: [UInt8]) throws -> IPMIRequestMessage {
        try IPMIRequestMessage.decode(try IPMI15Packet.decode(datagram).message)
    }

    /// The random bytes ipmitool drew in a capture: its first rqSeq and its initial outbound sequence number (the
    /// last 4 bytes of its Activate Session request).
    static func randomOf(_ capture: Capture) throws -> [UInt8] {
        let first = try message(capture.console[0]).rqSeq
        return [first, 0x00] + Array(try message(capture.console[2]).data.suffix(4))
    }

    /// Replays a whole capture: the set-up, every request (re-encoded from its netFn, command and data) and Close
    /// Session must come out as ipmitool's bytes, and every ipmi_sim answer must be taken.
    func replay(_ capture: Capture, authenticationType: IPMI15AuthenticationType) throws {
        var machine = try Self.machine(authenticationType: authenticationType, random: try Self.randomOf(capture))
        let console = capture.console
        let bmc = capture.bmc
        try #require(console.count == bmc.count && console.count > 5)
        guard case .send(let first) = machine.start() else { throw IPMIError.malformed("no first packet") }
        #expect(first == console[0])
        for step in 0..<3 {
            let action = machine.receive(bmc[step])
            guard case .send(let packet) = action else {
                Issue.record("step \(step): \(action)")
                return
            }
            #expect(packet == console[step + 1], "step \(step)")
        }
        guard case .established(let session) = machine.receive(bmc[3]) else {
            Issue.record("not established")
            return
        }
        #expect(session.ipmi15AuthenticationType == authenticationType)
        #expect(session.privilege == .administrator)
        #expect(session.managedSessionID == (try IPMI15Packet.decode(console[3])).sessionID)
        #expect("\(session)".contains("IPMI v1.5"))
        for index in 4..<(console.count - 1) {
            let request = try Self.message(console[index])
            let (rqSeq, packet) = try machine.encodeRequest(
                netFn: request.netFn, command: request.command, data: request.data, lun: request.responderLUN)
            #expect(packet == console[index], "request \(index)")
            guard case .response(let answered, _, let command, _) = machine.receive(bmc[index]) else {
                Issue.record("answer \(index) not taken")
                continue
            }
            #expect(answered == rqSeq && command == request.command)
        }
        #expect(try machine.encodeClose() == console[console.count - 1])
        guard case .response(_, _, let command, let response) = machine.receive(bmc[bmc.count - 1]) else {
            Issue.record("Close Session answer not taken")
            return
        }
        #expect(command == AppCommand.closeSession && response.completionCode == .normal)
    }

    @Test func md5SessionMatchesIpmitoolByteForByte() throws {
        try replay(Capture("ipmitool-lan-md5.txt"), authenticationType: .md5)
    }

    @Test func straightPasswordSessionMatchesIpmitoolByteForByte() throws {
        try replay(Capture("ipmitool-lan-password.txt"), authenticationType: .straightPassword)
    }

    /// ipmitool at user level skips Set Session Privilege Level; the set-up up to Activate Session is the same.
    @Test func authTypeNoneSetUpMatchesIpmitool() throws {
        let capture = Capture("ipmitool-lan-none.txt")
        var machine = try Self.machine(
            authenticationType: IPMI15AuthenticationType.none, privilege: .user, random: try Self.randomOf(capture))
        guard case .send(let first) = machine.start() else { throw IPMIError.malformed("no first packet") }
        #expect(first == capture.console[0])
        for step in 0..<2 {
            guard case .send(let packet) = machine.receive(capture.bmc[step]) else {
                Issue.record("step \(step)")
                return
            }
            #expect(packet == capture.console[step + 1])
        }
        guard case .send(let privilege) = machine.receive(capture.bmc[2]) else {
            Issue.record("no Set Session Privilege Level")
            return
        }
        let packet = try IPMI15Packet.decode(privilege)
        #expect(packet.authType == 0 && packet.authCode.isEmpty)
        #expect(packet.sessionID == (try IPMI15Packet.decode(capture.console[3])).sessionID)
        #expect(packet.sessionSequence == (try IPMI15Packet.decode(capture.console[3])).sessionSequence)
    }

    /// What a machine without a configured type does with a Get Channel Authentication Capabilities answer that
    /// offers the types of bits `offered` (IPMI v2.0 table 22-15 byte 2).
    static func answerCapabilities(offering offered: UInt8) throws -> SessionAction {
        var machine = try machine(random: [1, 0])
        guard case .send(let request) = machine.start() else { throw IPMIError.malformed("none") }
        let answer = IPMIResponseMessage(
            netFnCode: 0x07, rqSeq: try message(request).rqSeq, command: 0x38, completionCode: .normal,
            data: [0x01, offered, 0x00, 0x00, 0, 0, 0, 0])
        return machine.receive(IPMI15Packet(message: answer.encode()).encode())
    }

    /// Without a configured type the strongest offered is taken; none only when asked for by name, and a BMC that
    /// offers only none (or only OEM, bit 5) fails with the hint.
    @Test func strongestOfferedTypeIsChosenAndNoneNeedsConsent() throws {
        let capture = Capture("ipmitool-lan-md5.txt")
        var machine = try Self.machine(random: try Self.randomOf(capture))
        _ = machine.start()
        guard case .send(let challenge) = machine.receive(capture.bmc[0]) else { throw IPMIError.malformed("none") }
        #expect(try Self.message(challenge).data.first == IPMI15AuthenticationType.md5.rawValue)
        // Offered bits (table 22-15 byte 2) → the type chosen: MD5, then MD2, then straight password (ipmitool's order).
        for (offered, expected): (UInt8, IPMI15AuthenticationType) in [
            (0x17, .md5), (0x13, .md2), (0x11, .straightPassword), (0x03, .md2), (0x06, .md5),
        ] {
            guard case .send(let challenge) = try Self.answerCapabilities(offering: offered) else {
                Issue.record("offered \(offered) refused")
                continue
            }
            #expect(try Self.message(challenge).data.first == expected.rawValue, "offered \(offered)")
        }
        for offered: UInt8 in [0x01, 0x20] {
            guard case .failed(let error) = try Self.answerCapabilities(offering: offered) else {
                Issue.record("offered \(offered) accepted")
                continue
            }
            #expect("\(error)".contains("workaround_flags: [authcap]"), "\(error)")
        }
    }

    @Test func md5AuthCodesAreIpmitools() throws {
        for datagram in Capture("ipmitool-lan-md5.txt").datagrams.map(\.bytes) {
            let packet = try IPMI15Packet.decode(datagram)
            guard packet.authType == IPMI15AuthenticationType.md5.rawValue else { continue }
            let code = IPMI15AuthenticationType.md5.authCode(
                password: Array("password".utf8), sessionID: packet.sessionID, message: packet.message,
                sequence: packet.sessionSequence)
            #expect(code == packet.authCode)
            #expect(packet.encode() == datagram)
        }
    }

    /// A straight-password AuthCode is the password: debug logs show neither it nor an MD5 AuthCode.
    @Test func authCodesStayOutOfDebugLogs() throws {
        let password = CommandName.hex(Array("password".utf8))
        var checked = 0
        for datagram in Capture("ipmitool-lan-password.txt").datagrams.map(\.bytes)
            + Capture("ipmitool-lan-md5.txt")
            .datagrams.map(\.bytes)
        {
            let packet = try IPMI15Packet.decode(datagram)
            guard packet.authType != 0 else { continue }
            let logged = PacketSummary.loggableHex(datagram)
            #expect(!logged.contains(password) && !logged.contains(CommandName.hex(packet.authCode)), "\(logged)")
            #expect(logged.contains("AuthCode not logged"))
            #expect(PacketSummary.describe(datagram).hasSuffix("length=\(packet.message.count)"))
            checked += 1
        }
        #expect(checked > 20)
    }

    @Test func sequenceWindowTakesEachNumberOnceAndWraps() {
        var window = IPMI15SequenceWindow(first: 0xFFFF_FFFE)
        let steps: [(UInt32, Bool)] = [
            (0xFFFF_FFFE, true), (0xFFFF_FFFE, false),
            (0x0000_0001, true),  // across the wrap, 3 ahead
            (0xFFFF_FFFF, true), (0xFFFF_FFFF, false),  // late but within the window, once
            (0x0000_0001 &- 40, false),  // too old
            (0x0000_0001 &+ 300, false),  // too far ahead
            (0x0000_0001 &+ 256, true),
        ]
        for (sequence, taken) in steps {
            let accepted = window.accept(sequence)
            #expect(accepted == taken, "\(sequence)")
        }
    }

    @Test func malformedAndForeignPacketsAreDropped() throws {
        let capture = Capture("ipmitool-lan-md5.txt")
        var machine = try Self.machine(random: try Self.randomOf(capture))
        _ = machine.start()
        for step in 0..<4 { _ = machine.receive(capture.bmc[step]) }
        #expect(machine.isEstablished)
        _ = try machine.encodeRequest(netFn: .app, command: 0x01)
        var tampered = capture.bmc[6]
        tampered[tampered.count - 2] ^= 0x01
        guard case .dropped(.integrityMismatch) = machine.receive(tampered) else {
            Issue.record("a tampered answer was not dropped")
            return
        }
        guard case .dropped = machine.receive(Array(capture.bmc[6].prefix(20))) else {
            Issue.record("a truncated answer was not dropped")
            return
        }
        var foreign = capture.bmc[6]
        foreign[9] ^= 0x40
        guard case .dropped(.wrongSessionID) = machine.receive(foreign) else {
            Issue.record("an answer of another session was not dropped")
            return
        }
    }

    /// An answer in a v1.5 session 0x82 whose BMC numbers its answers from 100: MD5 unless `type` says otherwise.
    static func answer(id: UInt32 = 0x82, sequence: UInt32 = 100, type: UInt8 = 2, badCode: Bool = false) -> [UInt8] {
        let message = IPMIResponseMessage(netFnCode: 0x07, rqSeq: 5, command: 0x01, completionCode: .normal).encode()
        var code =
            IPMI15AuthenticationType(rawValue: type)?.authCode(
                password: Array("password".utf8), sessionID: id, message: message, sequence: sequence) ?? []
        if badCode { code[3] ^= 0x10 }
        return IPMI15Packet(authType: type, sessionSequence: sequence, sessionID: id, authCode: code, message: message)
            .encode()
    }

    /// Each 1.5 workaround flag: without it the answer of the broken BMC is dropped and the stall names the flag;
    /// with it the answer is taken.
    @Test func ipmi15WorkaroundsTakeTheBrokenBMCsAnswers() {
        let cases: [(SessionWorkarounds, String, [UInt8], Bool)] = [
            (.acceptSessionIDZero, "idzero", Self.answer(id: 0), false),
            (.bigEndianSequence, "endianseq", Self.answer(sequence: UInt32(100).byteSwapped), false),
            (.noAuthCodeCheck, "noauthcodecheck", Self.answer(badCode: true), false),
            (.checkUnexpectedAuthCode, "unexpectedauth", Self.answer(), true),
        ]
        for (flag, name, datagram, unauthenticatedRequests) in cases {
            for workarounds in [SessionWorkarounds(), flag] {
                var session = IPMI15Session(
                    authType: .md5, password: Array("password".utf8), workarounds: workarounds, sessionID: 0x82)
                session.inbound = IPMI15SequenceWindow(first: 100)
                if unauthenticatedRequests { session.outboundAuthType = .none }
                let taken = (try? session.open(datagram).get()) != nil
                #expect(taken == !workarounds.isEmpty, "\(name) with \(workarounds)")
                let reason = session.stallReason(perMessageAuthenticationDisabled: unauthenticatedRequests) ?? ""
                #expect(reason.contains("workaround_flags: [\(name)]") == workarounds.isEmpty, "\(name): \(reason)")
            }
        }
        var plain = IPMI15Session(authType: .md5, password: Array("password".utf8), workarounds: [], sessionID: 0x82)
        plain.inbound = IPMI15SequenceWindow(first: 100)
        #expect((try? plain.open(Self.answer()).get()) != nil)
        #expect((try? plain.open(Self.answer()).get()) == nil, "a replayed answer")
        #expect((try? plain.open(Self.answer(sequence: 101, type: 0)).get()) == nil, "an answer without AuthCode")
        #expect(plain.stallReason(perMessageAuthenticationDisabled: true) == nil)
        plain.outboundAuthType = .none
        #expect(plain.stallReason(perMessageAuthenticationDisabled: true)?.contains("[forcepermsg]") == true)
    }
}
