import IPMIExporter
import NIOHTTP1
import NIOSSL

/// The Prometheus exporter-toolkit web configuration (`--web.config.file`): TLS on the web endpoint, basic
/// auth users with bcrypt-hashed passwords, and extra response headers. See docs/web-config.md.
public struct WebConfig: Sendable {
    /// nil: plain HTTP.
    public var tls: WebTLSConfig?
    /// User name → bcrypt hash. Empty: no authentication.
    public var basicAuthUsers: [String: BcryptHash] = [:]
    /// Added to every response (http_server_config.headers).
    public var responseHeaders: HTTPHeaders = [:]
    /// rate_limit; nil: no limit.
    public var rateLimit: RateLimit?
    /// Keys accepted without effect, for the log.
    public var warnings: [ConfigWarning] = []
    /// The certificate and key files it read (absolute), watched for changes with the file itself.
    public var files: [String] = []

    public init() {}
}

/// `rate_limit`: at most `burst` requests at once, then one per `interval` (see ``RateLimiter``).
public struct RateLimit: Sendable, Hashable {
    public var interval: Duration
    public var burst: Int

    public init(interval: Duration, burst: Int) {
        self.interval = interval
        self.burst = burst
    }
}

/// exporter-toolkit's `client_auth_type`, named after Go's `crypto/tls.ClientAuthType`.
public enum ClientAuthType: String, Sendable, CaseIterable {
    /// No client certificate is asked for.
    case noClientCert = "NoClientCert"
    /// A certificate is asked for; none, or any, is accepted without verification.
    case requestClientCert = "RequestClientCert"
    /// A certificate must be sent; it is not verified.
    case requireAnyClientCert = "RequireAnyClientCert"
    /// A certificate may be sent; if it is, it must verify against the client CA.
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    /// A certificate must be sent and verify against the client CA.
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    var verifiesCertificates: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
    var requiresCertificate: Bool { self == .requireAnyClientCert || self == .requireAndVerifyClientCert }
}

/// The server side of TLS, ready to make a handler per connection.
public struct WebTLSConfig: Sendable {
    public var context: NIOSSLContext
    public var clientAuth: ClientAuthType
    /// Subject alternative names a client certificate must carry one of (client_allowed_sans); empty: any.
    public var allowedClientSANs: [String]

    /// The first handler of a connection's pipeline.
    func makeHandler() -> NIOSSLServerHandler {
        switch clientAuth {
        case .requestClientCert, .requireAnyClientCert:
            // Asked for but not verified: a custom verification that accepts whatever was presented.
            return NIOSSLServerHandler(
                context: context, customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) })
        case .noClientCert, .verifyClientCertIfGiven, .requireAndVerifyClientCert:
            return NIOSSLServerHandler(context: context)
        }
    }
}
