import IPMIClient
import IPMIExporter
import Logging
import ServiceLifecycle

/// Looks after the sessions between scrapes: a session the BMC has not answered on for ``keepaliveInterval`` gets a
/// cheap request (BMCs drop sessions after 30–60 s of silence), and one nobody scraped for ``idleTimeout`` is closed.
/// As a service it makes a pass every ``interval`` until shutdown, then closes every session.
public struct SessionJanitor: Service {
    let sessions: SessionMap
    /// Sessions nobody used for this long are closed politely.
    let idleTimeout: Duration
    /// Sessions silent for this long get a Get Device ID so the BMC does not expire them; zero: never.
    let keepaliveInterval: Duration
    private(set) var interval: Duration
    private let clock: any ExporterClock
    private let metrics: ExporterMetrics?
    private let logger: Logger

    init(
        sessions: SessionMap, idleTimeout: Duration, keepaliveInterval: Duration, interval: Duration = .seconds(5),
        clock: any ExporterClock, metrics: ExporterMetrics?, logger: Logger
    ) {
        self.sessions = sessions
        self.idleTimeout = idleTimeout
        self.keepaliveInterval = keepaliveInterval
        self.interval = interval
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// The cache's janitor, making a pass every `interval`.
    public init(cache: SessionCache, interval: Duration = .seconds(5)) {
        self = cache.janitor
        self.interval = interval
    }

    public func run() async throws {
        // Sleeping is cancelled by a graceful shutdown, so SIGTERM closes the sessions at once.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(until: clock.now + interval) }
            } catch {
                break
            }
            await pass()
        }
        await sessions.closeAll()
    }

    /// Keep-alives in flight at once during a pass.
    static let concurrentKeepalives = 64

    /// One pass: keep-alives for silent sessions, polite close for abandoned ones.
    public func pass() async {
        let (abandoned, silent) = await sessions.sweep(idleTimeout: idleTimeout, keepaliveInterval: keepaliveInterval)
        for entry in abandoned {
            entry.cancelColdStart()
            if entry.client.isConnected {
                await entry.client.close()
                metrics?.sessionClosed()
            }
            logger.debug("closed idle session", metadata: ["target": "\(entry.target)"])
        }
        // Each keep-alive runs on its session's event loop, where the request and its answer are handled anyway:
        // sent one after another from here, each cost two thread switches each way and several times the request
        // itself.
        let metrics = self.metrics
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            for (index, entry) in silent.enumerated() {
                if index >= Self.concurrentKeepalives { await group.next() }
                group.addTask(executorPreference: entry.client.taskExecutor) {
                    await Self.keepAlive(entry, metrics: metrics, logger: logger)
                }
            }
        }
    }

    /// One Get Device ID on a silent session, bounded on the real clock (it is a request on the network); a session
    /// the BMC has forgotten is dropped, so the next scrape opens a new one.
    private static func keepAlive(_ entry: SessionEntry, metrics: ExporterMetrics?, logger: Logger) async {
        guard entry.client.isConnected else { return }
        do {
            _ = try await IPMIDeadline.$current.withValue(ContinuousClock.now + .seconds(3)) {
                try await entry.client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            }
            entry.heard()
        } catch {
            await entry.client.reset()
            metrics?.sessionClosed()
            logger.debug("keep-alive failed, session dropped", metadata: ["target": "\(entry.target)"])
        }
    }
}
