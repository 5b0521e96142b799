import IPMIClient
import IPMISimulator
import Logging
import NIOConcurrencyHelpers
import PrometheusText
import Testing

@testable import ExporterScrape
@testable import IPMIExporter

/// The bound on cold starts (handshake and SDR read) and its promise: warm targets never wait behind cold ones.
@Suite struct ColdStartQueueTests {
    @Test func atMostTheLimitRunAtOnce() async throws {
        let queue = ColdStartQueue(limit: 2, metrics: nil)
        let started = NIOLockedValueBox<[Int]>([])
        let running = NIOLockedValueBox((now: 0, most: 0))
        let go = OneShotSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await queue.run {
                        started.withLockedValue { $0.append(index) }
                        running.withLockedValue { $0 = ($0.now + 1, max($0.most, $0.now + 1)) }
                        await go.wait()
                        // Another task's turn before this one ends, so a queue that let a third in would be seen.
                        await Task.yield()
                        running.withLockedValue { $0.now -= 1 }
                    }
                }
                // Each one queued (or running) before the next arrives, so the arrival order is known.
                #expect(await eventually { queue.waiting + queue.running == index + 1 })
            }
            #expect(queue.running == 2 && queue.waiting == 6)
            go.fire()
            try await group.waitForAll()
        }
        #expect(running.withLockedValue { $0.most } == 2)
        #expect(queue.peakRunning == 2)
        // Two admitted together may start their bodies in either order (each resumes on its own task), so the order
        // is checked by the one-slot test below; here every one ran once.
        #expect(started.withLockedValue { $0 }.sorted() == Array(0..<8))
        #expect(queue.waiting == 0 && queue.running == 0)
    }

    @Test func oneSlotAdmitsInArrivalOrder() async throws {
        let queue = ColdStartQueue(limit: 1, metrics: nil)
        let started = NIOLockedValueBox<[Int]>([])
        let go = OneShotSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<6 {
                group.addTask {
                    try await queue.run {
                        started.withLockedValue { $0.append(index) }
                        await go.wait()
                    }
                }
                #expect(await eventually { queue.waiting + queue.running == index + 1 })
            }
            go.fire()
            try await group.waitForAll()
        }
        // With one slot the next body is admitted only after the previous one has ended, so the bodies' order is
        // the admission order.
        #expect(started.withLockedValue { $0 } == Array(0..<6))
    }

    @Test func aWaiterCancelledBeforeItsTurnRunsNothing() async throws {
        let queue = ColdStartQueue(limit: 1, metrics: nil)
        let ran = NIOLockedValueBox(false)
        let go = OneShotSignal()
        let holder = Task { try await queue.run { await go.wait() } }
        #expect(await eventually { queue.running == 1 })
        let waiter = Task { try await queue.run { ran.withLockedValue { $0 = true } } }
        #expect(await eventually { queue.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(queue.waiting == 0)
        go.fire()
        try await holder.value
        #expect(!ran.withLockedValue { $0 })
    }

    @Test func theGaugesAreExported() async throws {
        let metrics = ExporterMetrics(processMetrics: { [] })
        let queue = ColdStartQueue(limit: 1, metrics: metrics)
        let go = OneShotSignal()
        let holder = Task { try await queue.run { await go.wait() } }
        #expect(await eventually { queue.running == 1 })
        let waiter = Task { try await queue.run {} }
        #expect(await eventually { queue.waiting == 1 })
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_cold_starts_waiting 1\n"))
        #expect(text.contains("ipmi_exporter_cold_starts_running 1\n"))
        go.fire()
        try await holder.value
        try await waiter.value
        let after = PrometheusText.render(metrics.families())
        #expect(after.contains("ipmi_exporter_cold_starts_waiting 0\n"))
        #expect(after.contains("ipmi_exporter_cold_starts_total 2\n"))
    }
}

/// A scraper whose targets need a cold start (through a real ``ColdStartQueue``) until they are warm; each cold start
/// holds its slot until the test lets it end (``finishColdStart()``), and the wait for it ends at the deadline of the
/// test's clock.
private final class ColdStartingScraper: Scraper {
    let queue: ColdStartQueue
    let clock: ManualClock
    private let warm: NIOLockedValueBox<Set<String>>
    /// Opened by the test, one per cold start to end.
    private let gates = NIOLockedValueBox<[OneShotSignal]>([])

