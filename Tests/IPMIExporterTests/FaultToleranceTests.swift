import ExporterScrape
import IPMIClient
import IPMIExporter
import IPMISimulator
import Logging
import PrometheusText
import Testing

/// The exporter's collectors and session cache against our simulated BMCs with injected faults.
@Suite(.serialized)
struct FaultToleranceTests {
    static let logger: Logger = {
        var logger = Logger(label: "fault-test")
        logger.logLevel = .critical
        return logger
    }()

    static let module = ModuleConfig(
        name: "default", user: "admin", password: Secret("password"), privilege: .admin, timeout: .seconds(10),
        collectors: [.ipmi, .bmc, .chassis, .dcmi, .sel])

    struct Setup: Sendable {
        let fleet: SimulatedBMCFleet
        let transport: IPMITransport
        let metrics: ExporterMetrics
        let cache: SessionCache
        let scraper: IPMIScraper
        /// The module every scrape uses.
        var module = FaultToleranceTests.module

        static func make(
            bmcs: Int, requestTimeout: Duration = .milliseconds(100), retries: Int = 5,
            keepaliveInterval: Duration = .seconds(20), idleTimeout: Duration = .seconds(600), window: Int? = nil,
            configuration: SimulatorConfiguration = .defaultServer, faults: BMCFaults = .none,
            logger: Logger = FaultToleranceTests.logger, clock: any ExporterClock = RealClock()
        ) async throws
            -> Setup
        {
            // The simulator's own lines stay out of the given log.
            let fleet = try await SimulatedBMCFleet.start(
                count: bmcs, basePort: 0, configuration: configuration, faults: faults,
                logger: FaultToleranceTests.logger)
            let transport = try await IPMITransport.bind()
            let metrics = ExporterMetrics()
            var settings = SessionCache.Settings()
            settings.clientOptions.requestTimeout = requestTimeout
            settings.clientOptions.retries = retries
            if let window { settings.clientOptions.maxOutstandingRequests = window }
            settings.keepaliveInterval = keepaliveInterval
            settings.idleTimeout = idleTimeout
            let cache = SessionCache(
                transport: transport, settings: settings, metrics: metrics, logger: logger, clock: clock)
            return Setup(
                fleet: fleet, transport: transport, metrics: metrics, cache: cache,
                scraper: IPMIScraper(cache: cache, metrics: metrics, logger: logger))
        }

        func scrape(_ index: Int, deadline: Duration = .seconds(10)) async -> [MetricFamily] {
            await scraper.scrape(request(index, deadline: deadline)).exposition
        }

        /// As the coordinator scrapes: a cold start first if the target needs one, then the collection.
        func prepareAndScrape(_ index: Int, deadline: Duration) async -> [MetricFamily] {
            let request = request(index, deadline: deadline)
            switch await scraper.prepare(request) {
            case .answered(let report): return report.exposition
            case .collect(let prepared): return await scraper.scrape(request, prepared: prepared).exposition
            }
        }

        /// The deadline on the cache's clock, which waits for it (a test's clock may be ahead of the real one).
        private func request(_ index: Int, deadline: Duration) -> ScrapeRequest {
            let parts = fleet.addresses[index].split(separator: ":")
            return ScrapeRequest(
                target: ScrapeTarget(host: String(parts[0]), port: Int(parts[1])!),
                module: module, deadline: cache.clock.now + deadline)
        }

        func shutdown() async {
            await cache.closeAll()
            await transport.close()
            await fleet.stop()
        }
    }

    static func allUp(_ families: [MetricFamily]) -> Bool {
        guard let up = families.first(where: { $0.name == "ipmi_up" }) else { return false }
        return !up.samples.isEmpty && up.samples.allSatisfy { $0.value == 1 }
    }

    @Test func withFivePercentLossAtLeast99PercentOfAThousandScrapesSucceed() async throws {
        let bmcs = 20
        let setup = try await Setup.make(bmcs: bmcs)
        for index in 0..<bmcs {
            try await setup.fleet.setFaults(BMCFaults(lossRate: 0.05), bmc: index)
        }
        let clock = ContinuousClock()
        // 20 BMCs scraped 50 times each, the BMCs in parallel as Prometheus would.
        let count = await withTaskGroup(of: Int.self) { group in
            for index in 0..<bmcs {
                group.addTask {
                    var succeeded = 0
                    for _ in 0..<50 {
                        let start = clock.now
                        let families = await setup.scrape(index)
                        if Self.allUp(families), clock.now - start < .seconds(10) { succeeded += 1 }
                    }
                    return succeeded
                }
            }
            return await group.reduce(0, +)
        }
        await setup.shutdown()
        #expect(count >= 990, "\(count) of 1000 scrapes succeeded")
    }

