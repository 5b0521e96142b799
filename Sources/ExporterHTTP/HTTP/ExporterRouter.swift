import ExporterScrape
import IPMIExporter
import Logging
import NIOCore
import NIOHTTP1
import PrometheusText

/// Answers the exporter's routes; independent of NIO channels so it can be tested by calling it.
///
/// | route | methods | answer |
/// |---|---|---|
/// | `/ipmi?target=H[:P]&module=M` | GET, HEAD | one BMC scraped with module M (default `default`) |
/// | `/metrics?target=…&module=…` | GET, HEAD | the same |
/// | `/metrics` | GET, HEAD | self-metrics, every target of the `targets:` list labelled `target`, and with local collection on, this machine's BMC (module `default`, no `target` label) |
/// | `/` | GET, HEAD | landing page |
/// | `/-/healthy`, `/-/ready` | GET, HEAD | liveness, readiness |
/// | `/-/reload` | POST, PUT | re-read the config file; a bad file is rejected (500) and the old config kept |
public final class ExporterRouter: Sendable {
    public let configStore: ConfigStore
    public let coordinator: ScrapeCoordinator
    public let metrics: ExporterMetrics
    private let logger: Logger
    private let readiness: @Sendable () -> Bool
    private let web: WebConfigStore?
    /// Whether `/metrics` without a target collects this machine's BMC, as ipmi_exporter's local mode does.
    public let localCollection: Bool

    /// `web` (the web config file): its rate limit and basic auth guard every route, its headers go on every
    /// answer, and `/-/reload` re-reads it with the main config.
    public init(
        configStore: ConfigStore, coordinator: ScrapeCoordinator, metrics: ExporterMetrics, logger: Logger,
        readiness: @escaping @Sendable () -> Bool = { true }, web: WebConfigStore? = nil, localCollection: Bool = false
    ) {
        self.localCollection = localCollection
        self.configStore = configStore
        self.coordinator = coordinator
        self.metrics = metrics
        self.logger = logger
        self.readiness = readiness
        self.web = web
    }

    static let scrapeMethods: [HTTPMethod] = [.GET, .HEAD]

