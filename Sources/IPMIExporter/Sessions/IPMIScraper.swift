import IPMI
import IPMIClient
import Logging
import PrometheusText
import ServiceLifecycle

/// The real ``Scraper``: runs the module's collectors over the target's cached session.
///
/// A session the BMC dropped (idle timeout, reboot, session limit) shows up as a timeout on a session
/// that was open before this scrape; it is then re-established once and the collector tried again.
public struct IPMIScraper: Scraper {
    public let cache: SessionCache
    private let metrics: ExporterMetrics?
    private let logger: Logger

    public init(cache: SessionCache, metrics: ExporterMetrics?, logger: Logger) {
        self.cache = cache
        self.metrics = metrics
        self.logger = logger
    }

    public func scrape(_ request: ScrapeRequest) async -> [MetricFamily] {
        let start = ContinuousClock.now
        // One collection at a time per session: a collection abandoned at its deadline may still be resetting or
        // reopening the session when the next one for the target starts; sharing it then fails both.
        let gate = await cache.collectionGate(
            host: request.target.host, port: request.target.port, module: request.module)
        let results: (families: [MetricFamily], up: [(CollectorName, Bool)])
        if let gate, await !gate.acquire() {
            results = ([], request.module.collectors.map { ($0, false) })  // cancelled while waiting
        } else {
            results = await IPMIDeadline.$current.withValue(request.deadline) {
                await collect(request)
            }
            gate?.release()
        }
        await cache.syncStatistics()
        let duration = ContinuousClock.now - start
        var families = results.families
        families.append(ScrapeMetricNames.upFamily(results.up))
        families.append(
            .gauge(
                "ipmi_scrape_duration_seconds", help: "How long the scrape of the BMC took, in seconds.",
                value: duration.secondsDouble))
        return families
    }

    private func collect(_ request: ScrapeRequest) async -> (families: [MetricFamily], up: [(CollectorName, Bool)]) {
        var logger = self.logger
        logger[metadataKey: "target"] = "\(request.target)"
        let collectors = request.module.collectors
        let entry: SessionCache.Entry
        do {
            entry = try await cache.entry(host: request.target.host, port: request.target.port, module: request.module)
        } catch {
            logger.error("cannot scrape target", metadata: ["error": "\(error)"])
            metrics?.error(reason: "configuration")
            return ([], collectors.map { ($0, false) })
        }
        var freshSession = false
        if await !entry.client.isConnected {
            do {
                try await entry.client.connect()
                freshSession = true
                metrics?.handshake(succeeded: true)
                metrics?.sessionOpened()
            } catch {
                metrics?.handshake(succeeded: false)
                metrics?.error(reason: Self.reason(error))
                logger.error("cannot open IPMI session", metadata: ["error": "\(error)"])
                return ([], collectors.map { ($0, false) })
            }
        }
        var families: [MetricFamily] = []
        var up: [(CollectorName, Bool)] = []
        for name in collectors {
            let collector = Collectors.make(name)
            var attempt = 0
            while true {
                let context = CollectorContext(
                    session: entry.client, module: request.module, sdr: entry.sdr, logger: logger)
                do {
                    families += try await collector.collect(context)
                    up.append((name, true))
                    break
                } catch is CancellationError {
                    // Shutdown or an interrupted batch, not a BMC failure: nothing to log or count.
                    up.append((name, false))
                    break
                } catch {
                    // Once per scrape: a stale session is replaced and the collector tried again.
                    if attempt == 0, !freshSession, Self.isSessionLost(error),
                        ContinuousClock.now < request.deadline
                    {
                        attempt += 1
                        logger.info("session lost, opening a new one", metadata: ["error": "\(error)"])
                        metrics?.rehandshake()
                        metrics?.sessionClosed()
                        await entry.client.reset()
                        await entry.sdr.invalidate()
                        do {
                            try await entry.client.connect()
                            freshSession = true
                            metrics?.handshake(succeeded: true)
                            metrics?.sessionOpened()
                            continue
                        } catch {
                            metrics?.handshake(succeeded: false)
                            logger.error("cannot reopen IPMI session", metadata: ["error": "\(error)"])
                        }
                    }
                    metrics?.error(reason: Self.reason(error))
                    logger.warning(
                        "collector failed", metadata: ["collector": "\(name)", "error": "\(error)"])
                    up.append((name, false))
                    break
                }
            }
        }
        return (families, up)
    }

    static func isSessionLost(_ error: any Error) -> Bool {
        if let error = error as? IPMIClientError { return error.isTimeout || error == .sessionClosed }
        return false
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? IPMIClientError, error.isTimeout { return "timeout" }
        if let error = error as? IPMIError, error.isAuthenticationFailure { return "authentication" }
        if error is IPMIError { return "session" }
        if error is IPMICommandError { return "completion_code" }
        return "other"
    }
}

/// Runs the session cache's janitor until shutdown, then closes every session.
public struct SessionJanitor: Service {
    let cache: SessionCache
    let interval: Duration

    public init(cache: SessionCache, interval: Duration = .seconds(5)) {
        self.cache = cache
        self.interval = interval
    }

    public func run() async throws {
        // Sleeping is cancelled by a graceful shutdown, so SIGTERM closes the sessions at once.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await cache.maintain()
        }
        await cache.closeAll()
    }
}

extension Duration {
    var secondsDouble: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