    @Test func withFivePercentLossEachWayAndAFiveSecondTimeout95PercentOfScrapesSucceed() async throws {
        // The exporter's own timing (1 s per attempt, 2 retries, a window of 16) and Prometheus's path through the
        // coordinator (a cold start, then the collection), from the first scrape on: a cold start whose SDR
        // download is cut short goes on where it stopped, a lost answer is not taken for a lost session, and the
        // window grows back after the losses.
        let bmcs = 3
        let scrapes = 20
        let setup = try await Setup.make(bmcs: bmcs, requestTimeout: .seconds(1), retries: 2, window: 16)
        for index in 0..<bmcs {
            try await setup.fleet.setFaults(BMCFaults(lossRate: 0.05, answerLossRate: 0.05), bmc: index)
        }
        let clock = ContinuousClock()
        let count = await withTaskGroup(of: Int.self) { group in
            for index in 0..<bmcs {
                group.addTask {
                    var succeeded = 0
                    for _ in 0..<scrapes {
                        let start = clock.now
                        let families = await setup.prepareAndScrape(index, deadline: .seconds(5))
                        if Self.allUp(families), clock.now - start < .seconds(5) { succeeded += 1 }
                    }
                    return succeeded
                }
            }
            return await group.reduce(0, +)
        }
        let lost = setup.transport.statistics.snapshot.retransmissions
        await setup.shutdown()
        #expect(lost > 0)
        #expect(count * 100 >= bmcs * scrapes * 95, "\(count) of \(bmcs * scrapes) scrapes succeeded")
    }

