import Logging
import NIOConcurrencyHelpers
import PrometheusText

/// What a caller of ``ScrapeCoordinator`` gets back.
public struct ScrapeResult: Sendable {
    public var families: [MetricFamily]
    public var outcome: ScrapeOutcome
    /// True when this request joined a collection another request had started.
    public var shared: Bool

    public init(families: [MetricFamily], outcome: ScrapeOutcome, shared: Bool) {
        self.families = families
        self.outcome = outcome
        self.shared = shared
    }
}

/// Runs collections through a ``Scraper`` under three rules:
///
/// - **Single flight.** Requests for the same target and module configuration while a collection is running
///   join it instead of starting another, so a BMC never sees two collections from this process at once. A
///   joiner gets the running collection's result, which works to the first requester's deadline.
/// - **Bounded.** At most `maxConcurrent` collections run at once over all targets; the rest wait in FIFO
///   order, and a request whose deadline passes while it waits is answered without contacting the BMC.
/// - **Deadline.** Every caller is answered by its deadline (see ``deadline(now:scrapeTimeoutHeader:offset:moduleTimeout:)``).
///   If the collection has not returned by then, the caller gets `ipmi_up{collector} 0` for each of the
///   module's collectors; when the last caller has gone, the collection is cancelled. Its slot is freed only
///   when it really ends, so the bound holds even for a scraper that ignores cancellation.
public actor ScrapeCoordinator {
    private struct Key: Hashable {
        var target: ScrapeTarget
        var module: ModuleConfig
    }

    private final class Flight: Sendable {
        let task: Task<[MetricFamily], Never>
        /// Callers still waiting, and whether the last one to leave did so because of its deadline.
        let callers = NIOLockedValueBox((waiting: 1, abandonedAtDeadline: false))

        init(task: Task<[MetricFamily], Never>) {
            self.task = task
        }
    }

    private let scraper: any Scraper
    private let slots: AsyncSlots
    private let metrics: ExporterMetrics
    private let logger: Logger
    private var flights: [Key: Flight] = [:]

    public init(scraper: any Scraper, maxConcurrent: Int, metrics: ExporterMetrics, logger: Logger) {
        self.scraper = scraper
        self.slots = AsyncSlots(limit: maxConcurrent)
        self.metrics = metrics
        self.logger = logger
    }

    /// The instant a scrape must be answered by: `X-Prometheus-Scrape-Timeout-Seconds` less `offset` (so the
    /// answer travels back before Prometheus gives up), but never less than half the header's value, and
    /// never later than `moduleTimeout`. Without a usable header the module timeout applies alone.
    public static func deadline(
        now: ContinuousClock.Instant, scrapeTimeoutHeader: String?, offset: Duration, moduleTimeout: Duration
    ) -> ContinuousClock.Instant {
        var budget = moduleTimeout
        if let header = scrapeTimeoutHeader, let seconds = Double(header.trimmingSpaces), seconds.isFinite,
            seconds > 0
        {
            let given = Duration.milliseconds(Int64((seconds * 1000).rounded(.down)))
            let afterOffset = given - offset
            budget = min(budget, max(afterOffset, given / 2))
        }
        return now + budget
    }

    /// Collects `target` with `module`, sharing a running collection of the same pair, answered by `deadline`.
    public func scrape(
        target: ScrapeTarget, module: ModuleConfig, deadline: ContinuousClock.Instant
    ) async -> ScrapeResult {
        let key = Key(target: target, module: module)
        let flight: Flight
        let shared: Bool
        if let running = flights[key] {
            running.callers.withLockedValue { $0.waiting += 1 }
            flight = running
            shared = true
            metrics.scrapeShared()
        } else {
            flight = start(key: key, deadline: deadline)
            flights[key] = flight
            shared = false
        }
        let families = await Self.wait(for: flight, until: deadline)
        if let families {
            return ScrapeResult(families: families, outcome: Self.outcome(of: families), shared: shared)
        }
        let cancelled = Task.isCancelled
        let last = flight.callers.withLockedValue { callers in
            callers.waiting -= 1
            if callers.waiting == 0 { callers.abandonedAtDeadline = !cancelled }
            return callers.waiting == 0
        }
        if last {
            flight.task.cancel()
            if flights[key] === flight { flights[key] = nil }
        }
        if cancelled {
            return ScrapeResult(families: [], outcome: .cancelled, shared: shared)
        }
        logger.warning(
            "Collection missed its deadline", metadata: ["target": "\(target)", "module": "\(module.name)"])
        return ScrapeResult(
            families: [ScrapeMetricNames.upFamily(module.collectors.map { ($0, false) })], outcome: .timeout,
            shared: shared)
    }

    /// Scrapes every listed target at once; each series gets a first label `target` with the configured name.
    /// Families come back grouped by name across targets, in the order of first appearance.
    public nonisolated func scrapeAll(
        _ targets: [(config: TargetConfig, module: ModuleConfig, deadline: ContinuousClock.Instant)]
    ) async -> [MetricFamily] {
        let results = await withTaskGroup(of: (Int, [MetricFamily]).self) { group in
            for (index, entry) in targets.enumerated() {
                group.addTask {
                    let result = await self.scrape(
                        target: entry.config.target, module: entry.module, deadline: entry.deadline)
                    return (index, result.families.prependingLabel(Label("target", entry.config.name)))
                }
            }
            var byIndex = [[MetricFamily]](repeating: [], count: targets.count)
            for await (index, families) in group { byIndex[index] = families }
            return byIndex
        }
        return results.flatMap { $0 }
    }

    private func start(key: Key, deadline: ContinuousClock.Instant) -> Flight {
        let request = ScrapeRequest(target: key.target, module: key.module, deadline: deadline)
        let scraper = self.scraper
        let slots = self.slots
        let metrics = self.metrics
        // The flight is referenced from its own task only through this box, set right after creation.
        let flightBox = NIOLockedValueBox<Flight?>(nil)
        // Created inside the actor, so the task body is actor-isolated; it suspends while the scraper runs.
        let task = Task<[MetricFamily], Never> {
            let families = await Self.collect(
                request, scraper: scraper, slots: slots, metrics: metrics,
                abandonedAtDeadline: {
                    flightBox.withLockedValue { $0?.callers.withLockedValue(\.abandonedAtDeadline) } ?? true
                })
            self.finished(key: key, flight: flightBox.withLockedValue { $0 })
            return families
        }
        let flight = Flight(task: task)
        flightBox.withLockedValue { $0 = flight }
        return flight
    }

    /// Called by a flight's task when it ends, so later requests start a new collection. The flight may
    /// already have been replaced by a newer one if every caller had left it.
    private func finished(key: Key, flight: Flight?) {
        if let flight, flights[key] === flight {
            flights[key] = nil
        }
    }

    private static func collect(
        _ request: ScrapeRequest, scraper: any Scraper, slots: AsyncSlots, metrics: ExporterMetrics,
        abandonedAtDeadline: @Sendable () -> Bool
    ) async -> [MetricFamily] {
        let clock = ContinuousClock()
        let start = clock.now
        let module = request.module
        guard await slots.acquire() else { return [] }
        defer { slots.release() }
        metrics.scrapeStarted()
        guard clock.now < request.deadline else {
            // The deadline passed while waiting for a slot: do not start work on the BMC.
            metrics.scrapeFinished(module: module.name, outcome: .timeout, duration: clock.now - start)
            return [ScrapeMetricNames.upFamily(module.collectors.map { ($0, false) })]
        }
        let families = await scraper.scrape(request)
        var outcome = Self.outcome(of: families)
        if Task.isCancelled {
            outcome = abandonedAtDeadline() ? .timeout : .cancelled
        }
        metrics.scrapeFinished(module: module.name, outcome: outcome, duration: clock.now - start)
        return families
    }

    /// The flight's families, or nil when `deadline` came first or the waiting task was cancelled.
    private static func wait(for flight: Flight, until deadline: ContinuousClock.Instant) async -> [MetricFamily]? {
        await withTaskGroup(of: [MetricFamily]?.self) { group in
            group.addTask { await flight.task.value }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Success if every `ipmi_up` sample is 1, failure if all are 0, partial otherwise; a result without
    /// `ipmi_up` counts as success if it has any samples at all.
    static func outcome(of families: [MetricFamily]) -> ScrapeOutcome {
        let up = families.filter { $0.name == ScrapeMetricNames.up }.flatMap(\.samples).map(\.value)
        if up.isEmpty { return families.contains { !$0.samples.isEmpty } ? .success : .failure }
        if up.allSatisfy({ $0 == 1 }) { return .success }
        if up.allSatisfy({ $0 != 1 }) { return .failure }
        return .partial
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
