import ExporterCollectors
import IPMI
import IPMIClient
import IPMIExporter
import IPMILocalDevice
import Logging
import PrometheusText

/// The real ``Scraper``: runs the module's collectors over the target's cached session.
///
/// A session the BMC dropped (idle timeout, reboot, session limit) shows up as a timeout on a session
/// that was open before this scrape. So does an answer lost on the way, which a probe (one Get Device ID) tells
/// apart: a session that answers it is kept and the collectors are tried again on it; one that does not is
/// re-established once and the collectors tried again on the new one.
///
/// A request for ``ScrapeTarget/localBMC``, or with a module of a local driver, is collected from this machine's BMC
/// through ``LocalBMC`` instead (no session: the kernel's device).
public struct IPMIScraper: Scraper {
    public let cache: SessionCache
    /// This machine's BMC; nil when local collection is off.
    public let local: LocalBMC?
    private let metrics: ExporterMetrics?
    private let logger: Logger
    private var clock: any ExporterClock { cache.clock }

    public init(cache: SessionCache, local: LocalBMC? = nil, metrics: ExporterMetrics?, logger: Logger) {
        self.cache = cache
        self.local = local
        self.metrics = metrics
        self.logger = logger
    }

    /// Where a request is collected from, found once per scrape: this machine's BMC or the target's session.
    public struct PreparedTarget: Sendable {
        enum Route: Sendable {
            case local
            case session(SessionEntry)
        }

        let route: Route
    }

    /// The logger with the request's target, made only when there is something to say or a collection to run.
    private func targetLogger(for request: ScrapeRequest) -> Logger {
        var logger = self.logger
        logger[metadataKey: "target"] = "\(request.target)"
        return logger
    }

    static func isLocal(_ request: ScrapeRequest) -> Bool {
        request.module.isLocal || request.target == .localBMC
    }

    /// The request's session entry (the one lookup of a scrape), or the answer when the module cannot make one.
    private func find(_ request: ScrapeRequest) async -> Preparation<PreparedTarget> {
        if Self.isLocal(request) { return .collect(PreparedTarget(route: .local)) }
        let start = clock.now
        do {
            let entry = try await cache.sessions.entry(
                host: request.target.host, port: request.target.port, module: request.module)
            return .collect(PreparedTarget(route: .session(entry)))
        } catch {
            targetLogger(for: request).error("cannot scrape target", metadata: ["error": "\(error)"])
            metrics?.error(reason: "configuration")
            return .answered(.allDown(request.module.collectors, reason: "configuration", duration: clock.now - start))
        }
    }

    /// Finds the target's session. One that needs cold work (no live session, or no SDR repository read yet) waits
    /// here for its cold start, outside the coordinator's bound on collections, so it holds no slot a warm target
    /// could use. If the deadline comes first, or the cold start fails, the answer is every collector down; a cold
    /// start still queued or running goes on, and the next scrape finds the target warm or joins it.
    public func prepare(_ request: ScrapeRequest) async -> Preparation<PreparedTarget> {
        // The local device needs no session; its SDR download is bounded by the scrape's deadline and goes on after.
        let start = clock.now
        let found = await find(request)
        guard case .collect(let prepared) = found, case .session(let entry) = prepared.route,
            await !cache.admission.isWarm(entry, module: request.module)
        else { return found }
        let logger = targetLogger(for: request)
        // A little before the deadline, so this answer, with its reason, beats the coordinator's generic one.
        let margin = min(Duration.milliseconds(50), (request.deadline - start) / 10)
        do {
            try await waitForColdStart(entry, request: request, until: request.deadline - margin, logger: logger)
            return found
        } catch {
            if !(error is CancellationError) { report(error, logger: logger, message: "cannot open IPMI session") }
            return .answered(
                .allDown(request.module.collectors, reason: Self.downReason(error), duration: clock.now - start))
        }
    }

    /// Scrapes without the coordinator (the push mode, tests): finds the session, then collects, opening it first if
    /// needed.
    public func scrape(_ request: ScrapeRequest) async -> ScrapeReport {
        switch await find(request) {
        case .answered(let report): return report
        case .collect(let prepared): return await scrape(request, prepared: prepared)
        }
    }

