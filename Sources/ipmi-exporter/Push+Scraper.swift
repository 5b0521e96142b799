import IPMIClient
import IPMIExporter
import Logging
import PrometheusText
import Pushgateway

/// Where `push` gets its scraper and the config's targets: the same config loader, collectors and session
/// code as `serve`, with one session per BMC kept for the whole run and closed at the end.
struct PushScrapeBackend: Sendable {
    var scraper: any BatchScraper
    /// The config's `targets:` list, used when the command line names no target.
    var configTargets: [String]

    static func load(configFile: String, logger: Logger) async throws -> PushScrapeBackend {
        let config = try ConfigLoader.load(file: configFile)
        for warning in config.warnings {
            logger.warning("\(warning)")
        }
        let transport = try await IPMITransport.bindAll(logger: logger)
        let cache = SessionCache(transport: transport, metrics: nil, logger: logger)
        let scraper = CollectorBatchScraper(
            config: config, scraper: IPMIScraper(cache: cache, metrics: nil, logger: logger), cache: cache)
        return PushScrapeBackend(
            scraper: scraper, configTargets: config.targets.map(\.name))
    }
}

/// Scrapes one target with the exporter's collectors and renders what `/ipmi?target=` would serve.
struct CollectorBatchScraper: BatchScraper {
    let config: ExporterConfig
    let scraper: IPMIScraper
    let cache: SessionCache

    func scrape(target: String, module: String, timeout: Duration) async -> BatchScrapeResult {
        // The config's `targets:` entry decides the module unless the command line named one.
        let configured = config.targets.first { $0.name == target }?.module
        let moduleName = module.isEmpty ? (configured ?? "default") : module
        guard let moduleConfig = config.module(named: moduleName) else {
            return Self.down("unknown module '\(moduleName)'")
        }
        let parsed: ScrapeTarget
        do {
            parsed = try ScrapeTarget(parsing: target)
        } catch {
            return Self.down("invalid target '\(target)': \(error)")
        }
        let deadline = ContinuousClock.now + min(timeout, moduleConfig.timeout)
        let families = await scraper.scrape(ScrapeRequest(target: parsed, module: moduleConfig, deadline: deadline))
        let up = families.first { $0.name == "ipmi_up" }?.samples ?? []
        let down = up.filter { $0.value != 1 }.compactMap { $0.labels.first { $0.name == "collector" }?.value }
        return BatchScrapeResult(
            body: PrometheusText.render(families), up: !up.isEmpty && down.isEmpty,
            error: down.isEmpty ? nil : "collectors down: " + down.joined(separator: ", "))
    }

    func close() async {
        await cache.closeAll()
        await cache.transport.close()
    }

    private static func down(_ reason: String) -> BatchScrapeResult {
        BatchScrapeResult(
            body: "# HELP ipmi_up 1 if the collector could read from the BMC, 0 if it could not.\n"
                + "# TYPE ipmi_up gauge\nipmi_up 0\n",
            up: false, error: reason)
    }
}
