import IPMI
import IPMIClient
import IPMISimulator
import Logging
import NIOConcurrencyHelpers
import Testing

/// Fault injection through the fleet, observed by our client.
@Suite("Simulated faults")
struct FaultTests {
    static let logger = Logger(label: "simulator-fault-test")

    static func client(port: Int, timeout: Duration = .milliseconds(200)) throws -> IPMIClient {
        var options = ClientOptions()
        options.requestTimeout = timeout
        options.retries = 3
        return try IPMIClient(
            host: "127.0.0.1", port: port, username: "admin", password: "password", cipherSuite: .suite17,
            options: options, logger: logger)
    }

    @Test("with 5 % packet loss, retries carry 200 requests through")
    func loss() async throws {
        try await withSimulatedBMC(faults: BMCFaults(lossRate: 0.05)) { fleet in
            let client = try Self.client(port: fleet.ports[0])
            try await client.connect()
            var answered = 0
            for number in 0..<200 {
                let response = try await client.request(
                    netFn: .sensorEvent, command: 0x2D, data: [UInt8(number % 50 + 1)], lun: 0)
                if response.completionCode == .normal { answered += 1 }
            }
            #expect(answered == 200)
            await client.close()
        }
    }

    @Test("added latency delays every answer")
    func latency() async throws {
        try await withSimulatedBMC(faults: BMCFaults(latency: .milliseconds(150))) { fleet in
            let client = try Self.client(port: fleet.ports[0], timeout: .milliseconds(1000))
            try await client.connect()
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            #expect(response.completionCode == .normal)
            #expect(clock.now - start >= .milliseconds(150))
            await client.close()
        }
    }

    /// `retries` counts per handshake step: a BMC that answers every step only after the first attempt timed out
    /// needs one retransmission per step, five in all, and is logged in with `retries` 1.
    @Test("a BMC slower than the request timeout at every handshake step is logged in; each step has its retries")
    func slowAtEveryHandshakeStep() async throws {
        try await withSimulatedBMC(faults: BMCFaults(latency: .milliseconds(150))) { fleet in
            let statistics = TransportStatistics()
            let transport = try await IPMITransport.bindAll(statistics: statistics)
            var options = ClientOptions()
            options.requestTimeout = .milliseconds(100)
            options.minimumRetransmitTimeout = .milliseconds(100)
            options.retries = 1
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, options: options, transport: transport, logger: Self.logger)
            try await client.connect()
            let retransmissions = statistics.snapshot.retransmissions
            await client.close()
            await transport.close()
            // Authentication capabilities, Open Session, RAKP 1, RAKP 3, Set Session Privilege Level.
            #expect(retransmissions >= 5)
        }
    }

    @Test("after a reboot the old session is gone and a new one works")
    func reboot() async throws {
        try await withSimulatedBMC { fleet in
            let client = try Self.client(port: fleet.ports[0])
            try await client.connect()
            let before = try await client.request(netFn: .storage, command: 0x20, data: [], lun: 0)
            #expect(try await fleet.sessionCount(bmc: 0) == 1)
            try await fleet.reboot(bmc: 0)
            #expect(try await fleet.sessionCount(bmc: 0) == 0)
            await #expect(throws: (any Error).self) {
                _ = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            }
            let fresh = try Self.client(port: fleet.ports[0])
            try await fresh.connect()
            let after = try await fresh.request(netFn: .storage, command: 0x20, data: [], lun: 0)
            // Bytes 5-8 of Get SDR Repository Info: the most recent addition timestamp.
            #expect(after.data[5..<9] != before.data[5..<9])
            await fresh.close()
            await client.close()
        }
    }

    @Test("random reboots wipe the sessions of exactly the BMCs they pick, and stop at the limit")
    func randomReboots() async throws {
        try await withSimulatedBMC(count: 3) { fleet in
            var clients: [IPMIClient] = []
            for port in fleet.ports {
                let client = try Self.client(port: port)
                try await client.connect()
                clients.append(client)
            }
            #expect(try await fleet.totalSessionCount() == 3)
            let picked = NIOLockedValueBox<[Int]>([])
            let reboots = await fleet.rebootAtRandom(every: .milliseconds(5), seed: 7, limit: 4) { index in
                picked.withLockedValue { $0.append(index) }
            }
            #expect(reboots == 4)
            let rebooted = Set(picked.withLockedValue { $0 })
            #expect(picked.withLockedValue { $0.count } == 4)
            #expect(!rebooted.isEmpty)
            for index in 0..<3 {
                #expect(try await fleet.sessionCount(bmc: index) == (rebooted.contains(index) ? 0 : 1))
            }
            for client in clients { await client.close() }
        }
    }

    @Test("random reboots end when their task is cancelled")
    func randomRebootsCancelled() async throws {
        try await withSimulatedBMC { fleet in
            let task = Task { await fleet.rebootAtRandom(every: .seconds(3600)) }
            task.cancel()
            #expect(await task.value == 0)
        }
    }

    @Test("exhausted session slots refuse Open Session with status 01h")
    func slotsExhausted() async throws {
        try await withSimulatedBMC { fleet in
            try await fleet.setFaults(BMCFaults(sessionSlotsExhausted: true), bmc: 0)
            let client = try Self.client(port: fleet.ports[0])
            do {
                try await client.connect()
                Issue.record("connect succeeded although every slot is taken")
            } catch {
                #expect("\(error)".contains("0x01"))
            }
            try await fleet.setFaults(.none, bmc: 0)
            let again = try Self.client(port: fleet.ports[0])
            try await again.connect()
            await again.close()
        }
    }

    @Test("corrupted answers never establish a session")
    func corruption() async throws {
        try await withSimulatedBMC(faults: BMCFaults(corruptionRate: 1)) { fleet in
            let client = try Self.client(port: fleet.ports[0], timeout: .milliseconds(100))
            await #expect(throws: (any Error).self) { try await client.connect() }
        }
    }

    @Test("each BMC of a fleet answers on its own port with its own GUID")
    func fleet() async throws {
        try await withSimulatedBMC(count: 3) { fleet in
            #expect(fleet.addresses.count == 3)
            #expect(Set(fleet.ports).count == 3)
            var guids: Set<[UInt8]> = []
            for port in fleet.ports {
                let client = try Self.client(port: port)
                try await client.connect()
                guids.insert(try await client.request(netFn: .app, command: 0x37, data: [], lun: 0).data)
                await client.close()
            }
            #expect(guids.count == 3)
        }
    }
}
