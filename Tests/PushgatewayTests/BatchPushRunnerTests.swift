import Pushgateway
import Synchronization
import Testing

/// A stand-in for the collectors: fixed bodies per target, some targets down, and a record of how
/// many scrapes overlapped.
final class FakeScraper: BatchScraper {
    let down: Set<String>
    let delay: Duration
    private let state = Mutex<(inFlight: Int, maxInFlight: Int, closed: Bool)>((0, 0, false))

    init(down: Set<String> = [], delay: Duration = .milliseconds(20)) {
        self.down = down
        self.delay = delay
    }

    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var closed: Bool { state.withLock { $0.closed } }

    func scrape(target: String, module: String, timeout: Duration?) async -> BatchScrapeResult {
        state.withLock {
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
        }
        try? await Task.sleep(for: delay)
        state.withLock { $0.inFlight -= 1 }
        if down.contains(target) {
            return BatchScrapeResult(body: "ipmi_up 0\n", up: false, error: "no answer from \(target)")
        }
        let number = target.filter(\.isNumber)
        return BatchScrapeResult(body: "ipmi_up 1\nipmi_temperature_celsius{name=\"CPU\"} \(number)\n", up: true)
    }

    func close() async {
        state.withLock { $0.closed = true }
    }
}

@Suite struct BatchPushRunnerTests {
    @Test func everyTargetIsItsOwnGroupAndFailuresArePushedToo() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }
        let scraper = FakeScraper(down: ["bmc-3:623"])
        let targets = (1...6).map { BatchTarget("bmc-\($0):623", module: "default") }
        let runner = BatchPushRunner(
            client: client, scraper: scraper, job: "ipmi", scrapeTimeout: .seconds(1),
            concurrency: 2)

        var seen: [String] = []
        var counts: [Int] = []
        let summary = await runner.run(targets: targets) { outcome, completed in
            seen.append(outcome.target)
            counts.append(completed)
        }
        await scraper.close()

        #expect(Set(seen) == Set(targets.map(\.name)))
        #expect(counts == [1, 2, 3, 4, 5, 6])
        #expect(summary.targets == 6)
        #expect(summary.failed == 1)
        #expect(summary.scrapeFailed == 1)
        #expect(summary.pushFailed == 0)
        #expect(summary.exitCode == 1)
        #expect(scraper.maxInFlight == 2)

        let groups = try gateway.groups()
        #expect(groups.count == 6)
        let down = try #require(groups.first { $0.labels == ["job": "ipmi", "instance": "bmc-3:623"] })
        #expect(down.value("ipmi_up") == 0)
        #expect(down.metrics["ipmi_temperature_celsius"] == nil)
        let up = try #require(groups.first { $0.labels == ["job": "ipmi", "instance": "bmc-5:623"] })
        #expect(up.value("ipmi_up") == 1)
        #expect(up.value("ipmi_temperature_celsius") == 5623)
    }

    @Test func allGoodMeansExitZero() async throws {
        let gateway = try await PushgatewayProcess.start()
        defer { gateway.stop() }
        let client = try makeClient(gateway.url)
        defer { client.shutdown() }
        let runner = BatchPushRunner(
            client: client, scraper: FakeScraper(), job: "ipmi", scrapeTimeout: .seconds(1),
            concurrency: 8)
        let summary = await runner.run(targets: ["bmc-1", "bmc-2", "bmc-3"].map { BatchTarget($0, module: "default") })
        #expect(summary.exitCode == 0)
        #expect(summary.succeeded == 3)
    }

    @Test func pushFailuresCountAsFailedTargets() async throws {
        let port = try freeLoopbackPort()
        let client = try makeClient("http://127.0.0.1:\(port)", retry: RetryPolicy(maxRetries: 0))
        defer { client.shutdown() }
        let runner = BatchPushRunner(
            client: client, scraper: FakeScraper(), job: "ipmi", scrapeTimeout: .seconds(1),
            concurrency: 4)
        var lines: [String] = []
        let summary = await runner.run(targets: ["a", "b"].map { BatchTarget($0, module: "default") }) { outcome, _ in
            lines.append(BatchLogfmt.line(for: outcome))
        }
        #expect(summary.pushFailed == 2)
        #expect(summary.exitCode == 1)
        #expect(lines.allSatisfy { $0.hasPrefix("level=error") && $0.contains("scrape=ok push=failed attempts=1") })
    }
}
