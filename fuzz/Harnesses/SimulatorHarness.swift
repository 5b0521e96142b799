// The simulated BMC is only part of the simulator's own fuzz build and of the replay tests.
#if !FUZZ_STANDALONE || FUZZ_HARNESS_SIMULATOR
    #if !FUZZ_STANDALONE
        import IPMI
        import IPMISimulator
    #endif

    /// The server side: ``SimulatedBMC/handle(_:at:)`` decodes every datagram a client (or anyone on the
    /// network) sends. Byte 0 chooses the mode: even, each chunk is a raw datagram to a fresh BMC; odd, a real
    /// client session (suite 3, or 17 when bit 1 is set) is established first and each chunk becomes a request in
    /// it, `[netFn, command, data...]`, so the fuzzer reaches the command handlers behind the integrity check.
    /// The rest is a list of chunks, each a length byte then that many bytes.
    public enum SimulatorFuzzHarness {
        static let profile = BMCProfile.defaultServer

        public static func run(_ bytes: [UInt8]) {
            guard let mode = bytes.first else { return }
            var bmc = SimulatedBMC(profile: profile, index: 0, bootTime: 1_700_000_000, random: CountingRandom())
            var now = 1_700_000_100.0
            var machine: SessionStateMachine?
            if mode & 1 == 1 {
                machine = establish(&bmc, suite: mode & 2 == 0 ? 3 : 17, now: now)
                guard machine != nil else { return }
            }
            var offset = 1
            var fed = 0
            while offset < bytes.count, fed < 16 {
                let length = Int(bytes[offset])
                let end = min(bytes.count, offset + 1 + length)
                let chunk = Array(bytes[(offset + 1)..<end])
                offset = end
                fed += 1
                now += 0.25
                if var session = machine {
                    guard chunk.count >= 2,
                        let (_, packet) = try? session.encodeRequest(
                            netFn: NetFn(rawValue: chunk[0] & 0x3E), command: chunk[1], data: Array(chunk.dropFirst(2)))
                    else { continue }
                    for answer in bmc.handle(packet, at: now) { _ = session.receive(answer) }
                    machine = session
                } else {
                    _ = bmc.handle(chunk, at: now)
                }
            }
            precondition(bmc.sessionCount <= 64, "the BMC's session table grew past its slots")
        }

        /// A client session against `bmc` with the built-in administrator, or nil if the handshake fails.
        static func establish(_ bmc: inout SimulatedBMC, suite: UInt8, now: Double) -> SessionStateMachine? {
            guard let credentials = try? SessionCredentials(username: "admin", password: "password") else { return nil }
            var machine = SessionStateMachine(
                configuration: SessionConfiguration(
                    credentials: credentials, privilege: .administrator, cipherSuite: CipherSuite(id: suite),
                    allowUnauthenticated: false, bridge: nil, consoleSessionID: 0x0102_0304),
                random: CountingRandom())
            guard case .send(var packet) = machine.start() else { return nil }
            for _ in 0..<8 {
                guard let answer = bmc.handle(packet, at: now).first else { return nil }
                switch machine.receive(answer) {
                case .send(let next): packet = next
                case .established: return machine
                default: return nil
                }
            }
            return nil
        }

        /// Requests a client sends (Get Device ID, SDR and SEL walks, sensor readings, chassis, DCMI) in both
        /// modes, and raw copies of a handshake's first packets.
        public static func seeds() -> [[UInt8]] {
            let requests: [[UInt8]] = [
                [0x06, 0x01], [0x0A, 0x20], [0x0A, 0x22], [0x0A, 0x23, 0, 0, 0, 0, 0, 0xFF], [0x0A, 0x40],
                [0x0A, 0x42], [0x0A, 0x43, 0, 0, 0, 0, 0, 0xFF], [0x04, 0x2D, 1], [0x04, 0x27, 1], [0x00, 0x01],
                [0x2C, 0x02, 0xDC, 0x01, 0x00, 0x00], [0x06, 0x25], [0x06, 0x59, 0, 1, 0, 0], [0x06, 0x42, 0x0E],
                [0x06, 0x3C, 0, 0, 0, 0],
            ]
            var result: [[UInt8]] = []
            for mode: UInt8 in [1, 3] {
                var input = [mode]
                for request in requests { input += [UInt8(request.count)] + request }
                result.append(input)
            }
            var bmc = SimulatedBMC(profile: profile, index: 0, bootTime: 1_700_000_000, random: CountingRandom())
            if let credentials = try? SessionCredentials(username: "admin", password: "password") {
                var machine = SessionStateMachine(
                    configuration: SessionConfiguration(
                        credentials: credentials, privilege: .administrator, cipherSuite: nil,
                        allowUnauthenticated: false, bridge: nil, consoleSessionID: 0x0102_0304),
                    random: CountingRandom())
                var input: [UInt8] = [0]
                if case .send(var packet) = machine.start() {
                    for _ in 0..<8 where packet.count < 256 {
                        input += [UInt8(packet.count)] + packet
                        guard let answer = bmc.handle(packet, at: 1_700_000_100).first,
                            case .send(let next) = machine.receive(answer)
                        else { break }
                        packet = next
                    }
                }
                result.append(input)
            }
            return result
        }
    }
#endif
