import Foundation
import Logging
import NIOConcurrencyHelpers

/// The config in use, replaced as a whole on reload. A reload that fails keeps the previous config.
public final class ConfigStore: Sendable {
    /// The file to read on reload; nil when the exporter runs without a config file.
    public let path: String?
    private let state: NIOLockedValueBox<ExporterConfig>
    private let loader: @Sendable (String) throws(ConfigError) -> ExporterConfig

    public init(
        path: String?, initial: ExporterConfig,
        loader: @escaping @Sendable (String) throws(ConfigError) -> ExporterConfig = { path throws(ConfigError) in
            try ConfigLoader.load(file: path)
        }
    ) {
        self.path = path
        self.state = NIOLockedValueBox(initial)
        self.loader = loader
    }

    /// Reads the config file, or the empty config when there is none, like ipmi_exporter at start-up.
    public static func initial(path: String?) throws(ConfigError) -> ExporterConfig {
        guard let path else { return ExporterConfig() }
        return try ConfigLoader.load(file: path)
    }

    public var current: ExporterConfig {
        state.withLockedValue { $0 }
    }

    /// Re-reads the file; on success the new config is in use and returned, on failure the old one stays.
    /// Logs the outcome and the new config's warnings, and records it in `metrics`.
    @discardableResult
    public func reload(logger: Logger, metrics: ExporterMetrics?) -> Result<ExporterConfig, ConfigError> {
        guard let path else {
            return .success(current)
        }
        do throws(ConfigError) {
            let config = try loader(path)
            let old = state.withLockedValue { state in
                defer { state = config }
                return state
            }
            for warning in config.warnings {
                logger.warning("Config: \(warning)")
            }
            if old.settings != config.settings {
                logger.warning("Config: changes under exporter: take effect after a restart")
            }
            logger.info(
                "Loaded config file",
                metadata: [
                    "path": "\(path)", "modules": "\(config.modules.count)", "targets": "\(config.targets.count)",
                    "credentials": "\(config.credentials.count)",
                ])
            metrics?.configReloaded(successfully: true, at: Date().timeIntervalSince1970)
            return .success(config)
        } catch {
            logger.error("Error reloading config, keeping the previous one", metadata: ["error": "\(error)"])
            metrics?.configReloaded(successfully: false, at: Date().timeIntervalSince1970)
            return .failure(error)
        }
    }
}
