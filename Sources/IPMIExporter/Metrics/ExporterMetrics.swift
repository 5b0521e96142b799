import NIOConcurrencyHelpers
import PrometheusText

/// How one scrape of a target ended, as counted in the self-metrics.
public enum ScrapeOutcome: String, Sendable, Hashable, CaseIterable {
    /// Every collector finished.
    case success
    /// Some collectors failed or did not finish before the deadline; what was collected was served.
    case partial
    /// Nothing could be collected (BMC unreachable, authentication failed, …).
    case failure
    /// The deadline passed before the collection returned.
    case timeout
    /// Refused without contacting the BMC: the exporter was shutting down or the request was cancelled.
    case cancelled
}

/// The exporter's own metrics, served on `/metrics`. Every part of the exporter (HTTP listener, coordinator,
/// session cache, transport, SDR cache) holds the same instance and increments it; all methods are thread-safe
/// and cheap (one lock, no allocation on the hot counters).
///
/// `reason` labels must come from a small fixed vocabulary (e.g. `timeout`, `auth`, `malformed`); to keep a
/// misbehaving caller from growing memory without bound, each labelled metric keeps at most
/// ``maxLabelValues`` distinct values and counts the rest under `other`.
public final class ExporterMetrics: Sendable {
    public static let maxLabelValues = 64

