import IPMIClient
import NIOConcurrencyHelpers
import NIOPosix
import PrometheusText
import Testing

@testable import ExporterScrape
@testable import IPMIExporter

@Suite struct ScrapeCoordinatorTests {
    @Test func concurrentScrapesOfOneTargetShareOneCollection() async {
        let scraper = FakeScraper(delay: .milliseconds(200))
        let metrics = ExporterMetrics(processMetrics: { [] })
        let coordinator = ScrapeCoordinator(scraper: scraper, maxConcurrent: 8, metrics: metrics, logger: quietLogger)
        let target = ScrapeTarget(host: "10.0.0.1", port: 623)
        let deadline = ContinuousClock.now + .seconds(120)
        let results = await withTaskGroup(of: ScrapeResult.self) { group in
            for _ in 0..<5 {
                group.addTask { await coordinator.scrape(target: target, module: module(), deadline: deadline) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(scraper.calls.count == 1)
        #expect(results.count == 5)
        #expect(results.filter(\.shared).count == 4)
        #expect(results.allSatisfy { $0.outcome == .success })
        #expect(results.allSatisfy { PrometheusText.render($0.families).contains("ipmi_temperature_celsius 623") })
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("ipmi_exporter_scrapes_shared_total 4\n"))
        #expect(text.contains("ipmi_exporter_scrapes_total{module=\"default\",outcome=\"success\"} 1\n"))

        // Once finished, the next scrape collects again.
        _ = await coordinator.scrape(target: target, module: module(), deadline: ContinuousClock.now + .seconds(120))
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

    @Test func boundsConcurrentCollections() async {
        let scraper = FakeScraper(delay: .milliseconds(100))
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 2, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let deadline = ContinuousClock.now + .seconds(120)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<6 {
                group.addTask {
                    let result = await coordinator.scrape(
                        target: ScrapeTarget(host: "h\(index)"), module: module(), deadline: deadline)
                    #expect(result.outcome == .success)
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(scraper.calls.count == 6)
        #expect(scraper.maxRunning == 2)
        #expect(elapsed >= .milliseconds(290), "6 collections of 100 ms two at a time take at least 300 ms")
    }

    @Test func answersAtTheDeadlineWithCollectorsDown() async {
        let scraper = FakeScraper(delay: .seconds(60))
        let metrics = ExporterMetrics(processMetrics: { [] })
        let coordinator = ScrapeCoordinator(scraper: scraper, maxConcurrent: 4, metrics: metrics, logger: quietLogger)
        let start = ContinuousClock.now
        let result = await coordinator.scrape(
            target: ScrapeTarget(host: "slow"), module: module(), deadline: start + .milliseconds(200))
        let elapsed = ContinuousClock.now - start
        #expect(result.outcome == .timeout)
        #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(30))
        let text = PrometheusText.render(result.families)
        #expect(
            text.hasPrefix(
                "# HELP ipmi_up \(ScrapeMetricNames.upHelp)\n# TYPE ipmi_up gauge\n"
                    + "ipmi_up{collector=\"ipmi\"} 0\nipmi_up{collector=\"bmc\"} 0\n"
                    + "# HELP ipmi_scrape_duration_seconds \(ScrapeMetricNames.durationHelp)\n"
                    + "# TYPE ipmi_scrape_duration_seconds gauge\nipmi_scrape_duration_seconds "), "\(text)")
        let duration = text.split(separator: "\n").last.flatMap { Double($0.split(separator: " ")[1]) }
        #expect(duration != nil)
        // The abandoned collection is cancelled and counted as a timeout.
        _ = await eventually { scraper.cancelled == scraper.calls.count }
        // (On a loaded machine the collection may not even have started before its deadline.)
        #expect(scraper.cancelled == scraper.calls.count)
        // Counted when the cancelled collection has returned, a moment after the scraper saw the cancellation.
        let timeoutLine = "ipmi_exporter_scrapes_total{module=\"default\",outcome=\"timeout\"} 1"
        #expect(await eventually { PrometheusText.render(metrics.families()).contains(timeoutLine) })
    }

    /// The deadline is a timer of the coordinator's clock: nothing times out until that clock reaches it.
    @Test func theDeadlineIsOnTheCoordinatorsClock() async {
        let clock = ManualClock()
        let scraper = FakeScraper()
        scraper.hold()
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 4, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger,
            clock: clock)
        let answer = Task {
            await coordinator.scrape(
                target: ScrapeTarget(host: "held"), module: module(), deadline: clock.now + .seconds(10))
        }
        #expect(await eventually { scraper.calls.count == 1 && clock.pending == 1 })
        clock.advance(by: .milliseconds(9_999))
        #expect(clock.pending == 1)
        clock.advance(by: .milliseconds(1))
        let result = await answer.value
        #expect(result.outcome == .timeout)
        let text = PrometheusText.render(result.families)
        #expect(text.contains("ipmi_up{collector=\"ipmi\"} 0\nipmi_up{collector=\"bmc\"} 0\n"), "\(text)")
        #expect(text.hasSuffix("ipmi_scrape_duration_seconds 10\n"), "\(text)")
        scraper.release()
    }

    @Test func fiftyTargetsAreCollectedConcurrently() async {
        let scraper = FakeScraper(delay: .milliseconds(500))
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 64, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let deadline = ContinuousClock.now + .seconds(120)
        let entries = (0..<50).map { index in
            (
                config: TargetConfig(name: "bmc\(index)", target: ScrapeTarget(host: "bmc\(index)"), module: "default"),
                module: module(collectors: [.ipmi]), deadline: deadline
            )
        }
        let start = ContinuousClock.now
        let families = await coordinator.scrapeAll(entries)
        let elapsed = ContinuousClock.now - start
        #expect(scraper.calls.count == 50)
        // One after the other they would take 25 s.
        #expect(elapsed < .seconds(20), "50 collections of 500 ms at once took \(elapsed)")
        #expect(scraper.maxRunning > 1)
        let up = families.filter { $0.name == "ipmi_up" }.flatMap(\.samples)
        #expect(up.count == 50)
        #expect(up.allSatisfy { $0.value == 1 })
        #expect(Set(up.compactMap { $0.labels.first { $0.name == "target" }?.value }).count == 50)
    }

    @Test func aRequestWhoseDeadlinePassesWhileQueuedNeverReachesTheBMC() async {
        let scraper = FakeScraper(delay: .milliseconds(800), ignoresCancellation: true)
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 1, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let now = ContinuousClock.now
        async let first = coordinator.scrape(
            target: ScrapeTarget(host: "a"), module: module(), deadline: now + .seconds(120))
        #expect(await eventually { scraper.calls.count == 1 })
        let second = await coordinator.scrape(
            target: ScrapeTarget(host: "b"), module: module(), deadline: ContinuousClock.now + .milliseconds(100))
        #expect(second.outcome == .timeout)
        #expect(await first.outcome == .success)
        try? await Task.sleep(for: .milliseconds(100))
        #expect(scraper.calls.map(\.target.host) == ["a"])
    }

    @Test func aJoinerWithAnEarlierDeadlineIsAnsweredOnTime() async {
        let scraper = FakeScraper(delay: .seconds(5))
        let coordinator = ScrapeCoordinator(
            scraper: scraper, maxConcurrent: 4, metrics: ExporterMetrics(processMetrics: { [] }), logger: quietLogger)
        let now = ContinuousClock.now
        async let patient = coordinator.scrape(
            target: ScrapeTarget(host: "a"), module: module(), deadline: now + .seconds(120))
        #expect(await eventually { scraper.calls.count == 1 })
        let hasty = await coordinator.scrape(
            target: ScrapeTarget(host: "a"), module: module(), deadline: ContinuousClock.now + .milliseconds(100))
        #expect(hasty.outcome == .timeout)
        #expect(hasty.shared)
        // The first caller still waits, so the shared collection is not cancelled.
        #expect(await patient.outcome == .success)
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
