import IPMI
import IPMIClient
import Logging
import Synchronization

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
        /// Sessions idle for this long get a Get Device ID so the BMC does not expire them.
        public var keepaliveInterval: Duration = .seconds(20)
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
    }

    final class Entry: Sendable {
        let client: IPMIClient
        let sdr: SDRCache
        let target: String
        /// Held by the collection using the session (see ``IPMIScraper``).
        let gate = AsyncSlots(limit: 1)
        private let lastUsed = Mutex(ContinuousClock.now)
        /// Last scrape or keep-alive: a session is kept alive once per keep-alive interval of silence, not on
        /// every janitor pass (which would send 4 keep-alives a minute to a target scraped every 60 s).
        private let lastHeard = Mutex(ContinuousClock.now)

        init(client: IPMIClient, sdr: SDRCache, target: String) {
            self.client = client
            self.sdr = sdr
            self.target = target
        }

        func touch() {
            lastUsed.withLock { $0 = .now }
            keptAlive()
        }
        func keptAlive() { lastHeard.withLock { $0 = .now } }
        var idle: Duration { lastUsed.withLock { ContinuousClock.now - $0 } }
        var silent: Duration { lastHeard.withLock { ContinuousClock.now - $0 } }
    }

    public let transport: IPMITransport
    private let settings: Settings
    private let metrics: ExporterMetrics?
    private let logger: Logger
    private var entries: [Key: Entry] = [:]
    private var syncedStatistics = TransportStatistics.Snapshot()

    public init(transport: IPMITransport, settings: Settings = Settings(), metrics: ExporterMetrics?, logger: Logger) {
        self.transport = transport
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    public var count: Int { entries.count }

    /// The entry for a target and module, created (not yet connected) on first use.
    func entry(host: String, port: Int, module: ModuleConfig) throws -> Entry {
        let key = Key(
            host: host, port: port, user: module.user, password: module.password.bytes, kg: module.kg?.bytes,
            privilege: module.privilege.ipmiValue, cipherSuite: module.cipherSuite, bridge: module.bridge)
        if let entry = entries[key] {
            entry.touch()
            return entry
        }
        var logger = self.logger
        logger[metadataKey: "target"] = "\(host):\(port)"
        let client = try IPMIClient(
            host: host, port: port, username: module.user,
            password: String(decoding: module.password.bytes, as: UTF8.self),
            kg: module.kg?.bytes,
            cipherSuite: module.cipherSuite.flatMap { CipherSuite(id: $0) },
            privilege: IPMI.PrivilegeLevel(rawValue: module.privilege.ipmiValue) ?? .operator,
            bridge: module.bridge.map { BridgeTarget(channel: $0.channel, address: $0.targetAddress) },
            options: settings.clientOptions, transport: transport, logger: logger)
        let entry = Entry(client: client, sdr: SDRCache(metrics: metrics), target: "\(host):\(port)")
        entries[key] = entry
        return entry
    }

    /// The gate that lets one collection at a time use a target's session; nil when the module cannot make one
    /// (the collection then reports that error itself).
    func collectionGate(host: String, port: Int, module: ModuleConfig) -> AsyncSlots? {
        try? entry(host: host, port: port, module: module).gate
    }

    /// Copies the transport's packet counters into the exporter's self-metrics.
    func syncStatistics() {
        guard let metrics else { return }
        let now = transport.statistics.snapshot
        let before = syncedStatistics
        syncedStatistics = now
        metrics.packetSent(count: Int(now.packetsSent - before.packetsSent))
        metrics.packetReceived(count: Int(now.packetsReceived - before.packetsReceived))
        metrics.packetRetransmitted(count: Int(now.retransmissions - before.retransmissions))
        for (reason, total) in now.dropped {
            let delta = total - (before.dropped[reason] ?? 0)
            for _ in 0..<min(delta, 1_000_000) { metrics.packetDropped(reason: reason.rawValue) }
        }
    }

    /// One janitor pass: keep-alives for idle sessions, polite close for abandoned ones.
    public func maintain() async {
        for (key, entry) in entries {
            let idle = entry.idle
            if idle >= settings.idleTimeout {
                entries[key] = nil
                if await entry.client.isConnected {
                    await entry.client.close()
                    metrics?.sessionClosed()
                }
                logger.debug("closed idle session", metadata: ["target": "\(entry.target)"])
            } else if entry.silent >= settings.keepaliveInterval, await entry.client.isConnected {
                let ok: Bool
                do {
                    let deadline = ContinuousClock.now + .seconds(3)
                    _ = try await IPMIDeadline.$current.withValue(deadline) {
                        try await entry.client.request(netFn: .app, command: 0x01, data: [], lun: 0)
                    }
                    ok = true
                    entry.keptAlive()
                } catch {
                    ok = false
                }
                if !ok {
                    // The BMC has forgotten the session; the next scrape opens a new one.
                    await entry.client.reset()
                    metrics?.sessionClosed()
                    logger.debug("keep-alive failed, session dropped", metadata: ["target": "\(entry.target)"])
                }
            }
        }
        syncStatistics()
    }

    /// Closes every session (shutdown).
    public func closeAll() async {
        let all = entries.values
        entries = [:]
        await withTaskGroup(of: Void.self) { group in
            for entry in all {
                group.addTask {
                    if await entry.client.isConnected {
                        await entry.client.close()
                    }
                }
            }
        }
        syncStatistics()
    }
}
