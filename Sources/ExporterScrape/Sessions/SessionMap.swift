import ExporterCollectors
import IPMI
import IPMIClient
import IPMIExporter
import IPMISensors
import Logging
import NIOConcurrencyHelpers

/// The live RMCP+ sessions kept between scrapes, one per (target, credentials, privilege, cipher suite, bridge), all on
/// one UDP transport. A scrape finds its session here already open, so it costs no handshake; the SDR repository of
/// each BMC is cached beside its session (``SessionEntry``). Opening sessions is ``ColdStartAdmission``'s; keeping them
/// alive and closing idle ones is ``SessionJanitor``'s.
public actor SessionMap {
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
        var ipmi15: Bool
        var ipmi15AuthenticationType: String?
    }

    public nonisolated let transport: IPMITransport
    private let clientOptions: ClientOptions
    private let sdrLimits: SDRLimits
    /// Given to each SDR cache, which queues its repository reads there.
    private let coldStarts: ColdStartQueue
    private let metrics: ExporterMetrics?
    private let logger: Logger
    private let clock: any ExporterClock
    private var entries: [Key: SessionEntry] = [:]
    /// The transport's counters as last copied into the metrics.
    private nonisolated let syncedStatistics = NIOLockedValueBox(TransportStatistics.Snapshot())

    init(
        transport: IPMITransport, clientOptions: ClientOptions, sdrLimits: SDRLimits, coldStarts: ColdStartQueue,
        metrics: ExporterMetrics?, logger: Logger, clock: any ExporterClock
    ) {
        self.transport = transport
        self.clientOptions = clientOptions
        self.sdrLimits = sdrLimits
        self.coldStarts = coldStarts
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        // Packet counters are copied in when the metrics are read, not after every scrape.
        metrics?.addRefresher { [weak self] in self?.syncStatistics() }
    }

    public var count: Int { entries.count }

    /// The entry for a target and module, created (not yet connected) on first use.
    func entry(host: String, port: Int, module: ModuleConfig) throws -> SessionEntry {
        let key = Key(
            host: host, port: port, user: module.user, password: module.password.bytes, kg: module.kg?.bytes,
            privilege: module.privilege.ipmiValue, cipherSuite: module.cipherSuite, bridge: module.bridge,
            workarounds: module.workaroundFlags, ipmi15: module.ipmi15,
            ipmi15AuthenticationType: module.ipmi15AuthenticationType)
        if let entry = entries[key] {
            entry.touch()
            return entry
        }
        var logger = self.logger
        logger[metadataKey: "target"] = "\(host):\(port)"
        var options = clientOptions
        options.workarounds = SessionWorkarounds(names: module.workaroundFlags)
        if module.ipmi15 {
            options.ipmi15 = IPMI15Options(
                authenticationType: module.ipmi15AuthenticationType.flatMap(IPMI15AuthenticationType.init(name:)))
        }
        let client = try IPMIClient(
            host: host, port: port, username: module.user,
            password: String(decoding: module.password.bytes, as: UTF8.self),
            kg: module.kg?.bytes,
            cipherSuite: module.cipherSuite.flatMap { CipherSuite(id: $0) },
            privilege: IPMI.PrivilegeLevel(rawValue: module.privilege.ipmiValue) ?? .operator,
            bridge: module.bridge.map { BridgeTarget(channel: $0.channel, address: $0.targetAddress) },
            // Cipher suite 0 only when the module names it (the config loader warned at start-up); negotiation
            // never picks it, since this is false for every other module.
            allowUnauthenticated: module.cipherSuite == 0,
            options: options, transport: transport, logger: logger)
        let entry = SessionEntry(
            client: client,
            sdr: SDRCache(
                metrics: metrics, coldStarts: coldStarts, limits: sdrLimits,
                assumeMaxRecordCount: SensorWorkarounds(names: module.workaroundFlags).contains(
                    .assumeMaxSDRRecordCount)),
            target: "\(host):\(port)", clock: clock)
        entries[key] = entry
        return entry
    }

    /// Takes out the entries nobody asked for in `idleTimeout` (to be closed) and lists those the BMC has not
    /// answered on in `keepaliveInterval` (to be kept alive; zero: none).
    func sweep(idleTimeout: Duration, keepaliveInterval: Duration) -> (idle: [SessionEntry], silent: [SessionEntry]) {
        var idle: [SessionEntry] = []
        var silent: [SessionEntry] = []
        for (key, entry) in entries {
            if entry.idle >= idleTimeout {
                entries[key] = nil
                idle.append(entry)
            } else if keepaliveInterval > .zero, entry.silent >= keepaliveInterval {
                silent.append(entry)
            }
        }
        return (idle, silent)
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
}
