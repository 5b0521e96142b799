import IPMIClient
import IPMISimulator
import Logging
import NIOConcurrencyHelpers
import PrometheusText
import Testing

@testable import ExporterScrape
@testable import IPMIExporter

/// The bound on cold starts waiting for a slot, and who goes first.
@Suite struct ColdStartBoundTests {
    /// Holds the queue's only slot until `go` opens.
    private static func holdTheSlot(_ queue: ColdStartQueue, until go: OneShotSignal) -> Task<Void, any Error> {
        Task { try await queue.run { await go.wait() } }
    }

    @Test func beyondTheBoundAColdStartIsRefusedAtOnceAndCounted() async throws {
        let metrics = ExporterMetrics(processMetrics: { [] })
        let queue = ColdStartQueue(limit: 1, maxWaiting: 2, metrics: metrics)
        let go = OneShotSignal()
        let holder = Self.holdTheSlot(queue, until: go)
        #expect(await eventually { queue.running == 1 })
        let waiters = (0..<2).map { _ in Task { try await queue.run {} } }
        #expect(await eventually { queue.waiting == 2 })
        // At once: the slot is held until after the refusal, so a refusal that waited for a turn would never come.
        await #expect(throws: ColdStartRefused.self) { try await queue.run {} }
        #expect(queue.waiting == 2)
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_cold_starts_refused_total 1\n"), "\(text)")
        go.fire()
        try await holder.value
        for waiter in waiters { try await waiter.value }
    }

    @Test func aTargetThatAnsweredGoesFirstAndTakesThePlaceOfOneThatNeverDid() async throws {
        let queue = ColdStartQueue(limit: 1, maxWaiting: 2, metrics: nil)
        let go = OneShotSignal()
        let order = NIOLockedValueBox<[String]>([])
        let holder = Self.holdTheSlot(queue, until: go)
        #expect(await eventually { queue.running == 1 })
        func enqueue(_ name: String, _ priority: ColdStartQueue.Priority) -> Task<Void, any Error> {
            Task { try await queue.run(priority: priority) { order.withLockedValue { $0.append(name) } } }
        }
        let dead = enqueue("dead", .unanswered)
        #expect(await eventually { queue.waiting == 1 })
        let new = enqueue("new", .new)
        #expect(await eventually { queue.waiting == 2 })
        // Full: a target that answered before takes the place of the one that never answered.
        let answered = enqueue("answered", .answered)
        await #expect(throws: ColdStartRefused.self) { try await dead.value }
        #expect(queue.waiting == 2)
        // Full of better ones: another dead target is refused.
        await #expect(throws: ColdStartRefused.self) { try await queue.run(priority: .unanswered) {} }
        go.fire()
        try await holder.value
        try await answered.value
        try await new.value
        #expect(order.withLockedValue { $0 } == ["answered", "new"])
    }
}

/// Dead and live simulated BMCs through the real scraper and coordinator.
@Suite(.serialized) struct ColdStartBoundSimulatorTests {
    struct Setup {
        let fleet: SimulatedBMCFleet
        let transport: IPMITransport
        let metrics: ExporterMetrics
        let cache: SessionCache
        let coordinator: ScrapeCoordinator

        let clock: any ExporterClock

        /// `clock` is the coordinator's and the session cache's (the scrapes' deadlines, the waits for cold starts);
        /// the handshakes' retransmissions are on the real clock.
        static func make(
            bmcs: Int, clock: any ExporterClock = RealClock(), settings change: (inout SessionCache.Settings) -> Void
        ) async throws -> Setup {
            let fleet = try await SimulatedBMCFleet.start(count: bmcs, basePort: 0, logger: quietLogger)
            let transport = try await IPMITransport.bind()
            let metrics = ExporterMetrics(processMetrics: { [] })
            var settings = SessionCache.Settings()
            settings.clientOptions.requestTimeout = .milliseconds(200)
            settings.clientOptions.retries = 1
            change(&settings)
            let cache = SessionCache(
                transport: transport, settings: settings, metrics: metrics, logger: quietLogger, clock: clock)
            let scraper = IPMIScraper(cache: cache, metrics: metrics, logger: quietLogger)
            let coordinator = ScrapeCoordinator(
                scraper: scraper, maxConcurrent: 64, metrics: metrics, logger: quietLogger, clock: clock)
            return Setup(
                fleet: fleet, transport: transport, metrics: metrics, cache: cache, coordinator: coordinator,
                clock: clock)
        }

