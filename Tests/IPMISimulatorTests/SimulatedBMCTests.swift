import IPMI
import IPMISimulator
import Testing

/// The pure BMC driven by the client's pure session state machine: no sockets, time passed in.
@Suite("SimulatedBMC protocol logic")
struct SimulatedBMCTests {
    static let now = 1_800_000_000.0

    struct Console {
        var machine: SessionStateMachine
        var established = false
        var failure: IPMIError?

        init(user: String = "admin", password: String = "password", suite: UInt8? = 17, id: UInt32 = 0x1234) throws {
            let configuration = SessionConfiguration(
                credentials: try SessionCredentials(username: user, password: password),
                cipherSuite: suite.flatMap { CipherSuite(id: $0) }, consoleSessionID: id)
            machine = SessionStateMachine(configuration: configuration)
        }

        mutating func connect(to bmc: inout SimulatedBMC, at time: Double = SimulatedBMCTests.now) {
            var action = machine.start()
            while case .send(let packet) = action {
                guard let reply = bmc.handle(packet, at: time).first else { return }
                action = machine.receive(reply)
            }
            if case .established = action { established = true }
            if case .failed(let error) = action { failure = error }
        }

        /// Sends one request; nil when the BMC stays silent.
        mutating func request(
            _ bmc: inout SimulatedBMC, netFn: NetFn, command: UInt8, data: [UInt8] = [],
            at time: Double = SimulatedBMCTests.now
        ) throws -> IPMIResponse? {
            let (_, packet) = try machine.encodeRequest(netFn: netFn, command: command, data: data)
            for reply in bmc.handle(packet, at: time) {
                if case .response(_, _, _, let response) = machine.receive(reply) { return response }
            }
            return nil
        }
    }

    func makeBMC(index: Int = 0, yaml: String? = nil) throws -> SimulatedBMC {
        let profile = try yaml.map { try BMCProfile(SimulatorConfiguration.parse(yaml: $0)) } ?? .defaultServer
        return SimulatedBMC(profile: profile, index: index, bootTime: Self.now - 3600)
    }

    @Test(
        "handshake and Get Device ID for every suite the client implements",
        arguments: [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17] as [UInt8])
    func handshake(suite: UInt8) throws {
        var bmc = try makeBMC()
        var console = try Console(suite: suite)
        console.connect(to: &bmc)
        #expect(console.established)
        let response = try console.request(&bmc, netFn: .app, command: 0x01)
        #expect(response?.completionCode == .normal)
        #expect(response?.data.first == 0x20)
        #expect(bmc.sessionCount == 1)
    }

    @Test("the slot limit refuses Open Session until an idle session times out")
    func slots() throws {
        let yaml = """
            session_slots: 2
            session_timeout: 30
            sensors: []
            """
        var bmc = try makeBMC(yaml: yaml)
        for id in [UInt32(1), 2] {
            var console = try Console(id: id)
            console.connect(to: &bmc)
            #expect(console.established)
        }
        var third = try Console(id: 3)
        third.connect(to: &bmc)
        #expect(!third.established)
        #expect(third.failure == .rakpStatus(0x01, step: "Open Session"))
        var later = try Console(id: 4)
        later.connect(to: &bmc, at: Self.now + 31)
        #expect(later.established)
        #expect(bmc.sessionCount == 1)
    }

    @Test("the slots-exhausted fault refuses every Open Session")
    func exhausted() throws {
        var bmc = try makeBMC()
        bmc.sessionSlotsExhausted = true
        var console = try Console()
        console.connect(to: &bmc)
        #expect(console.failure == .rakpStatus(0x01, step: "Open Session"))
        #expect(bmc.sessionCount == 0)
    }

