import ArgumentParser
import ExporterHTTP
import ExporterScrape
import IPMIExporter
import Logging
import ServiceLifecycle
import UnixSignals

/// `ipmi-exporter serve`: the HTTP exporter, with the flags of prometheus-community/ipmi_exporter.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve metrics over HTTP (the default).",
        discussion: """
            Prometheus scrapes /ipmi?target=HOST[:PORT]&module=NAME (or /metrics with the same parameters) for \
            one BMC; /metrics without a target serves the exporter's own metrics plus every target listed under \
            targets: in the config file, and, as ipmi_exporter does, this machine's own BMC through the kernel's IPMI \
            device (/dev/ipmi0) with the default module, when a device exists (--local or --no-local decide \
            instead). A module with driver OPENIPMI, KCS, SSIF or SUNBMC reads that device too. POST /-/reload or SIGHUP re-reads the config file. SIGTERM or SIGINT \
            stops accepting connections and lets requests in flight finish.
            """
    )

    @Option(
        name: .customLong("web.listen-address"),
        help: ArgumentHelp(
            "Address to listen on for the web interface and telemetry: HOST:PORT, [IPV6]:PORT or :PORT (every "
                + "interface). Repeat the flag to listen on several addresses, each serving the same routes.",
            valueName: "address"))
    var listenAddresses: [String] = [":9290"]

    @Flag(
        name: .customLong("web.systemd-socket"),
        help: ArgumentHelp(
            "Use the listening sockets systemd passes by socket activation (LISTEN_FDS) instead of "
                + "--web.listen-address. See deploy/systemd/ipmi-exporter.socket."))
    var systemdSocket = false

    @Option(
        name: .customLong("config.file"),
        help: ArgumentHelp("Path to the configuration file (ipmi_exporter's YAML format).", valueName: "path"))
    var configFile: String?

    @Option(
        name: .customLong("web.config.file"),
        help: ArgumentHelp(
            "Path to a web configuration file (Prometheus exporter-toolkit format) that enables TLS and/or basic "
                + "authentication. See docs/web-config.md.",
            valueName: "path"))
    var webConfigFile: String?

    @Option(
        name: .customLong("log.level"),
        help: ArgumentHelp(
            "Only log messages with the given severity or above. One of: debug, info, warn, error.", valueName: "level")
    )
    var logLevel: String = "info"

    @Option(
        name: .customLong("log.format"),
        help: ArgumentHelp("Output format of log messages. One of: logfmt, json.", valueName: "format"))
    var logFormat: String = "logfmt"

    @Flag(
        name: .customLong("local"), inversion: .prefixedNo,
        help: "Collect this machine's BMC through the kernel's IPMI device on /metrics (default: when a device exists)."
    )
    var local: Bool?

    @Option(
        name: .customLong("local.device"),
        help: ArgumentHelp(
            "The local IPMI device (default: the first of /dev/ipmi0, /dev/ipmi/0, /dev/ipmidev/0).", valueName: "path")
    )
    var localDevice: String?

    @Option(name: .customLong("freeipmi.path"), help: .hidden)
    var freeIPMIPath: String?

    @Flag(name: .customLong("native-ipmi"), help: .hidden)
    var nativeIPMI = false

    func validate() throws {
        guard LogLevelOption(rawValue: logLevel) != nil else {
            throw ValidationError("--log.level must be one of debug, info, warn, error (got \"\(logLevel)\")")
        }
        guard LogFormat(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format must be logfmt or json (got \"\(logFormat)\")")
        }
        _ = try Self.parseListenAddresses(listenAddresses)
    }

    /// Each `--web.listen-address`, parsed; the same address twice is refused, as it could not be bound twice.
    static func parseListenAddresses(_ texts: [String]) throws -> [ListenAddress] {
        var addresses: [ListenAddress] = []
        for text in texts {
            let address: ListenAddress
            do {
                address = try ListenAddress(parsing: text)
            } catch {
                throw ValidationError("--web.listen-address: \(error.reason)")
            }
            guard !addresses.contains(address) else {
                throw ValidationError("--web.listen-address \(text) is given twice")
            }
            addresses.append(address)
        }
        return addresses
    }

    /// The sockets to serve on: systemd's with `--web.systemd-socket`, else the listen addresses.
    func listeners(logger: Logger) throws -> [HTTPListener] {
        guard systemdSocket else { return try Self.parseListenAddresses(listenAddresses).map { .address($0) } }
        do {
            let descriptors = try SystemdSockets.take()
            // As exporter-toolkit: with socket activation the listen addresses are the socket unit's business.
            if listenAddresses != [":9290"] {
                logger.warning("--web.listen-address is ignored with --web.systemd-socket")
            }
            return descriptors.map { .inherited(descriptor: $0) }
        } catch {
            logger.error("Cannot use systemd socket activation", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }

    func run() async throws {
        let level = LogLevelOption(rawValue: logLevel)!.level
        let format = LogFormat(rawValue: logFormat)!
        LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "ipmi-exporter")
        logger.info("Starting ipmi-exporter", metadata: ["version": "\(ExporterVersion.current)"])
        if freeIPMIPath != nil || nativeIPMI {
            logger.warning("--freeipmi.path and --native-ipmi have no effect: this exporter always speaks IPMI itself")
        }

        let listeners = try listeners(logger: logger)
        let web = try loadWebConfig(webConfigFile, logger: logger)
        try await runExporter(
            configFile: configFile, web: web, listeners: listeners,
            local: LocalCollection(forced: local, device: localDevice), logger: logger)
        logger.info("Stopped")
    }
}

