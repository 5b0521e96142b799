import IPMIExporter
import Logging
import PrometheusText
import ServiceLifecycle

/// What `serve` collects with, and any services it needs running beside the HTTP server (a session cache
/// janitor, the UDP transport). This is the one place where the collectors plug in.
struct ScraperSetup {
    var scraper: any Scraper
    var services: [any Service]
}

func makeScraper(config: ExporterConfig, metrics: ExporterMetrics, logger: Logger) -> ScraperSetup {
    // Until the collectors are wired in, every collector reports ipmi_up 0.
    let scraper = ClosureScraper { request in
        logger.debug("No collectors available yet", metadata: ["target": "\(request.target)"])
        return [ScrapeMetricNames.upFamily(request.module.collectors.map { ($0, false) })]
    }
    return ScraperSetup(scraper: scraper, services: [])
}
