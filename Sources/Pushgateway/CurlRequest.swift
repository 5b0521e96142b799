/// One HTTP exchange for the libcurl transfer loop; a plain value so it can cross into the loop thread.
struct CurlRequest: Sendable {
    var method: String
    var url: String
    var body: String?
    /// Header lines, `Name: value`; `Name:` alone removes a header libcurl would add by itself.
    var headers: [String] = []
    var username: String?
    var password: String?
    var caFile: String?
    var certFile: String?
    var keyFile: String?
    var connectTimeoutMilliseconds: Int = 5_000
    var timeoutMilliseconds: Int = 10_000
    /// Response bodies are kept only for error reports, so a bounded prefix is enough.
    var responseBodyLimit: Int = 64 * 1024
}

/// What came back from the server, whatever its status.
struct CurlResponse: Sendable {
    var statusCode: Int
    var body: String
}

/// The transfer failed before an HTTP status was received (refused, timed out, TLS, …).
struct CurlTransportError: Error, Sendable {
    /// The libcurl result code (`CURLcode` raw value).
    var code: Int
    /// libcurl's generic text for the code, followed by its detailed error buffer when set.
    var message: String
}
