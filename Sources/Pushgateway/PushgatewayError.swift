/// Why a push failed. Its texts name the gateway URL without credentials and never the password.
public struct PushgatewayError: Error, Sendable, CustomStringConvertible {
    /// The class of failure; a struct rather than an enum so that kinds can be added later.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// Bad options: URL, auth file, header syntax. Nothing was sent.
        public static let configuration = Kind("configuration")
        /// No HTTP answer: refused, unreachable, timed out, TLS failure.
        public static let transport = Kind("transport")
        /// The gateway answered with a status outside 2xx.
        public static let httpStatus = Kind("http status")
        /// The task was cancelled or the client shut down.
        public static let cancelled = Kind("cancelled")

        public var description: String { name }
    }

    public var kind: Kind
    /// The URL of the request, credentials removed; empty for configuration errors.
    public var url: String
    /// Attempts made, retries included (0 when nothing was sent).
    public var attempts: Int
    /// The HTTP status for `.httpStatus`.
    public var statusCode: Int?
    /// The gateway's explanation for `.httpStatus` (it says why a push was rejected), trimmed.
    public var responseBody: String?
    /// libcurl's result code for `.transport`.
    public var curlCode: Int?
    /// What went wrong, in words.
    public var message: String

    init(
        kind: Kind, url: String = "", attempts: Int = 0, statusCode: Int? = nil, responseBody: String? = nil,
        curlCode: Int? = nil, message: String
    ) {
        self.kind = kind
        self.url = url
        self.attempts = attempts
        self.statusCode = statusCode
        self.responseBody = responseBody
        self.curlCode = curlCode
        self.message = message
    }

    static func configuration(_ message: String) -> PushgatewayError {
        PushgatewayError(kind: .configuration, message: message)
    }

    public var description: String {
        if kind == .configuration { return "pushgateway configuration: \(message)" }
        let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
        return "push to \(url) failed after \(tries): \(message)"
    }
}
