import IPMIExporter
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1

/// The web config in force. Like the main config it is re-read on SIGHUP and `POST /-/reload`, so renewed
/// certificates, changed users and headers apply to new connections and requests without a restart
/// (exporter-toolkit re-reads its file on every request for the same reason). Switching TLS on or off changes
/// what the port speaks and needs a restart; such a reload, or any invalid file, keeps the previous config.
public final class WebConfigStore: Sendable {
    public struct Current: Sendable {
        public let tls: WebTLSConfig?
        /// nil: no basic auth.
        public let authenticator: BasicAuthenticator?
        public let responseHeaders: HTTPHeaders
        /// nil: no rate limit.
        public let rateLimiter: RateLimiter?
        let users: [String: BcryptHash]
        let rateLimit: RateLimit?
        /// The certificate and key files in use, watched by ``WebConfigWatcher``.
        let files: [String]
    }

    /// nil when the exporter runs without `--web.config.file`.
    public let path: String?
    private let state: NIOLockedValueBox<Current>
    private let loader: @Sendable (String) throws(ConfigError) -> WebConfig

    public init(
        path: String?, initial: WebConfig,
        loader: @escaping @Sendable (String) throws(ConfigError) -> WebConfig = { path throws(ConfigError) in
            try WebConfigLoader.load(file: path)
        }
    ) {
        self.path = path
        self.state = NIOLockedValueBox(Self.current(initial, previous: nil))
        self.loader = loader
    }

    public var current: Current { state.withLockedValue { $0 } }

    /// Re-reads the file; on failure the previous config stays in use and the error is returned.
    @discardableResult
    public func reload(logger: Logger) -> ConfigError? {
        guard let path else { return nil }
        do throws(ConfigError) {
            let config = try loader(path)
            let replaced = state.withLockedValue { state in
                // What the port speaks cannot change under connected clients.
                guard (config.tls == nil) == (state.tls == nil) else { return false }
                state = Self.current(config, previous: state)
                return true
            }
            guard replaced else {
                throw ConfigError(
                    location: ConfigLocation(file: path, line: 0, column: 0),
                    message: "turning TLS on or off needs a restart; keeping the previous web config")
            }
            Self.logLoaded(config, path: path, logger: logger)
            return nil
        } catch {
            logger.error("Error reloading web config, keeping the previous one", metadata: ["error": "\(error)"])
            return error
        }
    }

    /// Logs a loaded file's warnings and what it turned on.
    public static func logLoaded(_ config: WebConfig, path: String, logger: Logger) {
        for warning in config.warnings {
            logger.warning("Web config: \(warning)")
        }
        logger.info(
            "Loaded web config file",
            metadata: [
                "path": "\(path)", "tls": "\(config.tls != nil)", "basic_auth_users": "\(config.basicAuthUsers.count)",
            ])
    }

    /// Keeps the authenticator, and with it the cache of verified credentials, when the users did not change;
    /// likewise the rate limiter's bucket when the limit did not.
    private static func current(_ config: WebConfig, previous: Current?) -> Current {
        let authenticator: BasicAuthenticator?
        if let previous, previous.users == config.basicAuthUsers {
            authenticator = previous.authenticator
        } else {
            authenticator = config.basicAuthUsers.isEmpty ? nil : BasicAuthenticator(users: config.basicAuthUsers)
        }
        let rateLimiter: RateLimiter?
        if let previous, previous.rateLimit == config.rateLimit {
            rateLimiter = previous.rateLimiter
        } else {
            rateLimiter = config.rateLimit.map { RateLimiter(interval: $0.interval, burst: $0.burst) }
        }
        return Current(
            tls: config.tls, authenticator: authenticator, responseHeaders: config.responseHeaders,
            rateLimiter: rateLimiter, users: config.basicAuthUsers, rateLimit: config.rateLimit, files: config.files)
    }
}
