import Glibc
import IPMI
import IPMIClient
import IPMISensors
import IPMISimulator
import IPMITestSupport
import Logging
import Testing

/// Our own client against the simulator: every cipher suite, negotiation, bridging, SDR decoding.
@Suite("IPMIClient against the simulator")
struct ClientTests {
    static let logger = Logger(label: "simulator-client-test")

    @Test("Get Device ID over every cipher suite", arguments: [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17] as [UInt8])
    func everySuite(suite: UInt8) async throws {
        try await withSimulatedBMC { fleet in
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: CipherSuite(id: suite), logger: Self.logger)
            try await client.connect()
            let session = await client.session
            #expect(session?.cipherSuite.id == suite)
            #expect(session?.privilege == .administrator)
            let response = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            #expect(response.completionCode == .normal)
            #expect(response.data.prefix(5) == [0x20, 0x01, 0x02, 0x45, 0x02])
            await client.close()
        }
    }

    @Test("negotiation picks suite 17; suite 0 is refused unless enabled")
    func negotiation() async throws {
        try await withSimulatedBMC { fleet in
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password", logger: Self.logger)
            try await client.connect()
            let session = await client.session
            #expect(session?.cipherSuite.id == 17)
            #expect(session?.offeredCipherSuites.compactMap(\.id) == [1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17])
            // A new session with the same BMC offers the negotiated suite at once, without asking for the list.
            await client.reset()
            try await client.connect()
            let again = await client.session
            #expect(again?.cipherSuite.id == 17)
            #expect(again?.offeredCipherSuites.isEmpty == true)
            await client.close()

            let zero = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: CipherSuite(id: 0), allowUnauthenticated: true, logger: Self.logger)
            await #expect(throws: (any Error).self) { try await zero.connect() }
        }
    }

    @Test("wrong password and unknown user are refused")
    func refused() async throws {
        try await withSimulatedBMC { fleet in
            for (user, password) in [("admin", "wrong"), ("nobody", "password")] {
                let client = try IPMIClient(
                    host: "127.0.0.1", port: fleet.ports[0], username: user, password: password,
                    cipherSuite: .suite17, logger: Self.logger)
                await #expect(throws: (any Error).self) { try await client.connect() }
            }
        }
    }

    @Test("bridged Get Device ID reaches the satellite controller at 30h")
    func bridging() async throws {
        try await withSimulatedBMC { fleet in
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, bridge: BridgeTarget(channel: 0, address: 0x30), logger: Self.logger)
            try await client.connect()
            let response = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            #expect(response.completionCode == .normal)
            #expect(response.data.first == 0x30)
            #expect(response.data.count == 15)
            await client.close()
        }
    }

    @Test("a bridged request that is never answered times out alone; the session and the batch go on")
    func bridgedTimeout() async throws {
        try await withSimulatedBMC { fleet in
            // The default 1 s per attempt, one retry: the silent request ends after about 2 s; the others have that
            // much margin on a loaded machine.
            var options = ClientOptions()
            options.retries = 1
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, options: options, logger: Self.logger)
            try await client.connect()
            let getDeviceID = IPMIRequest(netFn: .app, command: 0x01)
            var silent = getDeviceID
            silent.bridge = BridgeTarget(channel: 0, address: 0x32)
            var satellite = getDeviceID
            satellite.bridge = BridgeTarget(channel: 0, address: 0x30)
            let own = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0).data
            #expect(own.first != 0x30)
            let results = await client.requests([silent, getDeviceID, satellite, getDeviceID])
            #expect(throws: (any Error).self) { try results[0].get() }
            // The BMC's own answer and the satellite's (device ID 30h), each from the controller asked.
            #expect((try? results[1].get())?.data == own)
            #expect((try? results[2].get())?.data.first == 0x30)
            #expect((try? results[3].get())?.data == own)
            let after = try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            #expect(after.completionCode == .normal)
            await client.close()
        }
    }

    @Test("commands above the session privilege answer D4h")
    func privilege() async throws {
        try await withSimulatedBMC { fleet in
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, privilege: .user, logger: Self.logger)
            try await client.connect()
            let off = try await client.request(netFn: .chassis, command: 0x02, data: [0x00], lun: 0)
            #expect(off.completionCode == .insufficientPrivilege)
            let status = try await client.request(netFn: .chassis, command: 0x01, data: [], lun: 0)
            #expect(status.completionCode == .normal)
            #expect(status.data.first.map { $0 & 0x01 } == 1)
            await client.close()
        }
    }

    @Test("the SDR repository decodes with IPMISensors into the configured sensors")
    func sdrRepository() async throws {
        try await withSimulatedBMC { fleet in
            let client = try IPMIClient(
                host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
                cipherSuite: .suite17, logger: Self.logger)
            try await client.connect()
            let repository = try await SDRRepositoryReader(logger: Self.logger).read(from: client)
            #expect(repository.records.count == 50)
            #expect(repository.skippedRecords == 0)
            var full: [String: FullSensorRecord] = [:]
            var compact: [String: CompactSensorRecord] = [:]
            for record in repository.records {
                switch record {
                case .fullSensor(let r): full[r.name] = r
                case .compactSensor(let r): compact[r.name] = r
                default: Issue.record("unexpected record \(record)")
                }
            }
            #expect(full.count == 38)
            #expect(compact.count == 12)
            let twelve = try #require(full["12V"])
            #expect(twelve.conversion.m == 6)
            #expect(twelve.conversion.rExponent == -2)
            #expect(twelve.sensorType == 0x02)
            let inlet = try #require(full["Inlet Temp"])
            #expect(inlet.conversion.b == -40)
            #expect(inlet.entityID == 55)
            #expect(inlet.conversion.value(raw: try #require(inlet.thresholds.lowerCritical)) == -5)
            #expect(compact["Drive 3"]?.sensorType == 0x0D)
            #expect(compact["Fan Redundancy"]?.eventReadingType == 0x0B)

            let sensors = SensorDefinition.sensors(in: repository.records)
            let readings = try await SensorReader(logger: Self.logger).readAll(sensors, from: client)
            let fan6 = try #require(readings.first { $0.name == "FAN6" })
            #expect(fan6.value == 450)
            await client.close()
        }
    }

    @Test("answers longer than 128 bytes arrive whole: every record in one Get SDR with FFh under suite 17")
    func longAnswersArriveWhole() async throws {
        try await withSimulatedBMC { fleet in
            let client = try await Self.connectedClient(fleet, window: 1)
            let reserve = try await client.request(netFn: .storage, command: 0x22, data: [], lun: 0)
            #expect(reserve.completionCode == .normal)
            let reservation = Array(reserve.data.prefix(2))
            var recordID: [UInt8] = [0, 0]
            var lengths: [Int] = []
            while recordID != [0xFF, 0xFF], lengths.count < 100 {
                // Get SDR (IPMI v2.0 §33.12): reservation, record ID, offset 0, FFh = the entire record.
                let answer = try await client.request(
                    netFn: .storage, command: 0x23, data: reservation + recordID + [0x00, 0xFF], lun: 0)
                try #require(answer.completionCode == .normal)
                let record = Array(answer.data.dropFirst(2))
                try #require(record.count >= 5)
                // The whole record: its 5-byte header says how many bytes follow it.
                #expect(record.count == 5 + Int(record[4]))
                lengths.append(record.count)
                recordID = Array(answer.data.prefix(2))
            }
            #expect(lengths.count == 50)
            // 57 record bytes or more make an encrypted, authenticated answer of over 128 bytes under suite 17.
            #expect(lengths.contains { $0 >= 57 })
            await client.close()
        }
    }

    @Test("a batch keeps several requests on the wire and returns what single requests return")
    func batchMatchesSingleRequests() async throws {
        try await withSimulatedBMC(faults: BMCFaults(latency: .milliseconds(100))) { fleet in
            let client = try await Self.connectedClient(fleet, window: 8)
            let batch = (0..<8).map { _ in IPMIRequest(netFn: .app, command: 0x01) }
            // Every answer comes 100 ms after its request: the BMC sees how many were on the wire at once. A new
            // session's window starts at 4 requests and widens after a round that held them all.
            let results = await client.requests(batch)
            let firstBatchInFlight = try await fleet.mostRequestsInFlight(bmc: 0)
            _ = await client.requests(batch)
            let secondBatchInFlight = try await fleet.mostRequestsInFlight(bmc: 0)
            var singles: [IPMIResponse] = []
            for _ in batch { singles.append(try await client.request(netFn: .app, command: 0x01)) }
            await client.close()
            #expect(results.count == 8)
            for (result, single) in zip(results, singles) { #expect(try result.get() == single) }
            #expect(firstBatchInFlight == 4)
            #expect(secondBatchInFlight == 8)
        }
    }

    @Test("single requests go one at a time: the next is sent after the answer to the last")
    func singleRequestsOneAtATime() async throws {
        try await withSimulatedBMC(faults: BMCFaults(latency: .milliseconds(20))) { fleet in
            let client = try await Self.connectedClient(fleet, window: 8)
            for _ in 0..<4 { _ = try await client.request(netFn: .app, command: 0x01) }
            await client.close()
            #expect(try await fleet.mostRequestsInFlight(bmc: 0) == 1)
        }
    }

    @Test(
        "an IPv4 and an IPv6 BMC share one transport, each answered over its own socket",
        .enabled(if: FreePort.hasIPv6Loopback, "::1 is not configured"))
    func bothAddressFamiliesOnOneTransport() async throws {
        let logger = Logger(label: "simulator-test")
        let v4 = try await SimulatedBMCFleet.start(count: 1, basePort: 0, host: "127.0.0.1", logger: logger)
        let v6 = try await SimulatedBMCFleet.start(count: 1, basePort: 0, host: "::1", logger: logger)
        let transport = try await IPMITransport.bindAll()
        let clients = try [("127.0.0.1", v4.ports[0]), ("::1", v6.ports[0])].map { host, port in
            var options = ClientOptions()
            options.maxOutstandingRequests = 4
            return try IPMIClient(
                host: host, port: port, username: "admin", password: "password", options: options,
                transport: transport, logger: Self.logger)
        }
        for client in clients { try await client.connect() }
        // A batch wider than the window: answers arrive while later requests are being written.
        let batch = (0..<12).map { _ in IPMIRequest(netFn: .app, command: 0x01) }
        async let first = clients[0].requests(batch)
        async let second = clients[1].requests(batch)
        let answers = await [first, second]
        for client in clients { await client.close() }
        await transport.close()
        await v4.stop()
        await v6.stop()
        for results in answers {
            #expect(results.count == 12)
            #expect(results.allSatisfy { (try? $0.get())?.completionCode == .normal })
        }
        #expect(transport.statistics.snapshot.droppedTotal == 0)
    }

    @Test("a batch past its deadline or cancelled fails every request and leaves the session usable")
    func batchDeadlineAndCancellation() async throws {
        try await withSimulatedBMC(faults: BMCFaults(latency: .milliseconds(50))) { fleet in
            let transport = try await IPMITransport.bind(host: "127.0.0.1")
            let client = try await Self.connectedClient(fleet, window: 2, transport: transport)
            let batch = (0..<40).map { _ in IPMIRequest(netFn: .app, command: 0x01) }
            let expired = await IPMIDeadline.$current.withValue(.now - .seconds(1)) {
                await client.requests(batch)
            }
            #expect(expired.count == 40)
            for result in expired {
                #expect(throws: IPMIClientError.self) { try result.get() }
            }
            let received = transport.statistics.snapshot.packetsReceived
            let running = Task { await client.requests(batch) }
            // Cancel once the first answers are in (a datagram is counted, then delivered, on the event loop,
            // ahead of the cancellation), not after a fixed sleep that a busy machine can outlast.
            while transport.statistics.snapshot.packetsReceived < received + 2 {
                try await Task.sleep(for: .milliseconds(5))
            }
            running.cancel()
            let cancelled = await running.value
            // The first rounds were answered before the cancellation; the rest were given up.
            #expect(cancelled.contains { (try? $0.get()) != nil })
            #expect(
                cancelled.contains { if case .failure(let error) = $0 { error is CancellationError } else { false } })
            let after = try await client.request(netFn: .app, command: 0x01)
            #expect(after.completionCode == .normal)
            await client.close()
            await transport.close()
        }
    }

    static func connectedClient(
        _ fleet: SimulatedBMCFleet, window: Int, transport: IPMITransport? = nil,
        requestTimeout: Duration = .seconds(1), minimumRetransmitTimeout: Duration? = nil
    ) async throws -> IPMIClient {
        var options = ClientOptions()
        options.maxOutstandingRequests = window
        options.requestTimeout = requestTimeout
        if let minimumRetransmitTimeout { options.minimumRetransmitTimeout = minimumRetransmitTimeout }
        let client = try IPMIClient(
            host: "127.0.0.1", port: fleet.ports[0], username: "admin", password: "password",
            cipherSuite: .suite17, options: options, transport: transport, logger: logger)
        try await client.connect()
        return client
    }
}