    /// Waits until the target's cold start has run (joining or queueing it); throws its error, or
    /// ``ColdStartPending`` if `deadline` comes first.
    private func waitForColdStart(
        _ entry: SessionEntry, request: ScrapeRequest, until deadline: ContinuousClock.Instant, logger: Logger
    ) async throws {
        let job = cache.admission.coldStart(entry, module: request.module, logger: logger)
        // A cold start still queued when its last scrape stops waiting leaves the queue.
        defer { job.leave() }
        let queue = cache.coldStarts
        let pending = {
            ColdStartPending(admitted: job.admitted, waiting: queue.waiting, running: queue.running)
        }
        do {
            guard try await value(of: job.task, until: deadline, cancelTaskOnCancel: false, clock: clock) != nil else {
                throw pending()
            }
        } catch is CancellationError where clock.now >= deadline - .milliseconds(100) && !job.isFinished {
            // Cancelled because the coordinator gave up at the deadline: the cold start is what made it late.
            throw pending()
        }
    }

    private func report(_ error: any Error, logger: Logger, message: Logger.Message) {
        if error is ColdStartPending || error is ColdStartRefused {
            metrics?.error(reason: "cold_start")
            logger.warning("cannot scrape target yet", metadata: ["reason": "\(error)"])
        } else {
            metrics?.error(reason: Self.reason(error))
            logger.error(message, metadata: ["error": "\(error)"])
        }
    }

    public func scrape(_ request: ScrapeRequest, prepared: PreparedTarget) async -> ScrapeReport {
        guard case .session(let entry) = prepared.route else { return await scrapeLocal(request) }
        let start = clock.now
        let logger = targetLogger(for: request)
        // One collection at a time per session: a collection abandoned at its deadline may still be resetting
        // or reopening the session when the next one for the target starts; sharing it then fails both.
        guard await entry.gate.acquire() else {
            return .allDown(request.module.collectors, reason: "cancelled", duration: clock.now - start)
        }
        // On the session's event loop for the whole collection: its collectors, their requests and the
        // answers all run on that one thread, and this task comes back to the caller's once, at the end.
        let results = await withTaskExecutorPreference(entry.client.taskExecutor) {
            await IPMIDeadline.$current.withValue(request.deadline) {
                await collect(request, entry: entry, logger: logger)
            }
        }
        entry.gate.release()
        return ScrapeReport(families: results.families, collectors: results.collectors, duration: clock.now - start)
    }

    private func collect(
        _ request: ScrapeRequest, entry: SessionEntry, logger: Logger
    ) async -> (families: [MetricFamily], collectors: [CollectorStatus]) {
        let collectors = request.module.collectors
        var freshSession = false
        if !entry.client.isConnected {
            // Normally done in prepare(); here for a session lost since, or a caller that skipped it.
            do {
                try await waitForColdStart(entry, request: request, until: request.deadline, logger: logger)
                freshSession = true
            } catch {
                if !(error is CancellationError) { report(error, logger: logger, message: "cannot open IPMI session") }
                let down = ScrapeReport.allDown(collectors, reason: Self.downReason(error), duration: .zero)
                return (down.families, down.collectors)
            }
        }
        // The collectors run at once: their requests share the session's window, so the short ones (device
        // ID, chassis status, SEL info) ride along with the sensor batch instead of waiting for it. On a session
        // that was open before this scrape, the first collector that finds it lost (a BMC reboot, its idle timeout)
        // stops the others: their requests would only wait out their own retransmissions on a dead session and
        // leave no time to open a new one before the deadline.
        let mayReopen = !freshSession
        // What the BMC refused in this session is not asked again (a new session asks again).
        let refused = collectors.compactMap { name in entry.refusal(of: name).map { (name, $0) } }
        let runnable = collectors.filter { name in !refused.contains { $0.0 == name } }
        var outcomes = await run(
            runnable, entry: entry, module: request.module, logger: logger, stopOnSessionLoss: mayReopen)
        for (name, refusal) in refused { outcomes[name] = .failure(RememberedRefusal(refusal: refusal)) }
        let lost = collectors.filter { name in
            if case .failure(let error) = outcomes[name], Self.isSessionLost(error) { return true }
            return false
        }
        // Once per scrape: a session that no longer answers is replaced, and every collector that did not finish
        // on it (lost it, or was stopped because of it) is run again. The SDR repository is kept: Get SDR
        // Repository Info on the new session tells whether it changed (it does when the BMC rebooted).
        if !lost.isEmpty, mayReopen, !Task.isCancelled, clock.now < request.deadline {
            let again = collectors.filter { name in
                if case .success = outcomes[name] { return false }
                return true
            }
            let probeDeadline = min(request.deadline, ContinuousClock.now + cache.admission.probeTimeout)
            if await entry.answersProbe(until: probeDeadline) {
                logger.debug("an answer was lost on a live session; running again", metadata: ["collectors": "\(lost)"])
                if !Task.isCancelled, clock.now < request.deadline {
                    outcomes.merge(
                        await run(again, entry: entry, module: request.module, logger: logger, stopOnSessionLoss: false)
                    ) { $1 }
                }
            } else {
                logger.info("session lost, opening a new one", metadata: ["collectors": "\(lost)"])
                metrics?.rehandshake()
                metrics?.sessionClosed()
                await entry.client.reset()
                do {
                    // A new session (and, after a reboot, the repository again) is cold work: it takes its turn.
                    try await waitForColdStart(entry, request: request, until: request.deadline, logger: logger)
                    outcomes.merge(
                        await run(again, entry: entry, module: request.module, logger: logger, stopOnSessionLoss: false)
                    ) { $1 }
                } catch {
                    if !(error is CancellationError) {
                        report(error, logger: logger, message: "cannot reopen IPMI session")
                    }
                }
            }
        }
        if outcomes.values.contains(where: { if case .success = $0 { true } else { false } }) { entry.heard() }
        // The `ipmi` collector's refusals are its SDR cache's to remember (a refused Get SDR Repository Info sends
        // it to the device SDRs, not to the bench).
        for case (let name, .failure(let error as IPMICommandError)) in outcomes
        where name != .ipmi && error.completionCode.isRefusal {
            entry.remember(error, of: name)
        }
        return await summarize(outcomes, of: collectors, logger: logger) { entry.recordOutcome(of: $0, failure: $1) }
    }

