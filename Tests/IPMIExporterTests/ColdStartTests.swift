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
    @Test func atMostTheLimitRunAtOnceInArrivalOrder() async throws {
        let queue = ColdStartQueue(limit: 2, metrics: nil)
        let started = NIOLockedValueBox<[Int]>([])
        let running = NIOLockedValueBox((now: 0, most: 0))
        let go = NIOLockedValueBox(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await queue.run {
                        started.withLockedValue { $0.append(index) }
                        running.withLockedValue { $0 = ($0.now + 1, max($0.most, $0.now + 1)) }
                        while !go.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                        try await Task.sleep(for: .milliseconds(20))
                        running.withLockedValue { $0.now -= 1 }
                    }
                }
                // Each one queued (or running) before the next arrives, so the arrival order is known.
                #expect(await eventually { queue.waiting + queue.running == index + 1 })
            }
            #expect(queue.running == 2 && queue.waiting == 6)
            go.withLockedValue { $0 = true }
            try await group.waitForAll()
        }
        #expect(running.withLockedValue { $0.most } == 2)
        #expect(queue.peakRunning == 2)
        #expect(started.withLockedValue { $0 } == Array(0..<8))
        #expect(queue.waiting == 0 && queue.running == 0)
    }

    @Test func aWaiterCancelledBeforeItsTurnRunsNothing() async throws {
        let queue = ColdStartQueue(limit: 1, metrics: nil)
        let ran = NIOLockedValueBox(false)
        let go = NIOLockedValueBox(false)
        let holder = Task {
            try await queue.run { while !go.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) } }
        }
        #expect(await eventually { queue.running == 1 })
        let waiter = Task { try await queue.run { ran.withLockedValue { $0 = true } } }
        #expect(await eventually { queue.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(queue.waiting == 0)
        go.withLockedValue { $0 = true }
        try await holder.value
        #expect(!ran.withLockedValue { $0 })
    }

    @Test func theGaugesAreExported() async throws {
        let metrics = ExporterMetrics(processMetrics: { [] })
        let queue = ColdStartQueue(limit: 1, metrics: metrics)
        let go = NIOLockedValueBox(false)
        let holder = Task {
            try await queue.run { while !go.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) } }
        }
        #expect(await eventually { queue.running == 1 })
        let waiter = Task { try await queue.run {} }
        #expect(await eventually { queue.waiting == 1 })
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_cold_starts_waiting 1\n"))
        #expect(text.contains("ipmi_exporter_cold_starts_running 1\n"))
        go.withLockedValue { $0 = true }
        try await holder.value
        try await waiter.value
        let after = PrometheusText.render(metrics.families())
        #expect(after.contains("ipmi_exporter_cold_starts_waiting 0\n"))
        #expect(after.contains("ipmi_exporter_cold_starts_total 2\n"))
    }
}

/// A scraper whose targets need a slow cold start (through a real ``ColdStartQueue``) until they are warm.
private final class ColdStartingScraper: Scraper {
    let queue: ColdStartQueue
    let coldWork: Duration
    private let warm: NIOLockedValueBox<Set<String>>

    init(queue: ColdStartQueue, coldWork: Duration, warm: Set<String>) {
        self.queue = queue
        self.coldWork = coldWork
        self.warm = NIOLockedValueBox(warm)
    }

    func prepare(_ request: ScrapeRequest) async -> [MetricFamily]? {
        let host = request.target.host
        if warm.withLockedValue({ $0.contains(host) }) { return nil }
        let job = Task {
            try await queue.run { try await Task.sleep(for: coldWork) }
            warm.withLockedValue { _ = $0.insert(host) }
        }
        if (try? await value(of: job, until: request.deadline, cancelTaskOnCancel: false)) != nil { return nil }
        return [ScrapeMetricNames.upFamily(request.module.collectors.map { ($0, false) })]
    }

    func scrape(_ request: ScrapeRequest) async -> [MetricFamily] {
        [ScrapeMetricNames.upFamily(request.module.collectors.map { ($0, true) })]
    }
}

@Suite struct ColdStartCoordinatorTests {
    @Test func warmScrapesDoNotWaitBehindQueuedColdStarts() async throws {
        let queue = ColdStartQueue(limit: 1, metrics: nil)
        let scraper = ColdStartingScraper(queue: queue, coldWork: .seconds(1), warm: ["warm"])
        // Fewer collection slots than cold targets: cold targets waiting for their turn must not hold them.
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 2, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let coldScrapes = Task {
            await withTaskGroup(of: ScrapeResult.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        await coordinator.scrape(
                            target: ScrapeTarget(host: "cold\(index)"), module: module(),
                            deadline: .now + .milliseconds(1500))
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(await eventually { queue.waiting == 5 && queue.running == 1 })
        let clock = ContinuousClock()
        let start = clock.now
        let warm = await coordinator.scrape(
            target: ScrapeTarget(host: "warm"), module: module(), deadline: .now + .seconds(10))
        #expect(clock.now - start < .milliseconds(300), "\(clock.now - start)")
        #expect(warm.outcome == .success)
        let cold = await coldScrapes.value
        // One cold start fits in the 1.5 s deadline; the others are answered down at it, still queued.
        #expect(cold.filter { $0.outcome == .success }.count == 1)
        #expect(cold.filter { $0.outcome != .success }.count == 5)
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

        // The warm target, scraped every 50 ms while the cold ones start.
        let stop = NIOLockedValueBox(false)
        let warmScrapes = Task {
            var results: [(up: Bool, took: Duration)] = []
            while !stop.withLockedValue({ $0 }) {
                let start = ContinuousClock.now
                let result = await coordinator.scrape(target: target(0), module: module, deadline: .now + .seconds(5))
                results.append((allUp(result), ContinuousClock.now - start))
                try? await Task.sleep(for: .milliseconds(50))
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
        // Not queued behind the cold starts (that would be seconds): the median warm scrape is quick.
        let median = warm.map(\.took).sorted()[warm.count / 2]
        #expect(median < .milliseconds(500), "\(median)")
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