    @Test("a reboot wipes sessions, moves SDR timestamps and cancels reservations")
    func reboot() throws {
        var bmc = try makeBMC()
        var console = try Console()
        console.connect(to: &bmc)
        let before = try #require(try console.request(&bmc, netFn: .storage, command: 0x20))
        let reservation = try #require(try console.request(&bmc, netFn: .storage, command: 0x22)).data
        let partial = try console.request(
            &bmc, netFn: .storage, command: 0x23, data: reservation + [0x01, 0x00, 0x05, 0x08])
        #expect(partial?.completionCode == .normal)
        #expect(partial?.data.count == 10)

        bmc.reboot(at: Self.now + 60)
        #expect(bmc.sessionCount == 0)
        #expect(try console.request(&bmc, netFn: .app, command: 0x01, at: Self.now + 61) == nil)

        var again = try Console(id: 0x5678)
        again.connect(to: &bmc, at: Self.now + 61)
        let after = try #require(try again.request(&bmc, netFn: .storage, command: 0x20, at: Self.now + 61))
        #expect(after.data[5..<9] != before.data[5..<9])
        #expect(after.data[1..<3] == [50, 0])
        let stale = try again.request(
            &bmc, netFn: .storage, command: 0x23, data: reservation + [0x01, 0x00, 0x05, 0x08], at: Self.now + 61)
        #expect(stale?.completionCode == .reservationCancelled)
    }

    @Test("session privilege: starts at User, raised up to the account's limit")
    func privileges() throws {
        var bmc = try makeBMC()
        var console = try Console(user: "operator", password: "operator")
        // The state machine asks for administrator: the operator account must be refused in RAKP.
        console.connect(to: &bmc)
        #expect(console.failure == .rakpStatus(0x0A, step: "RAKP 2"))
        #expect(bmc.sessionCount == 0)
    }

    @Test("readings differ per BMC, are stable at one moment and drift over time")
    func readings() throws {
        var zero = try makeBMC(index: 0)
        var one = try makeBMC(index: 1)
        var consoleZero = try Console()
        var consoleOne = try Console()
        consoleZero.connect(to: &zero)
        consoleOne.connect(to: &one)
        var values: [[UInt8]] = []
        for sensor in UInt8(1)...11 {
            let a = try #require(try consoleZero.request(&zero, netFn: .sensorEvent, command: 0x2D, data: [sensor]))
            let b = try #require(try consoleOne.request(&one, netFn: .sensorEvent, command: 0x2D, data: [sensor]))
            let again = try #require(try consoleZero.request(&zero, netFn: .sensorEvent, command: 0x2D, data: [sensor]))
            #expect(a.data[0] == again.data[0])
            values.append([a.data[0], b.data[0]])
        }
        #expect(values.contains { $0[0] != $0[1] })
        let cpuNow = try #require(try consoleZero.request(&zero, netFn: .sensorEvent, command: 0x2D, data: [1]))
        var changed = false
        // Steps of 30 s keep the session inside its 60 s idle timeout.
        for seconds in stride(from: 30.0, through: 300, by: 30) {
            let later = try #require(
                try consoleZero.request(&zero, netFn: .sensorEvent, command: 0x2D, data: [1], at: Self.now + seconds))
            // CPU1 Temp: nominal 52, drift 4, spread 3 (degrees C, 1 per count).
            #expect((45...59).contains(Int(later.data[0])))
            if later.data[0] != cpuNow.data[0] { changed = true }
        }
        #expect(changed)
    }

    @Test("configuration errors are reported")
    func configurationErrors() throws {
        #expect(throws: (any Error).self) {
            try BMCProfile(SimulatorConfiguration.parse(yaml: "sensors: [{name: X, type: warp_drive}]"))
        }
        #expect(throws: (any Error).self) {
            try BMCProfile(
                SimulatorConfiguration.parse(
                    yaml: "sensors: [{name: A, type: fan, number: 3}, {name: B, type: fan, number: 3}]"))
        }
        // An owner must be an IPMB slave address (bit 0 clear).
        #expect(throws: (any Error).self) {
            try BMCProfile(SimulatorConfiguration.parse(yaml: "sensors: [{name: A, type: fan, owner: 0x33}]"))
        }
        let owned = try BMCProfile(
            SimulatorConfiguration.parse(yaml: "sensors: [{name: A, type: fan}, {name: B, type: fan, owner: 0x32}]"))
        #expect(owned.sensors.map(\.owner) == [0x20, 0x32])
        let profile = try BMCProfile(SimulatorConfiguration.parse(yaml: "sensors: [{name: Only, type: temperature}]"))
        #expect(profile.sensors.count == 1)
        #expect(profile.users.map(\.name) == ["admin"])
        #expect(BMCProfile.defaultServer.sensors.count == 50)
        // The YAML `--print-default-config` prints is the built-in server itself.
        #expect(try SimulatorConfiguration.parse(yaml: SimulatorConfiguration.defaultServerYAML) == .defaultServer)
    }
}