        /// A scrape answered by `deadline` from now on the setup's clock; `timeout` (the module's) bounds the
        /// handshake.
        func scrape(_ index: Int, deadline: Duration, timeout: Duration = .seconds(1)) async -> ScrapeResult {
            let parts = fleet.addresses[index].split(separator: ":")
            let module = ModuleConfig(
                name: "default", user: "admin", password: Secret("password"), privilege: .admin,
                timeout: timeout, collectors: [.ipmi, .bmc, .chassis])
            return await coordinator.scrape(
                target: ScrapeTarget(host: String(parts[0]), port: Int(parts[1])!), module: module,
                deadline: clock.now + deadline)
        }

        func shutdown() async {
            await cache.closeAll()
            await transport.close()
            await fleet.stop()
        }
    }

    /// BMCs that never answer.
    static func silence(_ fleet: SimulatedBMCFleet, _ indices: ClosedRange<Int>) async throws {
        for index in indices { try await fleet.setFaults(BMCFaults(lossRate: 1), bmc: index) }
    }

    /// BMCs that never answer, one cold-start slot: the cold start admitted first holds it for its handshake's
    /// retransmissions (longer than the test, on the real clock) while the other 19 wait. When their scrapes give up
    /// at the deadline (on the test's clock), the 19 leave the queue without ever being admitted.
    @Test func aColdStartWhoseScrapesGaveUpLeavesTheQueue() async throws {
        let clock = ManualClock()
        let setup = try await Setup.make(bmcs: 20, clock: clock) {
            $0.maxConcurrentColdStarts = 1
            $0.clientOptions.requestTimeout = .seconds(60)
        }
        try await Self.silence(setup.fleet, 0...19)
        let queue = setup.cache.coldStarts
        let scrapes = Task {
            await withTaskGroup(of: ScrapeResult.self) { group in
                for index in 0..<20 {
                    group.addTask { await setup.scrape(index, deadline: .milliseconds(300), timeout: .seconds(120)) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(await eventually { queue.running == 1 && queue.waiting == 19 })
        clock.advance(by: .milliseconds(300))
        let results = await scrapes.value
        #expect(results.count == 20)
        #expect(results.allSatisfy { $0.outcome != .success })
        // Nobody waits for them any more: only the one already running goes on.
        #expect(await eventually { queue.waiting == 0 })
        #expect(queue.running == 1)
        let text = PrometheusText.render(setup.metrics.families())
        #expect(text.contains("ipmi_exporter_cold_starts_total 1\n"), "\(text)")
        await setup.shutdown()
    }

    @Test func aLiveTargetIsNotKeptWaitingBehindAFleetOfDeadOnes() async throws {
        let dead = 60
        let setup = try await Setup.make(bmcs: dead + 1) {
            $0.maxConcurrentColdStarts = 2
            $0.maxQueuedColdStarts = 8
        }
        try await Self.silence(setup.fleet, 1...dead)
        // The dead targets, all scraped at once every second (each scrape gives up after 1 s), as Prometheus would.
        let stop = NIOLockedValueBox(false)
        let rounds = NIOLockedValueBox(0)
        let flood = Task {
            while !stop.withLockedValue({ $0 }) {
                await withTaskGroup(of: Void.self) { group in
                    for index in 1...dead { group.addTask { _ = await setup.scrape(index, deadline: .seconds(1)) } }
                }
                rounds.withLockedValue { $0 += 1 }
            }
        }
        // A whole round has been answered, so the dead ones that got a turn in it failed their cold starts (and are
        // now behind a target never tried), however long the round took on this machine.
        #expect(await eventually { rounds.withLockedValue { $0 } >= 1 })
        let afterRound = PrometheusText.render(setup.metrics.families())
        #expect(afterRound.contains("ipmi_exporter_handshakes_total{result=\"failure\"}"), "\(afterRound)")
        // Each attempt once the queue has room, as a scrape a few seconds later would find it: at the start of a round
        // the dead targets never tried fill it and one more never tried is refused; once some of them have been
        // admitted, the live target takes a place ahead of those that never answered.
        let queue = setup.cache.coldStarts
        var upAfter: Int?
        for attempt in 1...3 {
            #expect(await eventually { queue.waiting < queue.maxWaiting })
            if case .success = await setup.scrape(0, deadline: .seconds(2)).outcome {
                upAfter = attempt
                break
            }
        }
        stop.withLockedValue { $0 = true }
        await flood.value
        #expect(upAfter != nil, "the live target stayed down behind \(dead) dead ones")
        #expect(setup.cache.coldStarts.waiting <= 8)
        let text = PrometheusText.render(setup.metrics.families())
        #expect(!text.contains("ipmi_exporter_cold_starts_refused_total 0\n"), "\(text)")
        await setup.shutdown()
    }
}
