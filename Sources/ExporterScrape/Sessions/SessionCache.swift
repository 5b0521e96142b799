import ExporterCollectors
import IPMIClient
import IPMIExporter
import IPMISensors
import Logging

/// The sessions kept between scrapes, made of its three concerns over one UDP transport and one clock:
///
/// - ``sessions`` (``SessionMap``): one live session per target and credentials, with its SDR repository cache;
/// - ``admission`` (``ColdStartAdmission``): opening a session and reading its repository, through the exporter-wide
///   bound on cold starts;
/// - ``janitor`` (``SessionJanitor``): keep-alives for silent sessions and the close of idle ones.
public final class SessionCache: Sendable {
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

    public let sessions: SessionMap
    public let admission: ColdStartAdmission
    public let janitor: SessionJanitor
    /// What keep-alives, idle close, cold-start priority and the scraper's deadline waits read the time from.
    public let clock: any ExporterClock

    public init(
        transport: IPMITransport, settings: Settings = Settings(), metrics: ExporterMetrics?, logger: Logger,
        clock: any ExporterClock = RealClock()
    ) {
        let queue = ColdStartQueue(
            limit: settings.maxConcurrentColdStarts, maxWaiting: settings.maxQueuedColdStarts, metrics: metrics)
        let sessions = SessionMap(
            transport: transport, clientOptions: settings.clientOptions, sdrLimits: settings.sdrLimits,
            coldStarts: queue, metrics: metrics, logger: logger, clock: clock)
        self.sessions = sessions
        self.admission = ColdStartAdmission(
            queue: queue, probeTimeout: settings.clientOptions.requestTimeout * 2, metrics: metrics)
        self.janitor = SessionJanitor(
            sessions: sessions, idleTimeout: settings.idleTimeout, keepaliveInterval: settings.keepaliveInterval,
            clock: clock, metrics: metrics, logger: logger)
        self.clock = clock
    }

    public var transport: IPMITransport { sessions.transport }
    /// Bounds the handshakes and SDR downloads running at once over all targets.
    public var coldStarts: ColdStartQueue { admission.queue }
    public var count: Int { get async { await sessions.count } }

    /// One janitor pass (``SessionJanitor/pass()``).
    public func maintain() async { await janitor.pass() }

    /// Closes every session (shutdown).
    public func closeAll() async { await sessions.closeAll() }
}
