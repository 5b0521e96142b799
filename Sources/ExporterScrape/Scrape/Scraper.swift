import IPMIExporter
import PrometheusText

/// One collection the coordinator asks for: which BMC, with which module, and by when it must be answered.
public struct ScrapeRequest: Sendable {
    public var target: ScrapeTarget
    public var module: ModuleConfig
    /// Return what was collected by this instant, with `ipmi_up{collector} 0` for collectors that did not
    /// finish; the coordinator stops waiting at this instant.
    public var deadline: ContinuousClock.Instant

    public init(target: ScrapeTarget, module: ModuleConfig, deadline: ContinuousClock.Instant) {
        self.target = target
        self.module = module
        self.deadline = deadline
    }
}

/// How one collector of a scrape ended.
public struct CollectorStatus: Sendable, Equatable {
    public var collector: CollectorName
    public var up: Bool
    /// Why it is down, in the words of `ipmi_exporter_errors_total{reason}` (`timeout`, `authentication`,
    /// `cold_start`, …) or `cancelled`; nil when it is up.
    public var reason: String?

    public init(_ collector: CollectorName, up: Bool, reason: String? = nil) {
        self.collector = collector
        self.up = up
        self.reason = up ? nil : reason
    }
}

/// What a scrape found: the collectors' metric families, how each collector ended, and how long it took. The
/// exposition (``exposition``) is made from it, and the coordinator's outcome (``outcome``), without looking into the
/// families.
public struct ScrapeReport: Sendable {
    /// The families of the collectors that succeeded, in the module's collector order.
    public var families: [MetricFamily]
    /// Every collector of the module, in its order.
    public var collectors: [CollectorStatus]
    public var duration: Duration

    public init(families: [MetricFamily], collectors: [CollectorStatus], duration: Duration) {
        self.families = families
        self.collectors = collectors
        self.duration = duration
    }

    /// The answer when no collector could run: each of `collectors` down for `reason`. The one place that answer is
    /// made, whoever gives it (the coordinator at the deadline, the scraper when the BMC cannot be reached).
    public static func allDown(_ collectors: [CollectorName], reason: String, duration: Duration) -> ScrapeReport {
        ScrapeReport(
            families: [], collectors: collectors.map { CollectorStatus($0, up: false, reason: reason) },
            duration: duration)
    }

    /// What `/ipmi` serves: the families, `ipmi_up` per collector, then `ipmi_scrape_duration_seconds`.
    public var exposition: [MetricFamily] {
        families + [
            ScrapeMetricNames.upFamily(collectors.map { ($0.collector, $0.up) }),
            ScrapeMetricNames.durationFamily(duration),
        ]
    }

    /// Success if every collector is up (or there are none), failure if none is, partial otherwise.
    public var outcome: ScrapeOutcome {
        if collectors.allSatisfy(\.up) { return .success }
        if !collectors.contains(where: \.up) { return .failure }
        return .partial
    }

    /// The collectors that are down, in order.
    public var down: [CollectorName] { collectors.filter { !$0.up }.map(\.collector) }
}

/// What ``Scraper/prepare(_:)`` decided.
public enum Preparation<Prepared: Sendable>: Sendable {
    /// Collect, with what preparing found (the target's session, say), once the coordinator gives a slot.
    case collect(Prepared)
    /// No collection: this is the answer.
    case answered(ScrapeReport)
}

/// What turns a ``ScrapeRequest`` into a ``ScrapeReport``: the collectors over a cached session, or a test double.
/// It must not throw: failures become collectors down with a reason. It should honour task cancellation.
public protocol Scraper: Sendable {
    /// What ``prepare(_:)`` hands to ``scrape(_:prepared:)``: looked up once per scrape.
    associatedtype Prepared: Sendable = Void

    /// Called before the collection takes one of the coordinator's slots: finds what the target needs and waits for
    /// whatever it needs first (a cold start), so a target that waits holds no slot. By default there is nothing to
    /// wait for.
    func prepare(_ request: ScrapeRequest) async -> Preparation<Prepared>
    func scrape(_ request: ScrapeRequest, prepared: Prepared) async -> ScrapeReport
}

extension Scraper where Prepared == Void {
    public func prepare(_ request: ScrapeRequest) async -> Preparation<Void> { .collect(()) }
}

/// A ``Scraper`` made from a closure.
public struct ClosureScraper: Scraper {
    private let body: @Sendable (ScrapeRequest) async -> ScrapeReport

    public init(_ body: @escaping @Sendable (ScrapeRequest) async -> ScrapeReport) {
        self.body = body
    }

    public func scrape(_ request: ScrapeRequest, prepared: Void) async -> ScrapeReport {
        await body(request)
    }
}

/// Names and help texts of the two metrics every ipmi_exporter scrape carries, shared by ``ScrapeReport`` and the
/// collectors.
public enum ScrapeMetricNames {
    public static let up = "ipmi_up"
    public static let upHelp = "1 if the collector could read from the BMC, 0 if it could not."
    public static let duration = "ipmi_scrape_duration_seconds"
    public static let durationHelp = "Time taken to collect from the BMC, in seconds."

    /// `ipmi_up{collector}` with one value for every collector named.
    public static func upFamily(_ collectors: [(CollectorName, Bool)]) -> MetricFamily {
        MetricFamily(
            name: up, help: upHelp, type: .gauge,
            samples: collectors.map { Sample(["collector": $0.0.rawValue], $0.1 ? 1 : 0) })
    }

    public static func durationFamily(_ duration: Duration) -> MetricFamily {
        .gauge(Self.duration, help: durationHelp, value: duration.seconds)
    }
}
