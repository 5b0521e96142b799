import IPMI
import IPMIClient
import IPMIExporter
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
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
///   order, and a request whose deadline passes while it waits is answered without contacting the BMC. A target
///   that needs a cold start first waits for it in ``Scraper/prepare(_:)``, before taking a slot (the cold starts
///   have their own bound, ``ColdStartQueue``), so warm targets never queue behind cold ones.
/// - **Deadline.** Every caller is answered by its deadline (see ``deadline(now:scrapeTimeoutHeader:offset:moduleTimeout:)``).
///   If the collection has not returned by then, the caller gets ``ScrapeReport/allDown(_:reason:duration:)``
///   (`ipmi_up{collector} 0` for each of the module's collectors); when the last caller has gone, the collection is
///   cancelled. Its slot is freed only when it really ends, so the bound holds even for a scraper that ignores
///   cancellation. The deadline is a timer of the coordinator's ``ExporterClock``.
public actor ScrapeCoordinator {
    private struct Key: Hashable {
        var target: ScrapeTarget
        var module: ModuleConfig
    }

    /// What a collection produced and how it ended.
    private struct Collected: Sendable {
        var families: [MetricFamily]
        var outcome: ScrapeOutcome
    }

    /// One running collection and the callers waiting for it. Each caller waits with its own deadline, so
    /// the result is handed out through continuations rather than by awaiting the task, which a deadline
    /// could not interrupt.
    private final class Flight: Sendable {
        private struct State {
            var result: Collected?
            var waiters: [UInt64: CheckedContinuation<Collected?, Never>] = [:]
            var nextWaiter: UInt64 = 0
            /// Callers that have not yet been answered or given up; the first is counted at creation.
            var callers = 1
            var abandonedAtDeadline = false
        }

        private let state = NIOLockedValueBox(State())
        private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
        private let clock: any ExporterClock

        init(clock: any ExporterClock) {
            self.clock = clock
        }

        func attach(_ task: Task<Void, Never>) {
            self.task.withLockedValue { $0 = task }
        }

        /// Adds a caller, unless every caller has already given up and the collection is being cancelled.
        func tryJoin() -> Bool {
            state.withLockedValue { state in
                guard state.callers > 0 || state.result != nil else { return false }
                state.callers += 1
                return true
            }
        }

        var isAbandoned: Bool {
            state.withLockedValue { $0.callers == 0 && $0.result == nil }
        }

        var abandonedAtDeadline: Bool {
            state.withLockedValue { $0.abandonedAtDeadline }
        }

        func deliver(_ collected: Collected) {
            let waiters = state.withLockedValue { state in
                state.result = collected
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: collected) }
        }

        /// The families, or nil when `deadline` came first or the caller was cancelled. The last caller to
        /// give up cancels the collection.
        func wait(until deadline: ContinuousClock.Instant) async -> Collected? {
            let id = state.withLockedValue { state in
                state.nextWaiter += 1
                return state.nextWaiter
            }
            let timer = clock.schedule(at: deadline) { self.giveUp(id, atDeadline: true) }
            defer { timer.cancel() }
            let families = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Collected?, Never>) in
                    let immediate: Collected?? = state.withLockedValue { state in
                        if let result = state.result { return .some(result) }
                        if state.callers == 0 { return .some(nil) }  // every caller already gave up
                        state.waiters[id] = continuation
                        return .none
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                self.giveUp(id, atDeadline: false)
            }
            if families != nil {
                state.withLockedValue { $0.callers -= 1 }
            }
            return families
        }

        private func giveUp(_ id: UInt64, atDeadline: Bool) {
            let (waiter, last): (CheckedContinuation<Collected?, Never>?, Bool) = state.withLockedValue { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else { return (nil, false) }
                state.callers -= 1
                if state.callers == 0 { state.abandonedAtDeadline = atDeadline }
                return (waiter, state.callers == 0)
            }
            waiter?.resume(returning: nil)
            if last { task.withLockedValue { $0 }?.cancel() }
        }
    }

    private let scraper: any Scraper
    /// Not private: tests see how many collections wait for a slot.
    nonisolated let slots: AsyncSlots
    private let metrics: ExporterMetrics
    private let logger: Logger
    private let clock: any ExporterClock
    private var flights: [Key: Flight] = [:]

    public init(
        scraper: any Scraper, maxConcurrent: Int, metrics: ExporterMetrics, logger: Logger,
        clock: any ExporterClock = RealClock()
    ) {
        self.scraper = scraper
        self.slots = AsyncSlots(limit: maxConcurrent)
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
    }

    /// The instant a scrape must be answered by: `X-Prometheus-Scrape-Timeout-Seconds` less `offset` (so the
    /// answer travels back before Prometheus gives up), but never less than half the header's value, and
    /// never later than `moduleTimeout`. Without a usable header the module timeout applies alone.
    public static func deadline(
        now: ContinuousClock.Instant, scrapeTimeoutHeader: String?, offset: Duration, moduleTimeout: Duration
    ) -> ContinuousClock.Instant {
        var budget = moduleTimeout
        // Anyone who reaches the port sets this header: 1e16, 1e308 or NaN must neither trap nor matter. A value
        // above a day is taken as a day (the module timeout, at most an hour, caps the budget anyway).
        if let header = scrapeTimeoutHeader, let seconds = Double(header.trimmingSpaces), seconds > 0,
            let announced = TimeBounds.duration(clampingSeconds: seconds, to: .zero...Self.longestAnnouncedTimeout)
        {
            let given = Duration.milliseconds(TimeBounds.milliseconds(announced))
            let afterOffset = given - offset
            budget = min(budget, max(afterOffset, given / 2))
        }
        return now + budget
    }

    /// The longest `X-Prometheus-Scrape-Timeout-Seconds` taken as given; longer values are clamped to it.
    static let longestAnnouncedTimeout: Duration = .seconds(86_400)

    /// Collects `target` with `module`, sharing a running collection of the same pair, answered by `deadline`.
    public func scrape(
        target: ScrapeTarget, module: ModuleConfig, deadline: ContinuousClock.Instant
    ) async -> ScrapeResult {
        let started = clock.now
        let key = Key(target: target, module: module)
        let flight: Flight
        let shared: Bool
        if let running = flights[key], running.tryJoin() {
            flight = running
            shared = true
            metrics.scrapeShared()
        } else {
            flight = start(key: key, deadline: deadline)
            shared = false
        }
        if let collected = await flight.wait(until: deadline) {
            return ScrapeResult(families: collected.families, outcome: collected.outcome, shared: shared)
        }
        if Task.isCancelled {
            return ScrapeResult(families: [], outcome: .cancelled, shared: shared)
        }
        // Later requests must not join a collection that is being abandoned.
        if flight.isAbandoned, flights[key] === flight { flights[key] = nil }
        logger.warning(
            "Collection missed its deadline", metadata: ["target": "\(target)", "module": "\(module.name)"])
        let late = ScrapeReport.allDown(module.collectors, reason: "timeout", duration: clock.now - started)
        return ScrapeResult(families: late.exposition, outcome: .timeout, shared: shared)
    }

    /// Scrapes every listed target at once; each series gets a first label `target` with the configured name.
    /// Families come back grouped by name across targets, in the order of first appearance.
    public nonisolated func scrapeAll(
        _ targets: [(config: TargetConfig, module: ModuleConfig, deadline: ContinuousClock.Instant)]
    ) async -> [MetricFamily] {
        let results = await withTaskGroup(of: (Int, [MetricFamily]).self) { group in
            for (index, entry) in targets.enumerated() {
                // Off the HTTP connection's event loop: the work of a whole targets list outside the sessions' own
                // loops (decoding, rendering) would otherwise all run on that one thread.
                group.addTask(executorPreference: globalConcurrentExecutor) {
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
        let flight = Flight(clock: clock)
        flights[key] = flight
        let scraper = self.scraper
        let slots = self.slots
        let metrics = self.metrics
        let clock = self.clock
        // When the request is handled on an event loop (the HTTP server's), the collection stays on that loop too.
        flight.attach(
            Task(executorPreference: EventLoopTaskExecutor.current) {
                let collected = await Self.collect(
                    request, scraper: scraper, slots: slots, metrics: metrics, clock: clock,
                    abandonedAtDeadline: { flight.abandonedAtDeadline })
                await self.finished(key: key, flight: flight)
                flight.deliver(collected)
            })
        return flight
    }

    /// Called by a flight's task when it ends, so later requests start a new collection. The flight may
    /// already have been replaced by a newer one if every caller had left it.
    private func finished(key: Key, flight: Flight) {
        if flights[key] === flight {
            flights[key] = nil
        }
    }

    private static func collect<S: Scraper>(
        _ request: ScrapeRequest, scraper: S, slots: AsyncSlots, metrics: ExporterMetrics, clock: any ExporterClock,
        abandonedAtDeadline: @Sendable () -> Bool
    ) async -> Collected {
        let start = clock.now
        let module = request.module
        // Every collection asked for is counted once, however it ends.
        func finished(_ families: [MetricFamily], _ outcome: ScrapeOutcome) -> Collected {
            metrics.scrapeFinished(module: module.name, outcome: outcome, duration: clock.now - start)
            return Collected(families: families, outcome: outcome)
        }
        func cancelledOutcome() -> ScrapeOutcome { abandonedAtDeadline() ? .timeout : .cancelled }
        let prepared: S.Prepared
        switch await scraper.prepare(request) {
        case .answered(let report):
            metrics.scrapeStarted()
            return finished(report.exposition, Task.isCancelled ? cancelledOutcome() : .failure)
        case .collect(let found):
            prepared = found
        }
        guard await slots.acquire() else {
            // Given up while waiting for a slot: still a scrape that was asked for, counted like one that started.
            metrics.scrapeStarted()
            return finished([], cancelledOutcome())
        }
        defer { slots.release() }
        metrics.scrapeStarted()
        guard clock.now < request.deadline else {
            // The deadline passed while waiting for a slot: do not start work on the BMC.
            let late = ScrapeReport.allDown(module.collectors, reason: "timeout", duration: clock.now - start)
            return finished(late.exposition, .timeout)
        }
        let report = await scraper.scrape(request, prepared: prepared)
        return finished(report.exposition, Task.isCancelled ? cancelledOutcome() : report.outcome)
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
