import ExporterScrape
import IPMIClient
import IPMIExporter
import Logging
import NIOCore
import PrometheusText
import ServiceLifecycle

/// What `serve` collects with, and any services it needs running beside the HTTP server (a session cache
/// janitor, the UDP transport). This is the one place where the collectors plug in.
struct ScraperSetup {
    var scraper: any Scraper
    var services: [any Service]
}

/// The collectors over cached RMCP+ sessions, on one UDP socket per core (sessions spread over them), with
/// a janitor that keeps idle sessions alive and closes every session at shutdown.
func makeScraper(config: ExporterConfig, metrics: ExporterMetrics, logger: Logger) async throws -> ScraperSetup {
    var transportLogger = logger
    transportLogger[metadataKey: "component"] = "transport"
    let transport = try await IPMITransport.bindAll(
        lanes: System.coreCount, readPacing: config.settings.readPacing, logger: transportLogger)
    var settings = SessionCache.Settings()
    settings.idleTimeout = config.settings.sessionIdleTimeout
    settings.keepaliveInterval = config.settings.sessionKeepaliveInterval
    settings.maxConcurrentColdStarts = config.settings.maxConcurrentColdStarts
    settings.sdrLimits = config.settings.sdrLimits
    settings.maxQueuedColdStarts = config.settings.maxQueuedColdStarts
    settings.clientOptions.maxOutstandingRequests = config.settings.maxOutstandingRequests
    let cache = SessionCache(transport: transport, settings: settings, metrics: metrics, logger: logger)
    let scraper = IPMIScraper(cache: cache, metrics: metrics, logger: logger)
    return ScraperSetup(scraper: scraper, services: [SessionJanitor(cache: cache)])
}