    public func respond(to request: ExporterRequest) async -> ExporterResponse {
        var response: ExporterResponse
        let web = self.web?.current
        if let limiter = web?.rateLimiter, !limiter.allow() {
            // As exporter-toolkit: before authentication (which may cost a bcrypt) and without the extra headers.
            metrics.httpRequest(handler: Self.handlerLabel(request.path), code: 429)
            return RateLimiter.refusal
        }
        if let authenticator = web?.authenticator, case let outcome = await authenticator.authenticate(request.headers),
            outcome.user == nil
        {
            // Neither the user nor the password is logged: a password typed into the user field is common.
            logger.debug(
                "Unauthorized request",
                metadata: ["path": "\(Self.printable(request.path))", "reason": "\(outcome)"])
            response = BasicAuthenticator.challenge
            metrics.httpRequest(handler: Self.handlerLabel(request.path), code: Int(response.status.code))
        } else {
            response = await route(request)
        }
        for (name, value) in web?.responseHeaders ?? [:] {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }

    /// The `handler` label of the HTTP request counter.
    static func handlerLabel(_ path: String) -> String {
        switch path {
        case "/ipmi", "/metrics", "/-/healthy", "/-/ready", "/-/reload": path
        case "/", "": "/"
        default: "other"
        }
    }

    private func route(_ request: ExporterRequest) async -> ExporterResponse {
        let handler: String
        let response: ExporterResponse
        switch request.path {
        case "/ipmi":
            handler = "/ipmi"
            response = await scrapeRoute(request, allowSelfMetrics: false)
        case "/metrics":
            handler = "/metrics"
            response = await scrapeRoute(request, allowSelfMetrics: true)
        case "/", "":
            handler = "/"
            response = Self.only(Self.scrapeMethods, request) ?? landingPage()
        case "/-/healthy":
            handler = "/-/healthy"
            response = Self.only(Self.scrapeMethods, request) ?? .text(.ok, "Healthy")
        case "/-/ready":
            handler = "/-/ready"
            response =
                Self.only(Self.scrapeMethods, request)
                ?? (readiness() ? .text(.ok, "Ready") : .text(.serviceUnavailable, "Not ready"))
        case "/-/reload":
            handler = "/-/reload"
            response = Self.only([.POST, .PUT], request) ?? reload()
        default:
            handler = "other"
            response = .text(.notFound, "Not found: no route \(Self.printable(request.path))")
        }
        metrics.httpRequest(handler: handler, code: Int(response.status.code))
        return response
    }

    /// nil when the method is allowed, else the 405 answer naming the allowed ones.
    static func only(_ methods: [HTTPMethod], _ request: ExporterRequest) -> ExporterResponse? {
        guard !methods.contains(request.method) else { return nil }
        let allowed = methods.map(\.rawValue).joined(separator: ", ")
        return .text(
            .methodNotAllowed, "Method \(request.method.rawValue) not allowed; use \(allowed)",
            headers: ["Allow": allowed])
    }

    private func scrapeRoute(_ request: ExporterRequest, allowSelfMetrics: Bool) async -> ExporterResponse {
        if let refusal = Self.only(Self.scrapeMethods, request) { return refusal }
        let config = configStore.current
        let timeoutHeader = request.headers.first(name: "X-Prometheus-Scrape-Timeout-Seconds")
        let now = ContinuousClock.now
        guard let targetText = request.parameter("target") else {
            if allowSelfMetrics {
                return await selfMetrics(config: config, timeoutHeader: timeoutHeader, now: now)
            }
            return .text(.badRequest, "Bad request: the target parameter is missing")
        }
        let target: ScrapeTarget
        do {
            target = try ScrapeTarget(parsing: targetText)
        } catch {
            return .text(.badRequest, "Bad request: invalid target: \(error.reason)")
        }
        let moduleName = request.parameter("module").flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        // The module with the credentials of the first `credentials:` rule matching the target, if any.
        guard let module = config.module(named: moduleName, for: target) else {
            return .text(.badRequest, "Bad request: unknown module \"\(Self.printable(moduleName))\"")
        }
        let deadline = ScrapeCoordinator.deadline(
            now: now, scrapeTimeoutHeader: timeoutHeader, offset: config.settings.scrapeTimeoutOffset,
            moduleTimeout: module.timeout)
        logger.debug(
            "Scraping target",
            metadata: [
                "target": "\(target)", "module": "\(moduleName)",
                "credentials": "\(Self.credentialSource(config, target: target, module: module))",
            ])
        let result = await coordinator.scrape(target: target, module: module, deadline: deadline)
        if result.outcome == .cancelled {
            return .text(.serviceUnavailable, "Service unavailable: the scrape was cancelled")
        }
        return metricsResponse(result.families)
    }

    private func selfMetrics(
        config: ExporterConfig, timeoutHeader: String?, now: ContinuousClock.Instant
    ) async
        -> ExporterResponse
    {
        // ipmi_exporter's local collector: the `default` module's collectors, series without a target label; beside
        // the targets, not before them.
        let localModule = config.modules["default"] ?? ModuleConfig(name: "default")
        let localDeadline = ScrapeCoordinator.deadline(
            now: now, scrapeTimeoutHeader: timeoutHeader, offset: config.settings.scrapeTimeoutOffset,
            moduleTimeout: localModule.timeout)
        async let local: [MetricFamily] =
            localCollection
            ? coordinator.scrape(target: .localBMC, module: localModule, deadline: localDeadline).families : []
        var families: [MetricFamily] = []
        if !config.targets.isEmpty {
            let entries = config.targets.compactMap { entry -> (TargetConfig, ModuleConfig, ContinuousClock.Instant)? in
                guard let module = config.module(named: entry.module, for: entry.target) else { return nil }
                let deadline = ScrapeCoordinator.deadline(
                    now: now, scrapeTimeoutHeader: timeoutHeader, offset: config.settings.scrapeTimeoutOffset,
                    moduleTimeout: module.timeout)
                return (entry, module, deadline)
            }
            families = await coordinator.scrapeAll(entries.map { (config: $0.0, module: $0.1, deadline: $0.2) })
        }
        families = await local + families
        // Self-metrics last, read after the scrapes so they include them.
        families += metrics.families()
        return metricsResponse(families)
    }

    /// Which credentials a scrape uses, for the debug log: the rule's place in the config file, or the module.
    static func credentialSource(_ config: ExporterConfig, target: ScrapeTarget, module: ModuleConfig) -> String {
        guard !module.isLocal, let rule = config.credentialRule(for: target, module: module.name) else {
            return "module"
        }
        return "\(rule.location)"
    }

    private func metricsResponse(_ families: [MetricFamily]) -> ExporterResponse {
        let rendering = PrometheusText.renderReporting(families)
        if !rendering.issues.isEmpty {
            logger.debug(
                "Repaired metrics while rendering",
                metadata: ["issues": "\(rendering.issues.prefix(5).map(\.description))"])
        }
        return ExporterResponse(status: .ok, headers: ["Content-Type": TextFormat.contentType], body: rendering.text)
    }

    private func reload() -> ExporterResponse {
        let main = configStore.reload(logger: logger, metrics: metrics)
        if let error = web?.reload(logger: logger) {
            return .text(.internalServerError, "Failed to reload web config: \(error)")
        }
        switch main {
        case .success: return .text(.ok, "Config reloaded")
        case .failure(let error): return .text(.internalServerError, "Failed to reload config: \(error)")
        }
    }

    private func landingPage() -> ExporterResponse {
        let body = """
            <html>
            <head><title>IPMI Exporter</title></head>
            <body>
            <h1>IPMI Exporter</h1>
            <p>Prometheus exporter for BMCs over IPMI v2.0 / RMCP+.</p>
            <form action="/ipmi">
            <label>Target: <input type="text" name="target" placeholder="host[:port]"></label>
            <label>Module: <input type="text" name="module" value="default"></label>
            <input type="submit" value="Scrape">
            </form>
            <ul>
            <li><a href="/metrics">Exporter metrics</a></li>
            <li><a href="/-/healthy">Health</a></li>
            <li><a href="/-/ready">Readiness</a></li>
            </ul>
            </body>
            </html>

            """
        return ExporterResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: body)
    }

    /// A request-supplied string made safe to echo in a one-line plain-text answer.
    static func printable(_ text: String) -> String {
        let cleaned = String(
            String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return cleaned.count > 100 ? String(cleaned.prefix(100)) + "…" : cleaned
    }
}