    /// The families of the collectors that succeeded and how each collector ended; failures counted and logged (at
    /// warning when `isNews` says the collector did not fail that way last time, else at debug).
    private func summarize(
        _ outcomes: [CollectorName: Result<[MetricFamily], any Error>], of collectors: [CollectorName],
        logger: Logger, isNews: (CollectorName, String?) async -> Bool
    ) async -> (families: [MetricFamily], collectors: [CollectorStatus]) {
        var families: [MetricFamily] = []
        var statuses: [CollectorStatus] = []
        statuses.reserveCapacity(collectors.count)
        for name in collectors {
            switch outcomes[name] {
            case .success(let collected):
                families += collected
                statuses.append(CollectorStatus(name, up: true))
                _ = await isNews(name, nil)
            case .failure(let error) where error is CancellationError:
                // Shutdown or an interrupted batch, not a BMC failure: nothing to log or count.
                statuses.append(CollectorStatus(name, up: false, reason: "cancelled"))
            case .failure(let error):
                // A refusal remembered from earlier in the session asked nothing of the BMC: nothing new to count.
                if !Self.isRemembered(error) { metrics?.error(reason: Self.reason(error)) }
                // A BMC without DCMI fails the same way on every scrape: say so once, and again when it changes.
                // That a BMC lacks a command is a fact about it (info), not trouble (warning).
                let message = "\(error)"
                let news = await isNews(name, message)
                let level: Logger.Level = news ? (Self.reason(error) == "unsupported" ? .info : .warning) : .debug
                logger.log(level: level, "collector failed", metadata: ["collector": "\(name)", "error": "\(message)"])
                statuses.append(CollectorStatus(name, up: false, reason: Self.reason(error)))
            case nil:
                statuses.append(CollectorStatus(name, up: false, reason: "cancelled"))
            }
        }
        return (families, statuses)
    }