    init(queue: ColdStartQueue, clock: ManualClock, warm: Set<String>) {
        self.queue = queue
        self.clock = clock
        self.warm = NIOLockedValueBox(warm)
    }

    /// Cold starts holding a slot until the test lets them end.
    var held: Int { gates.withLockedValue { $0.count } }

    /// Lets the cold start that has run longest end.
    func finishColdStart() {
        gates.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }?.fire()
    }

    func prepare(_ request: ScrapeRequest) async -> Preparation<Void> {
        let host = request.target.host
        if warm.withLockedValue({ $0.contains(host) }) { return .collect(()) }
        let gate = OneShotSignal()
        let job = Task {
            try await queue.run {
                self.gates.withLockedValue { $0.append(gate) }
                await gate.wait()
            }
            warm.withLockedValue { _ = $0.insert(host) }
        }
        if (try? await value(of: job, until: request.deadline, cancelTaskOnCancel: false, clock: clock)) != nil {
            return .collect(())
        }
        return .answered(.allDown(request.module.collectors, reason: "cold_start", duration: .zero))
    }

    func scrape(_ request: ScrapeRequest, prepared: Void) async -> ScrapeReport {
        ScrapeReport(
            families: [], collectors: request.module.collectors.map { CollectorStatus($0, up: true) },
            duration: .zero)
    }
}

@Suite struct ColdStartCoordinatorTests {
    @Test func warmScrapesDoNotWaitBehindQueuedColdStarts() async throws {
        let queue = ColdStartQueue(limit: 1, metrics: nil)
        let clock = ManualClock()
        let scraper = ColdStartingScraper(queue: queue, clock: clock, warm: ["warm"])
        // Fewer collection slots than cold targets: cold targets waiting for their turn must not hold them.
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 2, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger,
            clock: clock)
        let deadline = clock.now + .seconds(15)
        let cold = NIOLockedValueBox<[ScrapeOutcome]>([])
        let coldScrapes = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let result = await coordinator.scrape(
                            target: ScrapeTarget(host: "cold\(index)"), module: module(), deadline: deadline)
                        cold.withLockedValue { $0.append(result.outcome) }
                    }
                }
            }
        }
        #expect(await eventually { queue.waiting == 5 && queue.running == 1 })
        // The clock stands still: a warm scrape that waited behind the cold starts would never be answered.
        let warm = await coordinator.scrape(
            target: ScrapeTarget(host: "warm"), module: module(), deadline: clock.now + .seconds(10))
        #expect(warm.outcome == .success)
        #expect(queue.waiting == 5 && queue.running == 1)
        // One cold start ends before the deadline; the others are answered down at it, still queued.
        scraper.finishColdStart()
        #expect(await eventually { cold.withLockedValue { $0 } == [.success] })
        #expect(await eventually { queue.running == 1 && queue.waiting == 4 })
        clock.advance(by: .seconds(15))
        await coldScrapes.value
        #expect(cold.withLockedValue { $0 }.filter { $0 == .success }.count == 1)
        #expect(cold.withLockedValue { $0 }.filter { $0 != .success }.count == 5)
        // The cold starts go on after their scrapes gave up, one at a time, for the next scrape.
        for _ in 0..<5 {
            #expect(await eventually { scraper.held == 1 })
            #expect(queue.running == 1)
            scraper.finishColdStart()
        }
        #expect(await eventually { queue.running == 0 && queue.waiting == 0 })
        #expect(queue.peakRunning == 1)
    }
}

