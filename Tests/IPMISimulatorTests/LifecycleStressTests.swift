import Glibc
import IPMI
import IPMIClient
import IPMISimulator
import IPMITestSupport
import Logging
import Testing

/// Loops and transports stopped and closed in every order while sessions have requests on the wire: nothing crashes,
/// hangs or keeps a socket.
@Suite struct LifecycleStressTests {
    static let logger = Logger(label: "lifecycle-stress-test")

    enum Ending: CaseIterable {
        /// The loop stops under the open session; the transport is closed after.
        case loopFirst
        /// The transport closes while the loop stops.
        case together
        /// The session and the transport close, then the loop stops.
        case transportFirst
    }

    @Test func loopsAndTransportsStopWithRequestsInFlight() async throws {
        // Sessions the loop's stop cuts off are never closed on the BMC: room for all of them.
        var configuration = SimulatorConfiguration.defaultServer
        configuration.sessionSlots = 1000
        try await withSimulatedBMC(configuration: configuration, faults: BMCFaults(latency: .milliseconds(1))) {
            fleet in
            for round in 0..<300 {
                let ending = Ending.allCases[round % Ending.allCases.count]
                try await within(seconds: 30) {
                    try await Self.round(fleet, ending: ending, name: "lc-stress-\(round % 10)")
                }
            }
        }
    }

    static func round(_ fleet: SimulatedBMCFleet, ending: Ending, name: String) async throws {
        let loop = DatagramLoop(name: name)
        let transport = try await IPMITransport.bind(host: "127.0.0.1", loop: loop)
        let port = try #require(transport.localAddress?.port)
        var options = ClientOptions()
        options.maxOutstandingRequests = 4
        options.requestTimeout = .milliseconds(200)
        let client = try IPMIClient(
            host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
            cipherSuite: .suite17, options: options, transport: transport, logger: logger)
        try await client.connect()
        // Requests on the wire (the BMC answers each after a millisecond) when the ending starts.
        let inFlight = Task { await client.requests((0..<8).map { _ in IPMIRequest(netFn: .app, command: 0x01) }) }
        try await Task.sleep(for: .microseconds(Int.random(in: 0...1500)))
        switch ending {
        case .loopFirst:
            try await loop.shutdownGracefully()
            await client.close()
            await transport.close()
        case .together:
            async let stopped: Void = loop.shutdownGracefully()
            await transport.close()
            try await stopped
            await client.close()
        case .transportFirst:
            await client.close()
            await transport.close()
            try await loop.shutdownGracefully()
        }
        // Every request finished: answered before the end, or failed by it.
        let results = await inFlight.value
        #expect(results.count == 8)
        #expect(!client.isConnected)
        #expect(ProcessProbe.openUDPSockets(port: port) == 0)
        // A session after the end fails at once instead of waiting for a loop that is gone.
        await #expect(throws: (any Error).self) { try await client.connect() }
    }
}
