import ExporterCollectors
import IPMI
import IPMIClient
import IPMIExporter
import IPMISensors
import Logging
import NIOConcurrencyHelpers

/// Live RMCP+ sessions kept between scrapes: one per (target, credentials, privilege, cipher suite, bridge),
/// all on one UDP transport.
///
/// A scrape finds its session here already open, so it costs no handshake; the SDR repository of each BMC
/// is cached beside its session. A janitor keeps idle sessions alive with a cheap request (BMCs drop
/// sessions after 30–60 s of silence) and closes those nobody scraped for ``Settings/idleTimeout``.
public actor SessionCache {
    public struct Settings: Sendable {
        /// Sessions nobody used for this long are closed politely.
        public var idleTimeout: Duration = .seconds(600)
        /// Sessions idle for this long get a Get Device ID so the BMC does not expire them; zero: never.
        public var keepaliveInterval: Duration = .seconds(20)
        /// Cold starts (handshake and SDR download) running at once over all targets; see ``ColdStartQueue``.
        public var maxConcurrentColdStarts = ExporterSettings.defaultMaxConcurrentColdStarts
        /// Records and sensors one BMC's SDR repository may have.
        public var sdrLimits = SDRLimits()
        /// Cold starts that may wait for a slot at once; see ``ColdStartQueue/maxWaiting``.
        public var maxQueuedColdStarts = ExporterSettings.defaultMaxQueuedColdStarts
        public var clientOptions = ClientOptions()

        public init() {}
    }

    struct Key: Hashable, Sendable {
        var host: String
        var port: Int
        var user: String
        var password: [UInt8]
        var kg: [UInt8]?
        var privilege: UInt8
        var cipherSuite: UInt8?
        var bridge: BridgeConfig?
        var workarounds: Set<String>
    }

    final class Entry: Sendable {
        let client: IPMIClient
        let sdr: SDRCache
        let target: String
        /// Held by the collection using the session (see ``IPMIScraper``).
        let gate = AsyncSlots(limit: 1)
        /// The cold start queued or running for this target, if any; scrapes that need one join it.
        private let coldStartJob = NIOLockedValueBox<ColdStartJob?>(nil)
        /// What the entry knows of its target, behind one lock: a lock is an allocation of its own, and an exporter
        /// keeps thousands of entries.
        private let state = NIOLockedValueBox(State())

        private struct State {
            var lastUsed = ContinuousClock.now
            /// Last answer from the BMC (a scrape, a handshake or a keep-alive): a session is kept alive once per
            /// keep-alive interval of silence, not on every janitor pass (which would send 4 keep-alives a minute to
            /// a target scraped every 60 s). A scrape that got no answer does not count: the keep-alive is what finds
            /// out that the BMC forgot the session.
            var lastHeard = ContinuousClock.now
            /// When the BMC last answered, nil if it never did; decides the place of its cold starts in the queue.
            var lastAnswer: ContinuousClock.Instant?
            /// True once a cold start of this target failed.
            var coldStartFailed = false
            /// The last failure of each collector on this target, until it succeeds again.
            var failures: [CollectorName: String] = [:]
            /// Collectors whose command the BMC refused (``CompletionCode/isRefusal``) in this session: not run again
            /// until a new session.
            var refusals: [CollectorName: IPMICommandError] = [:]
        }

        init(client: IPMIClient, sdr: SDRCache, target: String) {
            self.client = client
            self.sdr = sdr
            self.target = target
        }

        func touch() { state.withLockedValue { $0.lastUsed = .now } }
        /// The BMC answered on the session.
        func heard() {
            let now = ContinuousClock.now
            state.withLockedValue {
                $0.lastHeard = now
                $0.lastAnswer = now
            }
        }
        /// The refusal that keeps `collector` from running in this session, if any.
        func refusal(of collector: CollectorName) -> IPMICommandError? {
            state.withLockedValue { $0.refusals[collector] }
        }
        func remember(_ refusal: IPMICommandError, of collector: CollectorName) {
            state.withLockedValue { $0.refusals[collector] = refusal }
        }
        /// A new session: what the BMC refused is asked again, here and in its SDR cache.
        func sessionOpened() async {
            state.withLockedValue { $0.refusals = [:] }
            await sdr.sessionOpened()
        }
        /// Also lets go of the job: a finished task keeps its frames' memory for as long as it is referenced, and an
        /// exporter keeps an entry per target.
        func coldStartEnded(failed: Bool) {
            state.withLockedValue { $0.coldStartFailed = failed }
            coldStartJob.withLockedValue { $0 = nil }
        }

        /// A target that answered within ``answeredRecently`` goes ahead of one never tried, which goes ahead of
        /// one whose cold start failed without it ever answering.
        var coldStartPriority: ColdStartQueue.Priority {
            let (answered, failed) = state.withLockedValue { ($0.lastAnswer, $0.coldStartFailed) }
            if let answered, ContinuousClock.now - answered < Entry.answeredRecently { return .answered }
            return failed ? .unanswered : .new
        }
        static let answeredRecently: Duration = .seconds(600)

        /// Records how a collector ended (`failure` nil for success); true when a failure differs from the
        /// collector's previous outcome, which is when it is worth a warning.
        @discardableResult
        func recordOutcome(of collector: CollectorName, failure: String?) -> Bool {
            state.withLockedValue { state in
                if failure == nil {
                    if state.failures[collector] != nil { state.failures[collector] = nil }
                    return false
                }
                defer { state.failures[collector] = failure }
                return state.failures[collector] != failure
            }
        }

        /// The cold start in progress, or a new one made by `make`, counted as awaited by one more scrape (which
        /// must call ``ColdStartJob/leave()`` when it stops waiting).
        func coldStart(_ make: () -> ColdStartJob) -> ColdStartJob {
            coldStartJob.withLockedValue { job in
                if let running = job, running.join() { return running }
                let started = make()
                _ = started.join()
                job = started
                return started
            }
        }

        /// Drops a queued or running cold start (the entry is being closed).
        func cancelColdStart() {
            coldStartJob.withLockedValue { $0 }?.task.cancel()
        }
        var idle: Duration { state.withLockedValue { ContinuousClock.now - $0.lastUsed } }
        var silent: Duration { state.withLockedValue { ContinuousClock.now - $0.lastHeard } }
    }

    public let transport: IPMITransport
    /// Bounds the handshakes and SDR downloads running at once over all targets.
    public nonisolated let coldStarts: ColdStartQueue
    private let settings: Settings
    private let metrics: ExporterMetrics?
    private let logger: Logger
    private var entries: [Key: Entry] = [:]
    /// The transport's counters as last copied into the metrics.
    private nonisolated let syncedStatistics = NIOLockedValueBox(TransportStatistics.Snapshot())

    public init(transport: IPMITransport, settings: Settings = Settings(), metrics: ExporterMetrics?, logger: Logger) {
        self.transport = transport
        self.coldStarts = ColdStartQueue(
            limit: settings.maxConcurrentColdStarts, maxWaiting: settings.maxQueuedColdStarts, metrics: metrics)
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        // Packet counters are copied in when the metrics are read, not after every scrape.
        metrics?.addRefresher { [weak self] in self?.syncStatistics() }
    }

    public var count: Int { entries.count }

    /// How long a probe of a session that missed an answer may take: two attempts, so one more lost datagram does
    /// not make a live session look lost.
    nonisolated var probeTimeout: Duration { settings.clientOptions.requestTimeout * 2 }

    /// The entry for a target and module, created (not yet connected) on first use.
    func entry(host: String, port: Int, module: ModuleConfig) throws -> Entry {
        let key = Key(
            host: host, port: port, user: module.user, password: module.password.bytes, kg: module.kg?.bytes,
            privilege: module.privilege.ipmiValue, cipherSuite: module.cipherSuite, bridge: module.bridge,
            workarounds: module.workaroundFlags)
        if let entry = entries[key] {
            entry.touch()
            return entry
        }
        var logger = self.logger
        logger[metadataKey: "target"] = "\(host):\(port)"
        var options = settings.clientOptions
        options.workarounds = SessionWorkarounds(names: module.workaroundFlags)
        let client = try IPMIClient(
            host: host, port: port, username: module.user,
            password: String(decoding: module.password.bytes, as: UTF8.self),
            kg: module.kg?.bytes,
            cipherSuite: module.cipherSuite.flatMap { CipherSuite(id: $0) },
            privilege: IPMI.PrivilegeLevel(rawValue: module.privilege.ipmiValue) ?? .operator,
            bridge: module.bridge.map { BridgeTarget(channel: $0.channel, address: $0.targetAddress) },
            options: options, transport: transport, logger: logger)
        let entry = Entry(
            client: client, sdr: SDRCache(metrics: metrics, coldStarts: coldStarts, limits: settings.sdrLimits),
            target: "\(host):\(port)")
        entries[key] = entry
        return entry
    }

    /// True when a scrape of `entry` with `module` needs no cold work: the session is open and, for the `ipmi`
    /// collector, the SDR repository has been read.
    nonisolated func isWarm(_ entry: Entry, module: ModuleConfig) async -> Bool {
        guard entry.client.isConnected else { return false }
        return module.collectors.contains(.ipmi) ? await entry.sdr.isLoaded : true
    }

    /// The target's cold start, joined if one is queued or running, else queued now: the handshake if the session
    /// is not open, then (for the `ipmi` collector) the SDR repository read. It runs in a slot of ``coldStarts``
    /// and does not end with the scrape that asked for it once it has a slot, so a scrape out of time leaves it to
    /// the next one. The caller must ``ColdStartJob/leave()`` it when it stops waiting.
    ///
    /// A request that times out on an open session here is taken for a lost session only if a probe
    /// (``sessionAnswers(_:until:)``) goes unanswered too; then the session is reset, so the next attempt opens a
    /// new one instead of asking a BMC that no longer knows the session again and again. An SDR read that fails on
    /// a live session fails only the `ipmi` collector: the cold start succeeds, and ``SDRCache`` hands the failure
    /// to that collector.
    nonisolated func coldStart(_ entry: Entry, module: ModuleConfig, logger: Logger) -> ColdStartJob {
        let metrics = self.metrics
        let queue = self.coldStarts
        let prefetchSDR = module.collectors.contains(.ipmi)
        let handshakeTimeout = module.timeout
        let probeTimeout = self.probeTimeout
        return entry.coldStart {
            ColdStartJob(queue: queue, priority: entry.coldStartPriority) {
                let client = entry.client
                var failed = true
                defer { entry.coldStartEnded(failed: failed) }
                if !client.isConnected {
                    do {
                        try await IPMIDeadline.$current.withValue(.now + handshakeTimeout) {
                            try await client.connect()
                        }
                        metrics?.handshake(succeeded: true)
                        metrics?.sessionOpened()
                        entry.heard()
                        await entry.sessionOpened()
                    } catch {
                        metrics?.handshake(succeeded: false)
                        throw error
                    }
                }
                if prefetchSDR {
                    do {
                        _ = try await IPMIDeadline.$current.withValue(.now + SDRCache.downloadTimeout) {
                            try await entry.sdr.sensors(from: client, logger: logger, admitted: true)
                        }
                    } catch {
                        if IPMIScraper.isSessionLost(error),
                            await !Self.sessionAnswers(entry, until: .now + probeTimeout)
                        {
                            logger.info("session lost during a cold start; the next attempt opens a new one")
                            await client.reset()
                            metrics?.sessionClosed()
                            throw error
                        }
                        await entry.sdr.hold(error)
                    }
                }
                failed = false
            }
        }
    }

    /// Whether the session still works: one Get Device ID (IPMI v2.0 §20.1), retransmitted as usual, until
    /// `deadline`. Any answer will do, as only a BMC that knows the session answers in it; a timeout after one
    /// lost answer then tells a lost datagram from a lost session. Cancelled (the scrape gave up): true, as
    /// nothing is known.
    nonisolated static func sessionAnswers(_ entry: Entry, until deadline: ContinuousClock.Instant) async -> Bool {
        guard entry.client.isConnected else { return false }
        do {
            _ = try await IPMIDeadline.$current.withValue(deadline) {
                try await entry.client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            }
            entry.heard()
            return true
        } catch {
            return error is CancellationError
        }
    }

    /// Copies the transport's packet counters into the exporter's self-metrics.
    nonisolated func syncStatistics() {
        guard let metrics else { return }
        let (now, before) = syncedStatistics.withLockedValue { synced in
            let now = transport.statistics.snapshot
            defer { synced = now }
            return (now, synced)
        }
        metrics.packetSent(count: Int(now.packetsSent - before.packetsSent))
        metrics.packetReceived(count: Int(now.packetsReceived - before.packetsReceived))
        metrics.packetRetransmitted(count: Int(now.retransmissions - before.retransmissions))
        for (reason, total) in now.dropped {
            let delta = total - (before.dropped[reason] ?? 0)
            for _ in 0..<min(delta, 1_000_000) { metrics.packetDropped(reason: reason.rawValue) }
        }
    }

    /// Keep-alives in flight at once during a janitor pass.
    static let concurrentKeepalives = 64

    /// One janitor pass: keep-alives for idle sessions, polite close for abandoned ones.
    public func maintain() async {
        var abandoned: [Entry] = []
        var silent: [Entry] = []
        for (key, entry) in entries {
            if entry.idle >= settings.idleTimeout {
                entries[key] = nil
                abandoned.append(entry)
            } else if settings.keepaliveInterval > .zero, entry.silent >= settings.keepaliveInterval {
                silent.append(entry)
            }
        }
        for entry in abandoned {
            entry.cancelColdStart()
            if entry.client.isConnected {
                await entry.client.close()
                metrics?.sessionClosed()
            }
            logger.debug("closed idle session", metadata: ["target": "\(entry.target)"])
        }
        // Each keep-alive runs on its session's event loop, where the request and its answer are handled anyway:
        // sent one after another from this actor, each cost two thread switches each way and several times the
        // request itself.
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

    /// One Get Device ID on an idle session; a session the BMC has forgotten is dropped, so the next scrape opens a
    /// new one.
    private static func keepAlive(_ entry: Entry, metrics: ExporterMetrics?, logger: Logger) async {
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

    /// Closes every session (shutdown).
    public func closeAll() async {
        let all = entries.values
        entries = [:]
        for entry in all { entry.cancelColdStart() }
        await withTaskGroup(of: Void.self) { group in
            for entry in all {
                group.addTask {
                    if entry.client.isConnected {
                        await entry.client.close()
                    }
                }
            }
        }
        syncStatistics()
    }
}
