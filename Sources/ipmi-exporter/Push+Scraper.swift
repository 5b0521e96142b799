import IPMIExporter
import Logging
import PrometheusText
import Pushgateway
import ServiceLifecycle

/// What `push` scrapes with: the config, the same scraper and coordinator as `serve` (so the same
/// collectors, sessions and metric names), and the services that scraper needs running.
struct PushScrapeBackend: Sendable {
    var config: ExporterConfig
    var scraper: CoordinatorBatchScraper
    var services: [any Service]

    /// Loads the config file and sets up the scraper; throws the config error for exit status 2.
    static func load(configFile: String, logger: Logger) async throws -> PushScrapeBackend {
        let config = try ConfigStore.initial(path: configFile)
        for warning in config.warnings {
            logger.warning("Config: \(warning)")
        }
        let metrics = ExporterMetrics()
        let setup = try await makeScraper(config: config, metrics: metrics, logger: logger)
        let coordinator = ScrapeCoordinator(
            scraper: setup.scraper, maxConcurrent: config.settings.maxConcurrentScrapes, metrics: metrics,
            logger: logger)
        return PushScrapeBackend(
            config: config, scraper: CoordinatorBatchScraper(config: config, coordinator: coordinator),
            services: setup.services)
    }

    /// The config's `targets:` list, each with its own module.
    var configTargets: [BatchTarget] {
        config.targets.map { BatchTarget($0.name, module: $0.module) }
    }

    /// Runs the scraper's services (transport, session janitor) around `body`, then shuts them down
    /// gracefully, which closes every BMC session before the process exits.
    func withServices<T: Sendable>(logger: Logger, _ body: () async -> T) async throws -> T {
        guard !services.isEmpty else { return await body() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result = await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}

/// A `BatchScraper` over the exporter's `ScrapeCoordinator`: the body is what `/ipmi?target=…&module=…`
/// serves, `ipmi_up{collector}` included.
struct CoordinatorBatchScraper: BatchScraper {
    let config: ExporterConfig
    let coordinator: ScrapeCoordinator

    func scrape(target: String, module: String, timeout: Duration?) async -> BatchScrapeResult {
        guard let moduleConfig = config.module(named: module) else {
            let down = MetricFamily.gauge(ScrapeMetricNames.up, help: ScrapeMetricNames.upHelp, value: 0)
            return BatchScrapeResult(body: PrometheusText.render([down]), up: false, error: "unknown module \(module)")
        }
        let scrapeTarget: ScrapeTarget
        do {
            scrapeTarget = try ScrapeTarget(parsing: target)
        } catch {
            let down = ScrapeMetricNames.upFamily(moduleConfig.collectors.map { ($0, false) })
            return BatchScrapeResult(body: PrometheusText.render([down]), up: false, error: "bad target: \(error)")
        }
        let deadline = ContinuousClock.now + (timeout ?? moduleConfig.timeout)
        let result = await coordinator.scrape(target: scrapeTarget, module: moduleConfig, deadline: deadline)
        let upSamples = result.families.filter { $0.name == ScrapeMetricNames.up }.flatMap(\.samples)
        let down = upSamples.filter { $0.value != 1 }.compactMap { $0.labels.first { $0.name == "collector" }?.value }
        let up = !upSamples.isEmpty && down.isEmpty
        var error: String?
        if !up {
            error =
                "\(result.outcome.rawValue)" + (down.isEmpty ? "" : ": collectors down: \(down.joined(separator: ","))")
        }
        return BatchScrapeResult(body: PrometheusText.render(result.families), up: up, error: error)
    }
}
