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

/// What turns a ``ScrapeRequest`` into metric families: the collectors over a cached session, or a test double.
/// It must not throw: failures become `ipmi_up{collector} 0`. It should honour task cancellation.
public protocol Scraper: Sendable {
    /// Called before the collection takes one of the coordinator's slots: waits for whatever the target needs
    /// first (a cold start), so a target that waits holds no slot. Nil: go on to ``scrape(_:)``; families: the
    /// answer (`ipmi_up 0`), and no collection. By default there is nothing to wait for.
    func prepare(_ request: ScrapeRequest) async -> [MetricFamily]?
    func scrape(_ request: ScrapeRequest) async -> [MetricFamily]
}

extension Scraper {
    public func prepare(_ request: ScrapeRequest) async -> [MetricFamily]? { nil }
}

/// A ``Scraper`` made from a closure.
public struct ClosureScraper: Scraper {
    private let body: @Sendable (ScrapeRequest) async -> [MetricFamily]

    public init(_ body: @escaping @Sendable (ScrapeRequest) async -> [MetricFamily]) {
        self.body = body
    }

    public func scrape(_ request: ScrapeRequest) async -> [MetricFamily] {
        await body(request)
    }
}

/// Names and help texts of the two metrics every ipmi_exporter scrape carries, shared by the coordinator
/// (which writes them itself when a collection misses its deadline) and the collectors.
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
