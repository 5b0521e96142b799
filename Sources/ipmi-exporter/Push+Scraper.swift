import Logging
import Pushgateway

/// Where `push` gets its scraper and the config's targets.
///
/// TODO(lead): replace `load` with the real collectors: parse the config with the exporter's loader,
/// build a scraper that reuses one session per BMC for the whole run (closing them in `close()`),
/// renders the same exposition as the HTTP endpoint plus `ipmi_up`, and return the config's `targets:`.
struct PushScrapeBackend: Sendable {
    var scraper: any BatchScraper
    /// The config's `targets:` list, used when the command line names no target.
    var configTargets: [String]

    static func load(configFile: String, logger: Logger) async throws -> PushScrapeBackend {
        PushScrapeBackend(scraper: CollectorsUnavailableScraper(), configTargets: [])
    }
}

/// Stands in until the collectors are wired: every target is reported down (and pushed as such).
struct CollectorsUnavailableScraper: BatchScraper {
    func scrape(target: String, module: String, timeout: Duration) async -> BatchScrapeResult {
        BatchScrapeResult(
            body: "# HELP ipmi_up '1' if a scrape of the IPMI device was successful, '0' otherwise.\n"
                + "# TYPE ipmi_up gauge\nipmi_up 0\n",
            up: false, error: "collectors are not linked into this build yet")
    }
}
