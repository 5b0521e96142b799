import Testing

@testable import IPMI

/// FreeIPMI's session workaround flags in the pure state machine: what changes with the flag, and that without it
/// the failure names the flag to try.
@Suite("Session state machine: workaround flags")
struct SessionWorkaroundTests {
    static func machine(_ workarounds: SessionWorkarounds) throws -> SessionStateMachine {
        let configuration = SessionConfiguration(
            credentials: try SessionCredentials(username: "admin", password: "password"),
            cipherSuite: .suite3, consoleSessionID: 0xA0A1_A2A3, workarounds: workarounds)
        return SessionStateMachine(configuration: configuration, random: ScriptedRandom([0x05, 0x77]))
    }

    /// The BMC's answer to the Get Channel Authentication Capabilities request `request` (IPMI v2.0 §22.13):
    /// extended capabilities present (byte 2 bit 7) and byte 4 as given (bit 1: IPMI v2.0 supported).
    static func capabilities(answering request: [UInt8], extended: UInt8) throws -> [UInt8] {
        let message = try IPMIRequestMessage.decode(try IPMI15Packet.decode(request).message)
        let response = IPMIResponseMessage(
            netFnCode: message.netFn.response, rqSeq: message.rqSeq, command: message.command,
            completionCode: .normal, data: [0x01, 0x80, 0x04, extended, 0, 0, 0, 0])
        return IPMI15Packet(message: response.encode()).encode()
    }

    @Test func authcapMakesTheCapabilitiesAdvisory() throws {
        for (workarounds, extended) in [(SessionWorkarounds(), UInt8(0x02)), ([.authenticationCapabilities], 0x00)] {
            var machine = try Self.machine(workarounds)
            guard case .send(let request) = machine.start() else { throw IPMIError.malformed("no first packet") }
            let action = machine.receive(try Self.capabilities(answering: request, extended: extended))
            guard case .send(let packet) = action else {
                Issue.record("expected Open Session, got \(action)")
                continue
            }
            let (rmcp, _) = try RMCPPlusPacket.decode(packet)
            #expect(rmcp.payloadType == .openSessionRequest)
        }
        var strict = try Self.machine([])
        guard case .send(let request) = strict.start() else { throw IPMIError.malformed("no first packet") }
        let action = strict.receive(try Self.capabilities(answering: request, extended: 0x00))
        guard case .failed(let error) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect("\(error)".contains("workaround_flags: [authcap]"), "\(error)")
    }

    @Test func flagsAreReadByTheirFreeIPMINames() {
        #expect(SessionWorkarounds(names: ["authcap", "discretereading"]) == [.authenticationCapabilities])
        #expect(SessionWorkarounds(names: []).isEmpty)
    }
}
