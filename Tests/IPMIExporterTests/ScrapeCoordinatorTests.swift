import IPMIClient
import NIOConcurrencyHelpers
import NIOPosix
import PrometheusText
import Testing

@testable import ExporterScrape
@testable import IPMIExporter

@Suite struct ScrapeCoordinatorTests {
    /// A coordinator on a clock that only the test moves, with a scraper that holds every collection until released:
    /// what a test asserts about order and deadlines then follows from what it lets happen, not from how fast the
    /// machine runs.
    private static func held(
        maxConcurrent: Int, ignoresCancellation: Bool = false
    ) -> (clock: ManualClock, scraper: FakeScraper, metrics: ExporterMetrics, coordinator: ScrapeCoordinator) {
        let clock = ManualClock()
        let scraper = FakeScraper(ignoresCancellation: ignoresCancellation)
        scraper.hold()
        let metrics = ExporterMetrics(processMetrics: { [] })
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: maxConcurrent, metrics: metrics, logger: quietLogger, clock: clock)
        return (clock, scraper, metrics, coordinator)
    }

    /// Scrapes of `targets`, all at once, in a task of their own; its value is their results as they came back.
    private static func atOnce(
        _ coordinator: ScrapeCoordinator, _ targets: [ScrapeTarget], deadline: ContinuousClock.Instant
    ) -> Task<[ScrapeResult], Never> {
        Task {
            await withTaskGroup(of: ScrapeResult.self) { group in
                for target in targets {
                    group.addTask { await coordinator.scrape(target: target, module: module(), deadline: deadline) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
    }

    /// Four requests arrive while the first one's collection is held in the scraper: they join it, and the one
    /// collection answers all five.
    @Test func concurrentScrapesOfOneTargetShareOneCollection() async {
        let (clock, scraper, metrics, coordinator) = Self.held(maxConcurrent: 8)
        let target = ScrapeTarget(host: "10.0.0.1", port: 623)
        let deadline = clock.now + .seconds(120)
        let scrapes = Self.atOnce(coordinator, Array(repeating: target, count: 5), deadline: deadline)
        let sharedLine = "ipmi_exporter_scrapes_shared_total 4\n"
        // The first request's collection has entered the scraper (its task may start after the others joined).
        #expect(
            await eventually {
                PrometheusText.render(metrics.families()).contains(sharedLine) && !scraper.calls.isEmpty
            })
        #expect(scraper.calls.count == 1 && scraper.running == 1)
        scraper.release()
        let results = await scrapes.value
        #expect(scraper.calls.count == 1)
        #expect(results.count == 5)
        #expect(results.filter(\.shared).count == 4)
        #expect(results.allSatisfy { $0.outcome == .success })
        #expect(results.allSatisfy { PrometheusText.render($0.families).contains("ipmi_temperature_celsius 623") })
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains(sharedLine))
        #expect(text.contains("ipmi_exporter_scrapes_total{module=\"default\",outcome=\"success\"} 1\n"))

        // Once finished, the next scrape collects again.
        _ = await coordinator.scrape(target: target, module: module(), deadline: clock.now + .seconds(120))
        #expect(scraper.calls.count == 2)
    }

    @Test func differentTargetsOrModulesAreCollectedSeparately() async {
        let scraper = FakeScraper()
        scraper.hold()
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 8, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let deadline = ContinuousClock.now + .seconds(120)
        async let a = coordinator.scrape(target: ScrapeTarget(host: "a"), module: module(), deadline: deadline)
        async let b = coordinator.scrape(target: ScrapeTarget(host: "b"), module: module(), deadline: deadline)
        async let c = coordinator.scrape(target: ScrapeTarget(host: "a"), module: module("other"), deadline: deadline)
        // All three enter the scraper before any is let go: they run side by side.
        #expect(await eventually { scraper.calls.count == 3 })
        scraper.release()
        let results = await [a, b, c]
        #expect(scraper.calls.count == 3)
        #expect(scraper.maxRunning == 3)
        #expect(results.allSatisfy { !$0.shared })
    }

    /// Six collections with two slots: two run while the other four wait for a slot, and never more than two at once.
    @Test func boundsConcurrentCollections() async {
        let (clock, scraper, _, coordinator) = Self.held(maxConcurrent: 2)
        let deadline = clock.now + .seconds(120)
        let scrapes = Self.atOnce(coordinator, (0..<6).map { ScrapeTarget(host: "h\($0)") }, deadline: deadline)
        #expect(await eventually { scraper.calls.count == 2 && coordinator.slots.waiting == 4 })
        #expect(scraper.running == 2)
        scraper.release()
        #expect(await scrapes.value.allSatisfy { $0.outcome == .success })
        #expect(scraper.calls.count == 6)
        #expect(scraper.maxRunning == 2)
        #expect(coordinator.slots.waiting == 0)
    }

    /// The deadline is a timer of the coordinator's clock. A collection still running at the deadline: the caller is
    /// answered when that clock reaches the deadline, not before, with every collector down, and the abandoned collection is cancelled and counted as a timeout.
    @Test func answersAtTheDeadlineWithCollectorsDown() async {
        let (clock, scraper, metrics, coordinator) = Self.held(maxConcurrent: 4)
        let answer = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "slow"), module: module(), deadline: clock.now + .milliseconds(200))
        }
        // The collection has started and the caller waits on its deadline timer.
        #expect(await eventually { scraper.calls.count == 1 && clock.pending == 1 })
        clock.advance(by: .milliseconds(199))
        // Still waiting: an answered caller cancels its timer.
        #expect(clock.pending == 1)
        clock.advance(by: .milliseconds(1))
        let result = await answer.value
        #expect(result.outcome == .timeout)
        let text = PrometheusText.render(result.families)
        #expect(
            text.hasPrefix(
                "# HELP ipmi_up \(ScrapeMetricNames.upHelp)\n# TYPE ipmi_up gauge\n"
                    + "ipmi_up{collector=\"ipmi\"} 0\nipmi_up{collector=\"bmc\"} 0\n"
                    + "# HELP ipmi_scrape_duration_seconds \(ScrapeMetricNames.durationHelp)\n"
                    + "# TYPE ipmi_scrape_duration_seconds gauge\nipmi_scrape_duration_seconds "), "\(text)")
        // The time on the coordinator's clock from the request to its answer.
        #expect(text.hasSuffix("\nipmi_scrape_duration_seconds 0.2\n"), "\(text)")
        // The abandoned collection is cancelled (the held scrape sees it) ...
        #expect(await eventually { scraper.cancelled == 1 })
        #expect(scraper.calls.count == 1)
        // ... and counted when it has returned, a moment after the scraper saw the cancellation.
        let timeoutLine = "ipmi_exporter_scrapes_total{module=\"default\",outcome=\"timeout\"} 1"
        #expect(await eventually { PrometheusText.render(metrics.families()).contains(timeoutLine) })
        scraper.release()
    }

    /// A targets list of fifty: all fifty collections are in the scraper at once before any of them returns.
    @Test func fiftyTargetsAreCollectedConcurrently() async {
        let (clock, scraper, _, coordinator) = Self.held(maxConcurrent: 64)
        let deadline = clock.now + .seconds(120)
        let entries = (0..<50).map { index in
            (
                config: TargetConfig(name: "bmc\(index)", target: ScrapeTarget(host: "bmc\(index)"), module: "default"),
                module: module(collectors: [.ipmi]), deadline: deadline
            )
        }
        let collecting = Task { await coordinator.scrapeAll(entries) }
        // One after the other, the first held collection would keep the other 49 out of the scraper.
        #expect(await eventually { scraper.calls.count == 50 })
        #expect(scraper.running == 50)
        scraper.release()
        let families = await collecting.value
        #expect(scraper.calls.count == 50)
        #expect(scraper.maxRunning == 50)
        let up = families.filter { $0.name == "ipmi_up" }.flatMap(\.samples)
        #expect(up.count == 50)
        #expect(up.allSatisfy { $0.value == 1 })
        #expect(Set(up.compactMap { $0.labels.first { $0.name == "target" }?.value }).count == 50)
    }

    /// One slot, held by a collection that ignores cancellation: a second request waits for the slot, is answered
    /// at its deadline, and its collection leaves the queue without reaching the scraper.
    @Test func aRequestWhoseDeadlinePassesWhileQueuedNeverReachesTheBMC() async {
        let (clock, scraper, metrics, coordinator) = Self.held(maxConcurrent: 1, ignoresCancellation: true)
        let first = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "a"), module: module(), deadline: clock.now + .seconds(120))
        }
        #expect(await eventually { scraper.calls.count == 1 })
        let second = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "b"), module: module(), deadline: clock.now + .milliseconds(100))
        }
        // Queued for the slot, both callers waiting on their deadline timers.
        #expect(await eventually { coordinator.slots.waiting == 1 && clock.pending == 2 })
        clock.advance(by: .milliseconds(100))
        #expect(await second.value.outcome == .timeout)
        // Its collection has ended (counted) while the slot is still held, so it can no longer reach the scraper.
        let timeoutLine = "ipmi_exporter_scrapes_total{module=\"default\",outcome=\"timeout\"} 1\n"
        #expect(await eventually { PrometheusText.render(metrics.families()).contains(timeoutLine) })
        #expect(coordinator.slots.waiting == 0)
        scraper.release()
        #expect(await first.value.outcome == .success)
        #expect(scraper.calls.map(\.target.host) == ["a"])
    }

    /// A queued collection that a later joiner still waits for gets its slot after its deadline (the first caller's):
    /// it is answered down without being started.
    @Test func aCollectionThatGetsItsSlotAfterItsDeadlineIsNotStarted() async {
        let (clock, scraper, metrics, coordinator) = Self.held(maxConcurrent: 1)
        let first = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "a"), module: module(), deadline: clock.now + .seconds(120))
        }
        #expect(await eventually { scraper.calls.count == 1 })
        let start = clock.now
        let early = Task {
            await coordinator.scrape(target: ScrapeTarget(host: "b"), module: module(), deadline: start + .seconds(1))
        }
        #expect(await eventually { coordinator.slots.waiting == 1 && clock.pending == 2 })
        let late = Task {
            await coordinator.scrape(target: ScrapeTarget(host: "b"), module: module(), deadline: start + .seconds(5))
        }
        #expect(await eventually { clock.pending == 3 })
        clock.advance(by: .seconds(1))
        #expect(await early.value.outcome == .timeout)
        // The joiner still waits, so the collection stays queued.
        #expect(coordinator.slots.waiting == 1)
        scraper.release()
        let joined = await late.value
        #expect(joined.shared)
        #expect(joined.outcome == .timeout)
        #expect(PrometheusText.render(joined.families).contains("ipmi_up{collector=\"ipmi\"} 0\n"))
        #expect(await first.value.outcome == .success)
        #expect(scraper.calls.map(\.target.host) == ["a"])
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_scrapes_total{module=\"default\",outcome=\"timeout\"} 1\n"), "\(text)")
    }

    /// A joiner with an earlier deadline than the first caller's is answered when the clock reaches its deadline,
    /// not before, and the shared collection runs on, once, for the first caller.
    @Test func aJoinerWithAnEarlierDeadlineIsAnsweredOnTime() async {
        let (clock, scraper, metrics, coordinator) = Self.held(maxConcurrent: 4)
        let patient = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "a"), module: module(), deadline: clock.now + .seconds(120))
        }
        #expect(await eventually { scraper.calls.count == 1 && clock.pending == 1 })
        let hasty = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "a"), module: module(), deadline: clock.now + .milliseconds(100))
        }
        // Joined: a deadline timer of its own beside the first caller's, and no second collection.
        #expect(await eventually { clock.pending == 2 })
        #expect(PrometheusText.render(metrics.families()).contains("ipmi_exporter_scrapes_shared_total 1\n"))
        #expect(scraper.calls.count == 1)
        clock.advance(by: .milliseconds(99))
        #expect(clock.pending == 2)
        clock.advance(by: .milliseconds(1))
        let answer = await hasty.value
        #expect(answer.outcome == .timeout)
        #expect(answer.shared)
        // The first caller still waits, so the shared collection is not cancelled.
        #expect(clock.pending == 1)
        #expect(scraper.running == 1)
        scraper.release()
        #expect(await patient.value.outcome == .success)
        #expect(scraper.cancelled == 0)
        #expect(scraper.calls.count == 1)
    }

    @Test func scrapeAllLabelsEachTargetAndKeepsConfigOrder() async {
        let coordinator = ScrapeCoordinator(
            scraper: FakeScraper(), maxConcurrent: 4, metrics: ExporterMetrics(processMetrics: { [] }),
            logger: quietLogger)
        let deadline = ContinuousClock.now + .seconds(120)
        let entries = [
            (
                config: TargetConfig(name: "b:700", target: ScrapeTarget(host: "b", port: 700), module: "default"),
                module: module(collectors: [.ipmi]), deadline: deadline
            ),
            (
                config: TargetConfig(name: "a", target: ScrapeTarget(host: "a"), module: "default"),
                module: module(collectors: [.ipmi]), deadline: deadline
            ),
        ]
        let text = PrometheusText.render(await coordinator.scrapeAll(entries))
        let expected = """
            # HELP ipmi_temperature_celsius Temperature.
            # TYPE ipmi_temperature_celsius gauge
            ipmi_temperature_celsius{target="b:700"} 700
            ipmi_temperature_celsius{target="a"} 623
            # HELP ipmi_up \(ScrapeMetricNames.upHelp)
            # TYPE ipmi_up gauge
            ipmi_up{target="b:700",collector="ipmi"} 1
            ipmi_up{target="a",collector="ipmi"} 1
            # HELP ipmi_scrape_duration_seconds \(ScrapeMetricNames.durationHelp)
            # TYPE ipmi_scrape_duration_seconds gauge
            ipmi_scrape_duration_seconds{target="b:700"} 0
            ipmi_scrape_duration_seconds{target="a"} 0

            """
        #expect(text == expected)
    }

    @Test func aTargetsListIsCollectedOffTheHTTPLoopWhileASingleTargetStaysOnIt() async throws {
        // A targets list spreads its collections' work over the cores; a single target's stays with its request.
        let seen = NIOLockedValueBox([String: Bool]())
        let httpLoop = MultiThreadedEventLoopGroup.singleton.next()
        let scraper = ClosureScraper { request in
            let onHTTPLoop = MultiThreadedEventLoopGroup.currentEventLoop === httpLoop
            seen.withLockedValue { $0[request.target.host] = onHTTPLoop }
            return ScrapeReport(families: [], collectors: [CollectorStatus(.ipmi, up: true)], duration: .zero)
        }
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 4, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let deadline = ContinuousClock.now + .seconds(120)
        let entries = ["a", "b", "c"].map { host in
            (
                config: TargetConfig(name: host, target: ScrapeTarget(host: host), module: "default"),
                module: module(collectors: [.ipmi]), deadline: deadline
            )
        }
        // As the HTTP handler runs a request: a task preferring the connection's loop.
        let onLoop = EventLoopTaskExecutor(eventLoop: httpLoop)
        await Task(executorPreference: onLoop) {
            _ = await coordinator.scrapeAll(entries)
            _ = await coordinator.scrape(
                target: ScrapeTarget(host: "single"), module: module(collectors: [.ipmi]), deadline: deadline)
        }.value
        #expect(seen.withLockedValue { $0 } == ["a": false, "b": false, "c": false, "single": true])
    }

    @Test(
        arguments: [
            (nil, 10_000, 10_000), ("10", 20_000, 9_500), ("10", 5_000, 5_000), ("0.8", 20_000, 400),
            ("garbage", 3_000, 3_000), ("-1", 3_000, 3_000), (" 4.5 ", 60_000, 4_000), ("inf", 7_000, 7_000),
            // What anyone who reaches the port can send: clamped (the module timeout caps it), never converted
            // unchecked (1e16 and 1e308 used to trap the whole process).
            ("1e16", 7_000, 7_000), ("1e308", 7_000, 7_000), ("1e300", 3_600_000, 3_600_000), ("nan", 7_000, 7_000),
            ("-inf", 7_000, 7_000), ("-1e308", 7_000, 7_000), ("9223372036854775807", 7_000, 7_000),
            ("18446744073709551615", 7_000, 7_000), ("0", 7_000, 7_000),
        ] as [(String?, Int, Int)])
    func deadlineFromPrometheusHeader(header: String?, moduleTimeoutMs: Int, expectedMs: Int) {
        let now = ContinuousClock.now
        let deadline = ScrapeCoordinator.deadline(
            now: now, scrapeTimeoutHeader: header, offset: .milliseconds(500),
            moduleTimeout: .milliseconds(moduleTimeoutMs))
        #expect(deadline - now == .milliseconds(expectedMs))
    }

    @Test func outcomeFollowsTheCollectors() {
        func report(_ values: [Bool]) -> ScrapeReport {
            ScrapeReport(
                families: [], collectors: zip(CollectorName.allCases, values).map { CollectorStatus($0, up: $1) },
                duration: .zero)
        }
        #expect(report([true, true]).outcome == .success)
        #expect(report([true, false]).outcome == .partial)
        #expect(report([false, false]).outcome == .failure)
        #expect(report([]).outcome == .success)  // nothing asked, nothing failed
        #expect(ScrapeReport.allDown([.ipmi, .bmc], reason: "timeout", duration: .zero).outcome == .failure)
    }

    /// The exposition of a report: the collectors' families, then `ipmi_up` in the module's order, then the duration.
    @Test func aReportRendersAsIPMIExporterDoes() {
        let report = ScrapeReport(
            families: [.gauge("ipmi_chassis_power_state", help: "Power.", value: 1)],
            collectors: [CollectorStatus(.chassis, up: true), CollectorStatus(.ipmi, up: false, reason: "timeout")],
            duration: .milliseconds(1500))
        #expect(report.down == [.ipmi])
        #expect(report.collectors[0].reason == nil)
        #expect(
            PrometheusText.render(report.exposition) == """
                # HELP ipmi_chassis_power_state Power.
                # TYPE ipmi_chassis_power_state gauge
                ipmi_chassis_power_state 1
                # HELP ipmi_up \(ScrapeMetricNames.upHelp)
                # TYPE ipmi_up gauge
                ipmi_up{collector="chassis"} 1
                ipmi_up{collector="ipmi"} 0
                # HELP ipmi_scrape_duration_seconds \(ScrapeMetricNames.durationHelp)
                # TYPE ipmi_scrape_duration_seconds gauge
                ipmi_scrape_duration_seconds 1.5

                """)
    }
}