/// Loads the config and runs the HTTP server (with `web`'s TLS, basic auth and headers), the collectors and their session janitor until SIGTERM or
/// SIGINT. `extraServices` run beside them (the demo's simulated BMCs) and are shut down with them.
func runExporter(
    configFile: String?, web: WebConfigStore = WebConfigStore(path: nil, initial: WebConfig()),
    listeners: [HTTPListener],
    local: LocalCollection = LocalCollection(forced: false, device: nil), logger: Logger,
    extraServices: [any Service] = []
) async throws {
    let config: ExporterConfig
    do {
        config = try ConfigStore.initial(path: configFile)
    } catch {
        logger.error("Error parsing config file", metadata: ["error": "\(error)"])
        throw ExitCode.failure
    }
    for warning in config.warnings {
        logger.warning("Config: \(warning)")
    }
    if let configFile {
        logger.info(
            "Loaded config file",
            metadata: [
                "path": "\(configFile)", "modules": "\(config.modules.count)",
                "credentials": "\(config.credentials.count)",
            ])
    }

    let metrics = ExporterMetrics()
    metrics.configReloaded(successfully: true, at: Double(StructuredLogHandler.unixTime()))
    let store = ConfigStore(path: configFile, initial: config)
    let scraper = try await makeScraper(config: config, metrics: metrics, local: local, logger: logger)
    let coordinator = ScrapeCoordinator(
        scraper: scraper.scraper, maxConcurrent: config.settings.maxConcurrentScrapes, metrics: metrics,
        logger: logger)
    let router = ExporterRouter(
        configStore: store, coordinator: coordinator, metrics: metrics, logger: logger, web: web,
        localCollection: scraper.local != nil)
    let server = ExporterHTTPServer(
        listeners: listeners, settings: config.settings, router: router,
        web: web, logger: logger)
    let reloader = ReloadOnHangup(store: store, web: web, metrics: metrics, logger: logger)
    // A graceful shutdown stops the services one after another, last listed first: the HTTP server stops taking
    // scrapes and finishes those in flight before the session janitor closes the BMC sessions. In the other order a
    // scrape arriving between the two opened a session nobody closed, left on the BMC until its idle timeout
    // (scripts/check-sharded-live.sh counted one in ~100 at a SIGTERM under 10 scrapes/s).
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(
            services: extraServices + scraper.services + [server, reloader]
                + (web.path == nil ? [] : [WebConfigWatcher(store: web, logger: logger)]),
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [], logger: logger))
    try await group.run()
}

/// The web config file (TLS, basic auth, headers) or, without one, plain HTTP for everyone. A bad file stops
/// the exporter before it listens; later reloads that fail keep the previous one.
func loadWebConfig(_ path: String?, logger: Logger) throws -> WebConfigStore {
    guard let path else { return WebConfigStore(path: nil, initial: WebConfig()) }
    let config: WebConfig
    do {
        config = try WebConfigLoader.load(file: path)
    } catch {
        logger.error("Error parsing web config file", metadata: ["error": "\(error)"])
        throw ExitCode.failure
    }
    WebConfigStore.logLoaded(config, path: path, logger: logger)
    return WebConfigStore(path: path, initial: config)
}

/// Re-reads the config file and the web config file on SIGHUP, like ipmi_exporter.
struct ReloadOnHangup: Service, CustomStringConvertible {
    let store: ConfigStore
    let web: WebConfigStore
    let metrics: ExporterMetrics
    let logger: Logger

    var description: String { "ReloadOnHangup" }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            store.reload(logger: logger, metrics: metrics)
            web.reload(logger: logger)
        }
    }
}
