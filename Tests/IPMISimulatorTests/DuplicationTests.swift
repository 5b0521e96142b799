import IPMI
import IPMIClient
import IPMISimulator
import Logging
import Testing

/// A network that duplicates and reorders datagrams must never make one request's answer complete another:
/// every reading taken through it is compared with what the simulated BMC holds.
@Suite("Duplicated and delayed datagrams")
struct DuplicationTests {
    static let logger = Logger(label: "simulator-duplication-test")

    /// The built-in server with readings that do not drift, so the truth cannot change between the BMC's
    /// answer and the comparison.
    static var steadyServer: SimulatorConfiguration {
        var configuration = SimulatorConfiguration.defaultServer
        configuration.sensors = configuration.sensors.map { sensor in
            var steady = sensor
            steady.drift = 0
            return steady
        }
        return configuration
    }

    /// Reads every sensor `rounds` times, a window of them in flight at once, and counts readings that differ
    /// from the BMC's truth.
    static func wrongReadings(
        faults: BMCFaults, rounds: Int, requestTimeout: Duration
    ) async throws -> (wrong: [String], late: UInt64, answered: Int, distinctTruths: Int) {
        try await withSimulatedBMC(configuration: steadyServer, faults: faults) { fleet in
            let numbers = fleet.profile.sensors.map(\.number)
            var truth: [UInt8: [UInt8]] = [:]
            for number in numbers {
                guard let reading = try await fleet.sensorReading(bmc: 0, sensor: number) else {
                    Issue.record("the simulated BMC has no sensor \(number)")
                    continue
                }
                truth[number] = reading
            }
            let transport = try await IPMITransport.bind(host: "127.0.0.1", logger: logger)
            var options = ClientOptions()
            options.requestTimeout = requestTimeout
            options.retries = 4
            options.maxOutstandingRequests = 16
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, options: options, transport: transport, logger: logger)
            try await client.connect()
            var wrong: [String] = []
            var answered = 0
            for round in 0..<rounds {
                let batch = numbers.map {
                    IPMIRequest(netFn: .sensorEvent, command: 0x2D, data: [$0], lun: 0)
                }
                let results = await client.requests(batch)
                for (number, result) in zip(numbers, results) {
                    guard case .success(let response) = result, response.completionCode == .normal else { continue }
                    answered += 1
                    if response.data != truth[number] {
                        wrong.append("round \(round) sensor \(number): \(response.data) != \(truth[number]!)")
                    }
                }
            }
            await client.close()
            let late = transport.statistics.snapshot.dropped[.late] ?? 0
            await transport.close()
            return (wrong, late, answered, Set(truth.values).count)
        }
    }

    @Test("30 % duplicated and 30 % delayed by up to 100 ms in both directions: no reading is another's")
    func duplicatedAndDelayed() async throws {
        let faults = BMCFaults(duplicationRate: 0.3, delayRate: 0.3, maxDelay: .milliseconds(100))
        let outcome = try await Self.wrongReadings(faults: faults, rounds: 20, requestTimeout: .milliseconds(500))
        // The test can tell sensors apart only if their readings differ.
        #expect(outcome.distinctTruths >= 10)
        #expect(outcome.answered > 20 * 40)
        // The network did duplicate: stray answers arrived and were dropped.
        #expect(outcome.late > 100)
        #expect(outcome.wrong.isEmpty, "\(outcome.wrong.count) wrong: \(outcome.wrong.prefix(5))")
    }

    @Test("duplicates without other delays: no reading is another's")
    func duplicatedRequests() async throws {
        let faults = BMCFaults(duplicationRate: 0.3, maxDelay: .milliseconds(100))
        let outcome = try await Self.wrongReadings(faults: faults, rounds: 30, requestTimeout: .milliseconds(500))
        #expect(outcome.late > 100)
        #expect(outcome.wrong.isEmpty, "\(outcome.wrong.count) wrong: \(outcome.wrong.prefix(5))")
    }
}