/// A BMC with a single receive buffer over many scrapes: many seconds of requests one at a time, so it runs with the
/// heavy suites (scripts/test.sh), where no other test stalls this process past its retransmission timeout.
@Suite("Request window against a single-buffer BMC")
struct SingleBufferWindowTests {
    @Test(
        "on a BMC that takes one request at a time, only the first scrape waits for a retransmission, over more than one growth run and a re-opened session"
    )
    func aSingleBufferBMCCostsRetransmissionsInTheFirstScrapeOnly() async throws {
        var faults = BMCFaults(latency: .milliseconds(2))
        faults.handlesOneRequestAtATime = true
        try await withSimulatedBMC(faults: faults) { fleet in
            let transport = try await IPMITransport.bind(host: "127.0.0.1")
            // Retransmission timeouts as long as the request timeout: a loaded machine's slow answer is then no
            // retransmission, only a lost one is.
            let client = try await ClientTests.connectedClient(
                fleet, window: 16, transport: transport, requestTimeout: .milliseconds(300),
                minimumRetransmitTimeout: .milliseconds(300))
            // About as many requests as a warm scrape of a server sends.
            let scrape = (0..<50).map { _ in IPMIRequest(netFn: .app, command: 0x01) }
            var retransmittedPerScrape: [UInt64] = []
            // 4,500 answers: the window used to widen by one after 4,096 without a change, which such a BMC pays for
            // with a lost request.
            for round in 0..<90 {
                if round == 3 {
                    // The BMC forgot the session (a reboot, say): the client opens a new one.
                    await client.reset()
                    try await client.connect()
                }
                let before = transport.statistics.snapshot.retransmissions
                let results = await client.requests(scrape)
                #expect(results.allSatisfy { (try? $0.get())?.completionCode == .normal })
                retransmittedPerScrape.append(transport.statistics.snapshot.retransmissions - before)
            }
            await client.close()
            await transport.close()
            // The first scrape loses most of its first round; no later one tries a wider window.
            #expect(retransmittedPerScrape[0] > 0)
            #expect(retransmittedPerScrape.dropFirst().allSatisfy { $0 == 0 }, "\(retransmittedPerScrape)")
        }
    }
}
