import IPMI
import Testing

/// Whatever arrives from the network, the state machine answers with an action: never a trap.
@Suite("Malformed and mutated input")
struct RobustnessTests {
    /// A small deterministic generator (SplitMix64) so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Machines parked at every point where they wait for the BMC, with the BMC datagram that came next.
    static func checkpoints(_ name: String) throws -> [(SessionStateMachine, [UInt8], String)] {
        let vector = HandshakeTests.vector(name)
        var result: [(SessionStateMachine, [UInt8], String)] = []
        for (index, step) in vector.steps.enumerated() {
            guard let bmc = step.bmc else { continue }
            let (machine, _) = try HandshakeTests.replay(vector, until: index)
            result.append((machine, hex(bmc), step.expect ?? ""))
        }
        return result
    }

    static let names = [
        "suite 3", "suite 17", "suite 1", "suite 11", "negotiated 17",
        "suite 3 bridged to channel 0 target 0x72",
    ]

    @Test(arguments: names)
    func everySingleByteMutation(_ name: String) throws {
        for (machine, datagram, expect) in try Self.checkpoints(name) {
            for index in datagram.indices {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var mutated = datagram
                    mutated[index] ^= flip
                    var copy = machine
                    let action = copy.receive(mutated)
                    // In-session packets of suites with integrity are covered from the auth type on: any change
                    // there must be dropped.
                    let protected = expect != "send" && name != "suite 1" && index >= 4
                    if protected {
                        #expect(action.isDropped, "\(name) \(expect) byte \(index) ^ \(flip): \(action)")
                    }
                }
            }
        }
    }

    @Test(arguments: names)
    func truncationsAndExtensions(_ name: String) throws {
        for (machine, datagram, _) in try Self.checkpoints(name) {
            for length in 0..<datagram.count {
                var copy = machine
                let action = copy.receive(Array(datagram.prefix(length)))
                #expect(action.isDropped || action.isFailed, "\(name): prefix \(length) gave \(action)")
            }
            var copy = machine
            _ = copy.receive(datagram + [0x00])
            _ = copy.receive(datagram + [UInt8](repeating: 0xFF, count: 300))
        }
    }

    @Test func randomDatagramsInEveryState() throws {
        var generator = SplitMix(state: 0x1234_5678_9ABC_DEF0)
        let prefixes: [[UInt8]] = [
            [], [0x06, 0x00, 0xFF, 0x07], [0x06, 0x00, 0xFF, 0x07, 0x06], [0x06, 0x00, 0xFF, 0x07, 0x00],
            [0x06, 0x00, 0xFF, 0x07, 0x06, 0xC0, 0xA4, 0xA3, 0xA2, 0xA0],
            [0x06, 0x00, 0xFF, 0x07, 0x06, 0x00, 0xA4, 0xA3, 0xA2, 0xA0],
            [0x06, 0x00, 0xFF, 0x07, 0x06, 0x13, 0, 0, 0, 0, 0, 0, 0, 0],
        ]
        for name in Self.names {
            for (machine, _, expect) in try Self.checkpoints(name) {
                for _ in 0..<300 {
                    let prefix = prefixes[Int.random(in: 0..<prefixes.count, using: &generator)]
                    let count = Int.random(in: 0..<120, using: &generator)
                    let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    var copy = machine
                    let action = copy.receive(prefix + body)
                    if expect != "send" && name != "suite 1" {
                        #expect(action.isDropped, "\(name): random datagram accepted: \(action)")
                    }
                }
            }
        }
    }

    @Test func routingKeyNeverTraps() {
        var generator = SplitMix(state: 42)
        for _ in 0..<5000 {
            let count = Int.random(in: 0..<40, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if count > 4 && Bool.random(using: &generator) { bytes.replaceSubrange(0..<4, with: [6, 0, 0xFF, 7]) }
            _ = routingKey(ofDatagramFromBMC: bytes)
        }
    }

    @Test func decodersNeverTrap() {
        var generator = SplitMix(state: 7)
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? IPMI15Packet.decode(bytes)
            _ = try? RMCPPlusPacket.decode(bytes, authCodeLength: Int.random(in: 0...16, using: &generator))
            _ = try? IPMIResponseMessage.decode(bytes)
            _ = try? IPMIRequestMessage.decode(bytes)
            _ = try? OpenSessionRequest.decode(bytes)
            _ = try? OpenSessionResponse.decode(bytes)
            _ = try? RAKPMessage1.decode(bytes)
            _ = try? RAKPMessage2.decode(bytes)
            _ = try? RAKPMessage3.decode(bytes)
            _ = try? RAKPMessage4.decode(bytes)
            _ = try? GetChannelAuthenticationCapabilitiesResponse(data: bytes)
            _ = CipherSuite.parseRecords(bytes)
            _ = try? SessionCrypto.decryptAES(key: [UInt8](repeating: 1, count: 16), payload: bytes)
        }
    }

    @Test func receiveBeforeStartAndAfterFailure() throws {
        let vector = HandshakeTests.vector("suite 3")
        var machine = SessionStateMachine(configuration: try vector.configuration(), random: ScriptedRandom([]))
        #expect(machine.receive(hex(vector.steps[1].bmc!)).isDropped)
        #expect(machine.retransmit().isNone)
        #expect(throws: IPMIError.notEstablished) { try machine.encodeRequest(netFn: .app, command: 1) }
        #expect(throws: IPMIError.notEstablished) { try machine.encodeClose() }
    }
}

extension SessionAction {
    var isFailed: Bool {
        if case .failed = self { return true }
        return false
    }
}
