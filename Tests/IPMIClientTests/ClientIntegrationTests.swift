import IPMI
import IPMIClient
import IPMITestSupport
import Logging
import NIOCore
import Testing

/// The client against a real, independent BMC (ipmi_sim), with ipmitool as the oracle.
@Suite(.enabled(if: IPMISim.isAvailable, "ipmi_sim is not installed"), .serialized)
struct ClientIntegrationTests {
    static let logger = Logger(label: "test")

    func client(
        _ bmc: IPMISim, user: String = "admin", password: String = "password", suite: UInt8? = nil,
        transport: IPMITransport? = nil, options: ClientOptions = ClientOptions()
    ) throws -> IPMIClient {
        try IPMIClient(
            host: bmc.host, port: bmc.port, username: user, password: password,
            cipherSuite: suite.flatMap { CipherSuite(id: $0) }, options: options, transport: transport,
            logger: Self.logger)
    }

    static func hexLine(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    @Test(arguments: [1, 2, 3, 6] as [UInt8])
    func getDeviceIDMatchesIpmitool(suite: UInt8) async throws {
        let bmc = try await IPMISim.start()
        let expected = try bmc.ipmitool(["raw", "0x06", "0x01"], cipherSuite: Int(suite))
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let client = try client(bmc, suite: suite)
        try await client.connect()
        let session = await client.session
        #expect(session?.cipherSuite.id == suite)
        let response = try await client.request(netFn: .app, command: 0x01)
        await client.close()
        #expect(response.completionCode == .normal)
        #expect(Self.hexLine(response.data) == expected)
    }

    @Test func negotiationPicksSuite3OnABMCWithoutSHA256() async throws {
        let bmc = try await IPMISim.start()
        let client = try client(bmc)
        try await client.connect()
        let session = await client.session
        await client.close()
        #expect(session?.cipherSuite.id == 3)
        #expect(session?.privilege == .administrator)
    }

    @Test func wrongPasswordFailsFastWithAnAuthenticationError() async throws {
        let bmc = try await IPMISim.start()
        let client = try client(bmc, password: "wrong-password", suite: 3)
        let start = ContinuousClock.now
        await #expect {
            try await client.connect()
        } throws: { error in
            (error as? IPMIError)?.isAuthenticationFailure == true
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func unknownUserFailsFastWithAnAuthenticationError() async throws {
        let bmc = try await IPMISim.start()
        let client = try client(bmc, user: "nobody", suite: 3)
        let start = ContinuousClock.now
        await #expect {
            try await client.connect()
        } throws: { error in
            (error as? IPMIError)?.isAuthenticationFailure == true
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func aClosedPortTimesOutWithinTheDeadline() async throws {
        let port = FreePort.udp()
        var options = ClientOptions()
        options.requestTimeout = .milliseconds(300)
        options.retries = 10
        let client = try IPMIClient(
            host: "127.0.0.1", port: port, username: "admin", password: "password", options: options,
            logger: Self.logger)
        let start = ContinuousClock.now
        await #expect {
            try await IPMIDeadline.$current.withValue(start + .seconds(1)) {
                try await client.connect()
            }
        } throws: { error in
            (error as? IPMIClientError)?.isTimeout == true
        }
        let elapsed = ContinuousClock.now - start
        // The deadline, plus slack for a loaded test machine; far below 11 attempts × 300 ms.
        #expect(elapsed < .milliseconds(1800))
        #expect(elapsed >= .milliseconds(900))
    }

    /// The exporter's settings: 16 requests in flight and the answers to each burst read together after a pause. Every
    /// answer still arrives, once, and says what ipmitool's does.
    @Test func aWindowOfSixteenWithCoalescedReadsAnswersEveryRequest() async throws {
        let bmc = try await IPMISim.start()
        let expected = try bmc.ipmitool(["raw", "0x06", "0x01"], cipherSuite: 3)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for pacing in [TimeAmount.microseconds(50), .milliseconds(2), nil] {
            let transport = try await IPMITransport.bindAll(readPacing: pacing)
            var options = ClientOptions()
            options.maxOutstandingRequests = 16
            let client = try client(bmc, suite: 3, transport: transport, options: options)
            try await client.connect()
            let before = transport.statistics.snapshot
            let results = await client.requests(
                Array(repeating: IPMIRequest(netFn: .app, command: 0x01, data: []), count: 48))
            let after = transport.statistics.snapshot
            await client.close()
            await transport.close()
            let answers = results.compactMap { try? $0.get() }
            #expect(answers.count == 48, "pacing \(String(describing: pacing))")
            #expect(answers.allSatisfy { Self.hexLine($0.data) == expected })
            #expect(after.packetsSent - before.packetsSent == 48)
            #expect(after.packetsReceived - before.packetsReceived == 48)
            #expect(after.retransmissions == before.retransmissions)
            #expect(after.droppedTotal == before.droppedTotal)
        }
    }

    @Test func twoHundredConnectCloseCyclesReleaseEverySessionSlot() async throws {
        let bmc = try await IPMISim.start()
        let transport = try await IPMITransport.bind()
        for _ in 0..<200 {
            let client = try client(bmc, suite: 3, transport: transport)
            try await client.connect()
            let response = try await client.request(netFn: .app, command: 0x01)
            #expect(response.completionCode == .normal)
            await client.close()
        }
        #expect(transport.sessionCount == 0)
        await transport.close()
    }

    @Test func concurrentSessionsToTwoBMCsOverOneSocketDoNotMixResponses() async throws {
        var first = IPMISim.Configuration()
        first.name = "one"
        first.device = "0x11 no-device-sdrs 0x01 1 1 0x51 0x1291 0x0101"
        var second = IPMISim.Configuration()
        second.name = "two"
        second.device = "0x22 no-device-sdrs 0x02 2 2 0x51 0x1291 0x0202"
        let bmcs = [try await IPMISim.start(first), try await IPMISim.start(second)]
        let transport = try await IPMITransport.bind()
        var options = ClientOptions()
        options.maxOutstandingRequests = 4
        let clients = try bmcs.map { try client($0, suite: 3, transport: transport, options: options) }
        for client in clients { try await client.connect() }
        let results = try await withThrowingTaskGroup(of: (Int, UInt8).self) { group in
            for (index, client) in clients.enumerated() {
                for _ in 0..<25 {
                    group.addTask {
                        let response = try await client.request(netFn: .app, command: 0x01)
                        return (index, response.data.first ?? 0)
                    }
                }
            }
            return try await group.reduce(into: [(Int, UInt8)]()) { $0.append($1) }
        }
        for client in clients { await client.close() }
        await transport.close()
        #expect(results.count == 50)
        #expect(results.filter { $0.0 == 0 }.allSatisfy { $0.1 == 0x11 })
        #expect(results.filter { $0.0 == 1 }.allSatisfy { $0.1 == 0x22 })
    }

    @Test func bridgedRequestReportsTheBMCsCompletionCodeCleanly() async throws {
        let bmc = try await IPMISim.start()
        let client = try IPMIClient(
            host: bmc.host, port: bmc.port, username: "admin", password: "password",
            cipherSuite: CipherSuite(id: 3), bridge: BridgeTarget(channel: 0, address: 0x30), logger: Self.logger)
        try await client.connect()
        let response = try await client.request(netFn: .app, command: 0x01)
        await client.close()
        // ipmi_sim has no IPMB behind it and refuses Send Message with 0x83 (NAK on write).
        #expect(response.completionCode.rawValue == 0x83)
    }
}