    /// Collects from this machine's BMC through the kernel's device: the module's collectors at once, as for a
    /// session, until the deadline. Without local collection, or without a device, every collector is down.
    private func scrapeLocal(_ request: ScrapeRequest) async -> ScrapeReport {
        let start = clock.now
        var logger = self.logger
        logger[metadataKey: "target"] = "local"
        let collectors = request.module.collectors
        func allDown(_ reason: String) -> ScrapeReport {
            .allDown(collectors, reason: reason, duration: clock.now - start)
        }
        guard let local else {
            logger.debug("local collection is off (no IPMI device at start-up, or --no-local)")
            metrics?.error(reason: "local_device")
            return allDown("local_device")
        }
        guard await local.gate.acquire() else { return allDown("cancelled") }
        defer { local.gate.release() }
        let device: OpenIPMIDevice
        do {
            device = try await local.open()
        } catch {
            metrics?.error(reason: "local_device")
            return allDown("local_device")
        }
        let outcomes = await IPMIDeadline.$current.withValue(request.deadline) {
            await Self.run(
                collectors, session: device, sdr: local.sdr, executor: device.taskExecutor,
                module: request.module, logger: logger, stopOnSessionLoss: false)
        }
        for case .failure(let error) in outcomes.values { await local.failed(with: error) }
        let results = await summarize(outcomes, of: collectors, logger: logger) {
            await local.recordOutcome(of: $0, failure: $1)
        }
        return ScrapeReport(families: results.families, collectors: results.collectors, duration: clock.now - start)
    }

    /// Runs the collectors concurrently over the entry's session; every outcome, keyed by collector. With
    /// `stopOnSessionLoss`, the first collector that finds the session lost cancels the rest.
    private func run(
        _ names: [CollectorName], entry: SessionEntry, module: ModuleConfig, logger: Logger,
        stopOnSessionLoss: Bool
    ) async -> [CollectorName: Result<[MetricFamily], any Error>] {
        await Self.run(
            names, session: entry.client, sdr: entry.sdr, executor: entry.client.taskExecutor, module: module,
            logger: logger, stopOnSessionLoss: stopOnSessionLoss)
    }

    private static func run(
        _ names: [CollectorName], session: any IPMIRequester, sdr: SDRCache, executor: (any TaskExecutor)?,
        module: ModuleConfig, logger: Logger, stopOnSessionLoss: Bool
    ) async -> [CollectorName: Result<[MetricFamily], any Error>] {
        await withTaskGroup(of: (CollectorName, Result<[MetricFamily], any Error>).self) { group in
            for name in names {
                // On the session's event loop: each request and its answer then stay on one thread.
                group.addTask(executorPreference: executor) {
                    let context = CollectorContext(session: session, module: module, sdr: sdr, logger: logger)
                    do {
                        return (name, .success(try await Collectors.make(name).collect(context)))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var outcomes: [CollectorName: Result<[MetricFamily], any Error>] = [:]
            for await (name, outcome) in group {
                outcomes[name] = outcome
                if stopOnSessionLoss, case .failure(let error) = outcome, Self.isSessionLost(error) {
                    group.cancelAll()
                }
            }
            return outcomes
        }
    }

    /// Why every collector is down when the session could not be had: the error's reason, or `cancelled`.
    static func downReason(_ error: any Error) -> String {
        error is CancellationError ? "cancelled" : reason(error)
    }

    static func isRemembered(_ error: any Error) -> Bool {
        error is RememberedRefusal || (error as? SDRUnavailable)?.remembered == true
    }

    static func isSessionLost(_ error: any Error) -> Bool {
        if let error = error as? IPMIClientError { return error.isTimeout || error == .sessionClosed }
        return false
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? IPMIClientError, error.isTimeout { return "timeout" }
        if let error = error as? LocalDeviceError { return error.isTimeout ? "timeout" : "local_device" }
        if error is SDRDownloadInProgress { return "timeout" }
        if error is ColdStartPending || error is ColdStartRefused { return "cold_start" }
        if let error = error as? IPMIError, error.isAuthenticationFailure { return "authentication" }
        if error is IPMIError { return "session" }
        if let error = error as? IPMICommandError {
            return error.completionCode.isRefusal ? "unsupported" : "completion_code"
        }
        if error is SDRUnavailable || error is RememberedRefusal { return "unsupported" }
        return "other"
    }
}

/// A collector not run because the BMC refused its command earlier in this session (``SessionEntry``).
struct RememberedRefusal: Error, CustomStringConvertible {
    var refusal: IPMICommandError
    var description: String { refusal.description }
}

/// A cold start that was queued or running when a scrape's deadline came.
struct ColdStartPending: Error, CustomStringConvertible {
    var admitted: Bool
    var waiting: Int
    var running: Int

    var description: String {
        if admitted {
            return "the cold start (session handshake and SDR repository read) is still running; "
                + "it goes on for the next scrape"
        }
        return "waiting for a cold-start slot (\(waiting) waiting, \(running) running); "
            + "the next scrape queues again"
    }
}
