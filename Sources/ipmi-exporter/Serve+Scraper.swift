import ExporterScrape
import IPMIClient
import IPMIExporter
import IPMILocalDevice
import Logging
import NIOCore
import PrometheusText
import ServiceLifecycle

/// What `serve` collects with, and any services it needs running beside the HTTP server (a session cache
/// janitor, the UDP transport). This is the one place where the collectors plug in.
struct ScraperSetup {
    var scraper: any Scraper
    var services: [any Service]
    /// This machine's BMC, when local collection is on.
    var local: LocalBMC?
}

/// Whether `/metrics` collects this machine's BMC: `--local`/`--no-local`, or (neither given) whether a device exists.
struct LocalCollection {
    var forced: Bool?
    var device: String?

    /// The local BMC to collect, or nil; says why at start-up in one line.
    func make(metrics: ExporterMetrics, config: ExporterConfig, logger: Logger) -> LocalBMC? {
        let exists = LocalBMC.deviceExists(at: device)
        let paths = device ?? OpenIPMIDevice.standardPaths.joined(separator: ", ")
        switch (forced, exists) {
        case (false?, _):
            return nil
        case (nil, false):
            logger.info(
                "Local collection is off: no IPMI device (\(paths)); load the kernel modules ipmi_si and ipmi_devintf for it, or pass --local"
            )
            return nil
        case (true?, false):
            logger.warning(
                "Local collection is on (--local) but there is no IPMI device yet (\(paths)): load ipmi_si and ipmi_devintf"
            )
        default:
            logger.info(
                "Local collection is on", metadata: ["device": "\(device ?? OpenIPMIDevice.existingPath() ?? paths)"])
        }
        return LocalBMC(devicePath: device, metrics: metrics, sdrLimits: config.settings.sdrLimits, logger: logger)
    }
}

/// The collectors over cached RMCP+ sessions, on one UDP socket per core (sessions spread over them), with
/// a janitor that keeps idle sessions alive and closes every session at shutdown.
func makeScraper(
    config: ExporterConfig, metrics: ExporterMetrics, local: LocalCollection, logger: Logger
) async throws -> ScraperSetup {
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
    let localBMC = local.make(metrics: metrics, config: config, logger: logger)
    let scraper = IPMIScraper(cache: cache, local: localBMC, metrics: metrics, logger: logger)
    return ScraperSetup(scraper: scraper, services: [SessionJanitor(cache: cache)], local: localBMC)
}