    @Test func afterARebootTheNextButOneScrapeSucceeds() async throws {
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 1)
        #expect(Self.allUp(await setup.scrape(0)))
        try await setup.fleet.reboot(bmc: 0)
        _ = await setup.scrape(0)  // may fail: the BMC forgot the session
        let after = await setup.scrape(0)
        #expect(Self.allUp(after))
        await setup.shutdown()
    }

    @Test func afterARebootTheFirstScrapeReopensTheSessionWithinItsDeadline() async throws {
        // Production timing: 1 s per attempt, 2 retries, a 10 s deadline. Every collector of the scrape finds the
        // session gone at once; the first to give up must stop the others, or their retransmissions (each behind
        // the last, as the window narrows) use up the deadline before a new session can be opened.
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .seconds(1), retries: 2)
        #expect(Self.allUp(await setup.scrape(0)))
        try await setup.fleet.reboot(bmc: 0)
        let start = ContinuousClock.now
        let after = await setup.scrape(0)
        let elapsed = ContinuousClock.now - start
        #expect(Self.allUp(after))
        #expect(elapsed < .seconds(8), "\(elapsed)")
        let rehandshakes = setup.metrics.families().first { $0.name == "ipmi_exporter_rehandshakes_total" }
        #expect(rehandshakes?.samples.first?.value == 1)
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func anSDRReadLongerThanAScrapeFinishesForTheNextOne() async throws {
        // 25 ms per answer: reading the 50-sensor repository takes seconds, far more than the first scrape's 1 s.
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .seconds(1), retries: 2)
        try await setup.fleet.setFaults(BMCFaults(latency: .milliseconds(25)), bmc: 0)
        func counter(_ name: String) -> Double {
            setup.metrics.families().first { $0.name == name }?.samples.first?.value ?? 0
        }
        func up(_ families: [MetricFamily], _ collector: String) -> Double? {
            families.first { $0.name == "ipmi_up" }?.samples.first {
                $0.labels.contains(Label("collector", collector))
            }?.value
        }
        let first = await setup.scrape(0, deadline: .seconds(1))
        #expect(up(first, "ipmi") == 0)
        // The read goes on after the scrape gave up; later scrapes join it or find it done, never start over.
        var families: [MetricFamily] = []
        for _ in 0..<20 {
            families = await setup.scrape(0, deadline: .seconds(5))
            if up(families, "ipmi") == 1 { break }
        }
        #expect(up(families, "ipmi") == 1)
        #expect(counter("ipmi_exporter_sdr_cache_misses_total") == 1)
        #expect(families.contains { $0.name == "ipmi_temperature_celsius" })
        await setup.shutdown()
    }

    @Test func exhaustedSessionSlotsReportDownWithAReason() async throws {
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 1)
        try await setup.fleet.setFaults(BMCFaults(sessionSlotsExhausted: true), bmc: 0)
        let families = await setup.scrape(0)
        let up = families.first { $0.name == "ipmi_up" }?.samples ?? []
        #expect(!up.isEmpty)
        #expect(up.allSatisfy { $0.value == 0 })
        let errors = setup.metrics.families().first { $0.name == "ipmi_exporter_errors_total" }?.samples ?? []
        // The BMC says why (RAKP status "insufficient resources"): counted as a session error, not a timeout.
        #expect(errors.contains { $0.labels.contains(Label("reason", "session")) && $0.value >= 1 })
        await setup.shutdown()
    }

    @Test func anIdleSessionGetsOneKeepaliveEachIntervalNotOneEachJanitorPass() async throws {
        let clock = ManualClock()
        let setup = try await Setup.make(bmcs: 1, keepaliveInterval: .seconds(20), clock: clock)
        #expect(Self.allUp(await setup.scrape(0)))
        func sent() -> UInt64 { setup.transport.statistics.snapshot.packetsSent }
        var before = sent()
        clock.advance(by: .seconds(19))
        await setup.cache.maintain()  // not silent for long enough yet
        #expect(sent() - before == 0)
        clock.advance(by: .seconds(1))
        await setup.cache.maintain()
        #expect(sent() - before == 1)  // one Get Device ID
        before = sent()
        clock.advance(by: .seconds(5))
        await setup.cache.maintain()  // the next pass, soon after: the session was just heard
        #expect(sent() - before == 0)
        clock.advance(by: .seconds(15))
        before = sent()
        await setup.cache.maintain()
        #expect(sent() - before == 1)
        #expect(await setup.cache.count == 1)
        await setup.shutdown()
    }

    @Test func aZeroKeepaliveIntervalSendsNoKeepalives() async throws {
        let clock = ManualClock()
        let setup = try await Setup.make(bmcs: 1, keepaliveInterval: .zero, clock: clock)
        #expect(Self.allUp(await setup.scrape(0)))
        let before = setup.transport.statistics.snapshot.packetsSent
        clock.advance(by: .seconds(300))
        await setup.cache.maintain()
        #expect(setup.transport.statistics.snapshot.packetsSent == before)
        #expect(Self.allUp(await setup.scrape(0)))  // the session is still there for the next scrape
        await setup.shutdown()
    }

    @Test func aSessionNobodyScrapesForTheIdleTimeoutIsClosedAndTheNextScrapeOpensANewOne() async throws {
        let clock = ManualClock()
        let setup = try await Setup.make(
            bmcs: 1, keepaliveInterval: .seconds(20), idleTimeout: .seconds(600), clock: clock)
        #expect(Self.allUp(await setup.scrape(0)))
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        // Kept alive while idle (the keep-alive does not count as use)…
        for _ in 0..<29 {
            clock.advance(by: .seconds(20))
            await setup.cache.maintain()
        }
        #expect(await setup.cache.count == 1)
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        // …until nobody asked for it for the idle timeout: closed politely (Close Session), so the BMC forgets it.
        clock.advance(by: .seconds(20))
        await setup.cache.maintain()
        #expect(await setup.cache.count == 0)
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 0)
        let text = PrometheusText.render(setup.metrics.families())
        #expect(text.contains("ipmi_exporter_sessions_open 0\n"), "\(text)")
        // A scrape after that opens a new session.
        #expect(Self.allUp(await setup.scrape(0)))
        #expect(await setup.cache.count == 1)
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func aCollectionWaitsForTheOneStillUsingTheSessionInsteadOfSharingIt() async throws {
        let setup = try await Setup.make(bmcs: 1)
        #expect(Self.allUp(await setup.scrape(0)))
        try await setup.fleet.reboot(bmc: 0)
        // Both find the session gone; together they would reset and reopen it under each other's feet.
        async let first = setup.scrape(0)
        try await Task.sleep(for: .milliseconds(20))
        async let second = setup.scrape(0)
        _ = await first  // may fail: the BMC forgot the session and its SDR timestamps moved
        #expect(Self.allUp(await second))
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    static func up(_ families: [MetricFamily], _ collector: String) -> Double? {
        families.first { $0.name == "ipmi_up" }?.samples.first { $0.labels.contains(Label("collector", collector)) }?
            .value
    }

    static func counter(_ metrics: ExporterMetrics, _ name: String, label: Label? = nil) -> Double {
        let samples = metrics.families().first { $0.name == name }?.samples ?? []
        return samples.first { label.map($0.labels.contains) ?? true }?.value ?? 0
    }

    @Test func anUnusableSDRAnswerFailsOnlyTheCollectorThatNeedsSDRs() async throws {
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 1)
        var faults = BMCFaults()
        faults.emptySDRAnswers = true
        try await setup.fleet.setFaults(faults, bmc: 0)
        for _ in 0..<2 {
            let families = await setup.scrape(0)
            #expect(Self.up(families, "ipmi") == 0)
            for collector in ["bmc", "chassis", "dcmi", "sel"] { #expect(Self.up(families, collector) == 1) }
            #expect(families.contains { $0.name == "ipmi_chassis_power_state" })
        }
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func aSessionLostDuringTheFirstSDRReadIsReopenedAndTheReadGoesOn() async throws {
        // 20 ms per answer: the first SDR read takes over a second; the BMC forgets the session a few records in.
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 1)
        try await setup.fleet.setFaults(BMCFaults(latency: .milliseconds(20)), bmc: 0)
        let first = Task { await setup.prepareAndScrape(0, deadline: .milliseconds(500)) }
        var readBefore = 0
        for _ in 0..<500 where readBefore < 8 {
            try await Task.sleep(for: .milliseconds(5))
            readBefore = try await setup.fleet.getSDRRequests(bmc: 0)
        }
        try await setup.fleet.loseSessions(bmc: 0)
        #expect(Self.up(await first.value, "ipmi") == 0)
        // Every later attempt used to ask the forgotten session again (and keep it "heard" for the keep-alive).
        var upAfter: Int?
        for attempt in 1...6 {
            try await Task.sleep(for: .milliseconds(300))
            if Self.allUp(await setup.prepareAndScrape(0, deadline: .seconds(3))) {
                upAfter = attempt
                break
            }
        }
        #expect(upAfter != nil && upAfter! <= 3, "up after \(upAfter.map(String.init) ?? "never")")
        // The read went on from where the session was lost: each record once, plus the few lost with the session.
        let records = setup.fleet.profile.sensors.count
        let getSDR = try await setup.fleet.getSDRRequests(bmc: 0)
        #expect(readBefore >= 8)
        #expect(getSDR <= records + 3, "\(getSDR) Get SDR for \(records) records")
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func aLostAnswerOnAWarmSessionKeepsTheSessionAndItsSDRs() async throws {
        // No retransmission: one lost datagram is a request timeout.
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 0)
        #expect(Self.allUp(await setup.scrape(0)))
        try await setup.fleet.dropNextDatagrams(1, bmc: 0)
        #expect(Self.allUp(await setup.scrape(0)))
        #expect(Self.counter(setup.metrics, "ipmi_exporter_rehandshakes_total") == 0)
        #expect(
            Self.counter(setup.metrics, "ipmi_exporter_handshakes_total", label: Label("result", "success")) == 1)
        #expect(Self.counter(setup.metrics, "ipmi_exporter_sdr_cache_misses_total") == 1)
        #expect(try await setup.fleet.sessionCount(bmc: 0) == 1)
        await setup.shutdown()
    }

    @Test func aSessionReopenedAfterALossKeepsAnUnchangedRepository() async throws {
        let setup = try await Setup.make(bmcs: 1, requestTimeout: .milliseconds(200), retries: 1)
        #expect(Self.allUp(await setup.scrape(0)))
        try await setup.fleet.loseSessions(bmc: 0)
        #expect(Self.allUp(await setup.scrape(0)))
        #expect(Self.counter(setup.metrics, "ipmi_exporter_rehandshakes_total") == 1)
        // The repository's timestamps did not change: it is not read again.
        #expect(Self.counter(setup.metrics, "ipmi_exporter_sdr_cache_misses_total") == 1)
        await setup.shutdown()
    }
}