/// Many cold simulated BMCs at once through the real scraper, with a small cold-start bound.
@Suite(.serialized) struct ColdStartSimulatorTests {
    @Test func manyColdTargetsAllBecomeWarmWhileAWarmTargetKeepsAnswering() async throws {
        let cold = 24
        let fleet = try await SimulatedBMCFleet.start(count: cold + 1, basePort: 0, logger: quietLogger)
        // 5 ms per answer: a cold start (handshake and some 100 Get SDR) takes half a second of waiting, all of them
        // about 6 s at 2 at a time.
        for index in 1...cold { try await fleet.setFaults(BMCFaults(latency: .milliseconds(5)), bmc: index) }
        let transport = try await IPMITransport.bind()
        let metrics = ExporterMetrics(processMetrics: { [] })
        var settings = SessionCache.Settings()
        settings.maxConcurrentColdStarts = 2
        let cache = SessionCache(transport: transport, settings: settings, metrics: metrics, logger: quietLogger)
        let scraper = IPMIScraper(cache: cache, metrics: metrics, logger: quietLogger)
        let coordinator = ScrapeCoordinator(scraper: scraper, maxConcurrent: 64, metrics: metrics, logger: quietLogger)
        let module = ModuleConfig(
            name: "default", user: "admin", password: Secret("password"), privilege: .admin, timeout: .seconds(10),
            collectors: [.ipmi, .bmc, .chassis])
        func target(_ index: Int) -> ScrapeTarget {
            let parts = fleet.addresses[index].split(separator: ":")
            return ScrapeTarget(host: String(parts[0]), port: Int(parts[1])!)
        }
        func allUp(_ result: ScrapeResult) -> Bool {
            let up = result.families.first { $0.name == "ipmi_up" }?.samples ?? []
            return !up.isEmpty && up.allSatisfy { $0.value == 1 }
        }
        let warmFirst = await coordinator.scrape(target: target(0), module: module, deadline: .now + .seconds(10))
        #expect(allUp(warmFirst))

        /// Cold starts given a slot so far.
        func admitted() -> Int {
            let prefix = "ipmi_exporter_cold_starts_total "
            let line = PrometheusText.render(metrics.families()).split(separator: "\n").first { $0.hasPrefix(prefix) }
            return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? -1
        }
        // The warm target, scraped again each time one more cold start has been given a slot, while the cold ones
        // start. Each scrape notes how many cold starts waited for a slot when it began, and how many were admitted
        // while it ran: one queued behind them could be answered only after they had all been admitted.
        let stop = NIOLockedValueBox(false)
        let warmScrapes = Task {
            var results: [(up: Bool, waiting: Int, admittedMeanwhile: Int)] = []
            while !stop.withLockedValue({ $0 }) {
                let waiting = cache.coldStarts.waiting
                let before = admitted()
                let result = await coordinator.scrape(target: target(0), module: module, deadline: .now + .seconds(5))
                let after = admitted()
                results.append((allUp(result), waiting, after - before))
                _ = await eventually { stop.withLockedValue { $0 } || admitted() > after }
            }
            return results
        }
        // Every cold target scraped at once, with a 1 s deadline, round after round until all are up.
        var upAfterRound: [Int] = []
        for _ in 0..<30 {
            let up = await withTaskGroup(of: Bool.self) { group in
                for index in 1...cold {
                    group.addTask {
                        allUp(
                            await coordinator.scrape(
                                target: target(index), module: module, deadline: .now + .seconds(1)))
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            upAfterRound.append(up)
            if up == cold { break }
        }
        stop.withLockedValue { $0 = true }
        let warm = await warmScrapes.value

        #expect(upAfterRound.last == cold, "\(upAfterRound)")
        // Not all at once: the bound let only some finish per round.
        #expect(upAfterRound.count > 1, "\(upAfterRound)")
        #expect(cache.coldStarts.peakRunning == 2)
        #expect(!warm.isEmpty)
        #expect(warm.allSatisfy { $0.up })
        // Not queued behind the cold starts: most warm scrapes begun while cold starts waited were answered before
        // those had all been given a slot.
        let begunBehind = warm.filter { $0.waiting > 0 }
        let ahead = begunBehind.filter { $0.admittedMeanwhile < $0.waiting }
        #expect(!begunBehind.isEmpty)
        #expect(ahead.count * 2 > begunBehind.count, "\(warm)")
        // No cold start was done twice: one handshake and one SDR read per target.
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_handshakes_total{result=\"success\"} \(cold + 1)\n"), "\(text)")
        #expect(text.contains("ipmi_exporter_sdr_cache_misses_total \(cold + 1)\n"))
        #expect(text.contains("ipmi_exporter_cold_starts_waiting 0\n"))
        await cache.closeAll()
        await transport.close()
        await fleet.stop()
    }
}
