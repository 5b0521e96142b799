import ExporterScrape
import IPMIClient
import IPMIExporter
import Logging
import PrometheusText
import Pushgateway

/// Where `push` gets its scraper and the config's targets: the same config loader, collectors and session
/// code as `serve`, with one session per BMC kept for the whole run and closed at the end.
struct PushScrapeBackend: Sendable {
    var config: ExporterConfig
    var scraper: CollectorBatchScraper

    /// Loads the config file and opens the transport; throws the config error for exit status 2.
    static func load(configFile: String, logger: Logger) async throws -> PushScrapeBackend {
        let config = try ConfigLoader.load(file: configFile)
        for warning in config.warnings {
            logger.warning("\(warning)")
        }
        let transport = try await IPMITransport.bindAll(readPacing: config.settings.readPacing, logger: logger)
        var settings = SessionCache.Settings()
        settings.clientOptions.maxOutstandingRequests = config.settings.maxOutstandingRequests
        settings.sdrLimits = config.settings.sdrLimits
        // `--concurrency` already bounds the targets scraped at once, and a one-off batch has no next scrape that a
        // queued cold start could serve: its cold starts need no bound of their own.
        settings.maxConcurrentColdStarts = 100_000
        let cache = SessionCache(transport: transport, settings: settings, metrics: nil, logger: logger)
        let scraper = CollectorBatchScraper(
            config: config, scraper: IPMIScraper(cache: cache, metrics: nil, logger: logger), cache: cache)
        return PushScrapeBackend(config: config, scraper: scraper)
    }

    /// The config's `targets:` list, each with its module, or `module` for all when given.
    func configTargets(module: String?) -> [BatchTarget] {
        config.targets.map { BatchTarget($0.name, module: module ?? $0.module) }
    }

    /// Targets named on the command line: `module` when given, else the module of the config's entry
    /// of the same name, else `default`.
    func commandLineTargets(_ names: [String], module: String?) -> [BatchTarget] {
        names.map { name in
            BatchTarget(name, module: module ?? config.targets.first { $0.name == name }?.module ?? "default")
        }
    }
}

/// Scrapes one target with the exporter's collectors and renders what `/ipmi?target=` would serve.
struct CollectorBatchScraper: BatchScraper {
    let config: ExporterConfig
    let scraper: IPMIScraper
    let cache: SessionCache

    func scrape(target: String, module: String, timeout: Duration?) async -> BatchScrapeResult {
        let parsed: ScrapeTarget
        do {
            parsed = try ScrapeTarget(parsing: target)
        } catch {
            return Self.down("invalid target '\(target)': \(error)")
        }
        // With the credentials of the first `credentials:` rule matching the target, as `serve` scrapes it.
        guard let moduleConfig = config.module(named: module, for: parsed) else {
            return Self.down("unknown module '\(module)'")
        }
        // The module's timeout caps the command line's.
        let deadline = ContinuousClock.now + min(timeout ?? moduleConfig.timeout, moduleConfig.timeout)
        let report = await scraper.scrape(ScrapeRequest(target: parsed, module: moduleConfig, deadline: deadline))
        let down = report.down.map(\.rawValue)
        return BatchScrapeResult(
            body: PrometheusText.render(report.exposition), up: !report.collectors.isEmpty && down.isEmpty,
            error: down.isEmpty ? nil : "collectors down: " + down.joined(separator: ", "))
    }

    /// Closes every BMC session of the run, then the UDP transport.
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