    /// Upper bounds of the scrape duration histogram, in seconds.
    public static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct Histogram {
        var counts: [UInt64] = Array(repeating: 0, count: ExporterMetrics.durationBuckets.count)
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private struct State {
        var scrapes: [Pair: UInt64] = [:]  // (module, outcome)
        var durations: [String: Histogram] = [:]  // outcome
        var scrapesInFlight = 0
        var scrapesShared: UInt64 = 0
        var sessionsOpen = 0
        var handshakes: [String: UInt64] = [:]  // result
        var rehandshakes: UInt64 = 0
        var coldStartsWaiting = 0
        var coldStartsRunning = 0
        var coldStartsAdmitted: UInt64 = 0
        var coldStartsRefused: UInt64 = 0
        var packetsSent: UInt64 = 0
        var packetsReceived: UInt64 = 0
        var packetsRetransmitted: UInt64 = 0
        var packetsDropped: [String: UInt64] = [:]  // reason
        var sdrCacheHits: UInt64 = 0
        var sdrCacheMisses: UInt64 = 0
        var errors: [String: UInt64] = [:]  // reason
        var httpRequests: [Pair: UInt64] = [:]  // (handler, code)
        var reloadSuccessful = true
        var reloadTimestamp: Double = 0
    }

    private struct Pair: Hashable {
        var first: String
        var second: String
    }

    private let state = NIOLockedValueBox(State())
    private let version: String
    private let revision: String
    private let swiftVersion: String
    private let processMetrics: @Sendable () -> [MetricFamily]
    /// Run at the start of every ``families()``, to bring in counters kept elsewhere (the transport's packets).
    private let refreshers = NIOLockedValueBox<[@Sendable () -> Void]>([])

    /// - Parameters:
    ///   - version: this program's version, for `ipmi_exporter_build_info`.
    ///   - processMetrics: the `process_*` families; by default read from `/proc/self` on each call.
    public init(
        version: String = ExporterVersion.current, revision: String = ExporterVersion.revision,
        swiftVersion: String = ExporterVersion.swift,
        processMetrics: @escaping @Sendable () -> [MetricFamily] = { ProcessMetrics.collect() }
    ) {
        self.version = version
        self.revision = revision
        self.swiftVersion = swiftVersion
        self.processMetrics = processMetrics
    }

    // MARK: Scrapes (ScrapeCoordinator)

    public func scrapeStarted() {
        state.withLockedValue { $0.scrapesInFlight += 1 }
    }

    public func scrapeFinished(module: String, outcome: ScrapeOutcome, duration: Duration) {
        let seconds = duration.seconds
        state.withLockedValue { state in
            state.scrapesInFlight -= 1
            let key = Pair(first: module, second: outcome.rawValue)  // modules come from the config: bounded
            state.scrapes[key, default: 0] += 1
            var histogram = state.durations[outcome.rawValue] ?? Histogram()
            for (index, bound) in Self.durationBuckets.enumerated() where seconds <= bound {
                histogram.counts[index] += 1
            }
            histogram.sum += seconds
            histogram.count += 1
            state.durations[outcome.rawValue] = histogram
        }
    }

    /// A request joined a collection of the same target that was already running.
    public func scrapeShared() {
        state.withLockedValue { $0.scrapesShared += 1 }
    }

    // MARK: Sessions and transport (session cache, IPMIClient)

    public func sessionOpened() {
        state.withLockedValue { $0.sessionsOpen += 1 }
    }

    public func sessionClosed() {
        state.withLockedValue { $0.sessionsOpen = max(0, $0.sessionsOpen - 1) }
    }

    /// Sets the open-session gauge outright, for a cache that knows its own size.
    public func setSessionsOpen(_ count: Int) {
        state.withLockedValue { $0.sessionsOpen = max(0, count) }
    }

    /// An RMCP+ session establishment (Open Session + RAKP 1–4) finished.
    public func handshake(succeeded: Bool) {
        state.withLockedValue { $0.handshakes[succeeded ? "success" : "failure", default: 0] += 1 }
    }

    /// A session the BMC had dropped was established again.
    public func rehandshake() {
        state.withLockedValue { $0.rehandshakes += 1 }
    }

    /// The cold-start queue's current size (see ``ColdStartQueue``).
    public func setColdStarts(waiting: Int, running: Int) {
        state.withLockedValue { state in
            state.coldStartsWaiting = max(0, waiting)
            state.coldStartsRunning = max(0, running)
        }
    }

    /// A cold start (handshake and SDR download) was given a slot.
    public func coldStartAdmitted() {
        state.withLockedValue { $0.coldStartsAdmitted += 1 }
    }

    /// A cold start turned away because the queue was full (see ``ColdStartQueue/maxWaiting``).
    public func coldStartRefused() {
        state.withLockedValue { $0.coldStartsRefused += 1 }
    }

    public func packetSent(count: Int = 1) {
        state.withLockedValue { $0.packetsSent += UInt64(count) }
    }

    public func packetReceived(count: Int = 1) {
        state.withLockedValue { $0.packetsReceived += UInt64(count) }
    }

    public func packetRetransmitted(count: Int = 1) {
        state.withLockedValue { $0.packetsRetransmitted += UInt64(count) }
    }

    /// A received packet was discarded; `reason` e.g. `malformed`, `integrity`, `unknown_session`, `stale`.
    public func packetDropped(reason: String) {
        state.withLockedValue { state in
            state.packetsDropped[Self.bounded(reason, in: state.packetsDropped.keys), default: 0] += 1
        }
    }

    // MARK: SDR cache

    public func sdrCacheHit() {
        state.withLockedValue { $0.sdrCacheHits += 1 }
    }

    public func sdrCacheMiss() {
        state.withLockedValue { $0.sdrCacheMisses += 1 }
    }

    // MARK: Errors, HTTP, config

    /// An error worth counting; `reason` e.g. `timeout`, `auth`, `session_lost`, `completion_code`, `unsupported`.
    public func error(reason: String) {
        state.withLockedValue { state in
            state.errors[Self.bounded(reason, in: state.errors.keys), default: 0] += 1
        }
    }

    /// An HTTP request was answered; `handler` is the route (`/ipmi`, `/metrics`, … or `other`).
    public func httpRequest(handler: String, code: Int) {
        state.withLockedValue { state in
            state.httpRequests[Pair(first: handler, second: String(code)), default: 0] += 1
        }
    }

    public func configReloaded(successfully: Bool, at secondsSinceEpoch: Double) {
        state.withLockedValue { state in
            state.reloadSuccessful = successfully
            if successfully { state.reloadTimestamp = secondsSinceEpoch }
        }
    }

    // MARK: Reading

    /// Adds work to run before the metrics are read: counters that are cheaper to copy in when someone looks than
    /// to update on every event.
    public func addRefresher(_ refresh: @escaping @Sendable () -> Void) {
        refreshers.withLockedValue { $0.append(refresh) }
    }

    /// The current value of every self-metric, in a fixed order.
    public func families() -> [MetricFamily] {
        for refresh in refreshers.withLockedValue({ $0 }) { refresh() }
        let state = state.withLockedValue { $0 }
        var families: [MetricFamily] = [
            MetricFamily(
                name: "ipmi_exporter_build_info",
                help:
                    "A constant 1, labelled with this exporter's version and git commit and the Swift compiler's version.",
                type: .gauge,
                samples: [Sample(["version": version, "revision": revision, "swift_version": swiftVersion], 1)])
        ]
        families.append(
            MetricFamily(
                name: "ipmi_exporter_scrapes_total", help: "Collections of a target, by module and outcome.",
                type: .counter,
                samples: state.scrapes.sorted { ($0.key.first, $0.key.second) < ($1.key.first, $1.key.second) }
                    .map { Sample(["module": $0.key.first, "outcome": $0.key.second], Double($0.value)) }))
        var durationSamples: [Sample] = []
        for (outcome, histogram) in state.durations.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Self.durationBuckets.enumerated() {
                durationSamples.append(
                    Sample(
                        labels: [Label("outcome", outcome), Label("le", TextFormat.formatValue(bound))],
                        value: Double(histogram.counts[index]), nameSuffix: "_bucket"))
            }
            durationSamples.append(
                Sample(
                    labels: [Label("outcome", outcome), Label("le", "+Inf")], value: Double(histogram.count),
                    nameSuffix: "_bucket"))
            durationSamples.append(
                Sample(labels: [Label("outcome", outcome)], value: histogram.sum, nameSuffix: "_sum"))
            durationSamples.append(
                Sample(labels: [Label("outcome", outcome)], value: Double(histogram.count), nameSuffix: "_count"))
        }
        families.append(
            MetricFamily(
                name: "ipmi_exporter_scrape_duration_seconds", help: "Time to collect a target, by outcome.",
                type: .histogram, samples: durationSamples))
        families += [
            .gauge(
                "ipmi_exporter_scrapes_in_flight", help: "Collections of targets running now.",
                value: Double(state.scrapesInFlight)),
            counter(
                "ipmi_exporter_scrapes_shared_total",
                help: "Requests served by joining a collection of the same target already running.",
                state.scrapesShared),
            .gauge(
                "ipmi_exporter_sessions_open", help: "RMCP+ sessions currently open to BMCs.",
                value: Double(state.sessionsOpen)),
            labelled(
                "ipmi_exporter_handshakes_total", help: "RMCP+ session establishments, by result.", label: "result",
                state.handshakes),
            counter(
                "ipmi_exporter_rehandshakes_total", help: "Sessions established again after the BMC dropped them.",
                state.rehandshakes),
            .gauge(
                "ipmi_exporter_cold_starts_waiting",
                help: "Cold starts (session handshake, SDR repository read) waiting for a slot.",
                value: Double(state.coldStartsWaiting)),
            .gauge(
                "ipmi_exporter_cold_starts_running", help: "Cold starts running now.",
                value: Double(state.coldStartsRunning)),
            counter(
                "ipmi_exporter_cold_starts_total", help: "Cold starts given a slot.", state.coldStartsAdmitted),
            counter(
                "ipmi_exporter_cold_starts_refused_total",
                help: "Cold starts turned away because the cold-start queue was full.", state.coldStartsRefused),
            counter("ipmi_exporter_packets_sent_total", help: "UDP packets sent to BMCs.", state.packetsSent),
            counter(
                "ipmi_exporter_packets_received_total", help: "UDP packets received from BMCs.", state.packetsReceived),
            counter(
                "ipmi_exporter_packets_retransmitted_total", help: "Requests sent again after no answer came.",
                state.packetsRetransmitted),
            labelled(
                "ipmi_exporter_packets_dropped_total", help: "Received packets discarded, by reason.", label: "reason",
                state.packetsDropped),
            counter(
                "ipmi_exporter_sdr_cache_hits_total", help: "Scrapes that used the cached SDR repository.",
                state.sdrCacheHits),
            counter(
                "ipmi_exporter_sdr_cache_misses_total", help: "Scrapes that had to read the SDR repository.",
                state.sdrCacheMisses),
            labelled("ipmi_exporter_errors_total", help: "Errors, by reason.", label: "reason", state.errors),
            MetricFamily(
                name: "ipmi_exporter_http_requests_total", help: "HTTP requests answered, by handler and status code.",
                type: .counter,
                samples: state.httpRequests.sorted { ($0.key.first, $0.key.second) < ($1.key.first, $1.key.second) }
                    .map { Sample(["handler": $0.key.first, "code": $0.key.second], Double($0.value)) }),
            .gauge(
                "ipmi_exporter_config_last_reload_successful", help: "1 if the last config (re)load succeeded.",
                value: state.reloadSuccessful ? 1 : 0),
            .gauge(
                "ipmi_exporter_config_last_reload_success_timestamp_seconds",
                help: "When the config was last loaded successfully, in seconds since the epoch.",
                value: state.reloadTimestamp),
        ]
        families += processMetrics()
        return families
    }

    private func counter(_ name: String, help: String, _ value: UInt64) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .counter, samples: [Sample(value: Double(value))])
    }

    private func labelled(_ name: String, help: String, label: String, _ values: [String: UInt64]) -> MetricFamily {
        MetricFamily(
            name: name, help: help, type: .counter,
            samples: values.sorted { $0.key < $1.key }.map {
                Sample(labels: [Label(label, $0.key)], value: Double($0.value))
            })
    }

    private static func bounded<S: Sequence>(_ value: String, in existing: S) -> String where S.Element == String {
        var count = 0
        for key in existing {
            if key == value { return value }
            count += 1
        }
        return count < maxLabelValues ? value : "other"
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
