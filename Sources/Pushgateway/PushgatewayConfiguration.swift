import Foundation

/// How to reach a Pushgateway: base URL, credentials, TLS files, timeouts and retry policy.
public struct PushgatewayConfiguration: Sendable {
    /// Base URL such as `http://gateway:9091` or `https://gw.example/prefix`; `/metrics/job/…` is appended.
    public var url: String
    public var basicAuth: BasicAuth?
    /// Extra request headers, sent with every push.
    public var headers: [HTTPHeader]
    public var tls: TLSFiles
    public var connectTimeout: Duration
    /// Limit for one attempt, connection included.
    public var timeout: Duration
    public var retry: RetryPolicy

    public init(
        url: String,
        basicAuth: BasicAuth? = nil,
        headers: [HTTPHeader] = [],
        tls: TLSFiles = TLSFiles(),
        connectTimeout: Duration = .seconds(5),
        timeout: Duration = .seconds(10),
        retry: RetryPolicy = RetryPolicy()
    ) {
        self.url = url
        self.basicAuth = basicAuth
        self.headers = headers
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.retry = retry
    }
}

/// User name and password for HTTP basic authentication. Its descriptions never show the password.
public struct BasicAuth: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Reads `user:password` from the first line of a file (the password may contain `:`).
    public init(contentsOfFile path: String) throws(PushgatewayError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .configuration("cannot read basic auth file \(path)")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
            throw .configuration("basic auth file \(path) must hold one line user:password")
        }
        self.username = String(line[..<colon])
        self.password = String(line[line.index(after: colon)...])
    }

    public var description: String { "BasicAuth(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}

/// One extra request header.
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `Name: value` or `Name:value`; nil when there is no name or the text has a line break.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), !text.contains(where: \.isNewline) else { return nil }
        let name = text[..<colon].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains(" ") else { return nil }
        self.init(name: name, value: value)
    }
}

/// PEM files for HTTPS: a CA bundle to verify the gateway, and a client certificate and key.
public struct TLSFiles: Sendable, Hashable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// Retries after connection errors and 5xx answers, waiting `initialBackoff`, then twice as long
/// each time up to `maxBackoff`. A 4xx answer is never retried: the request itself is wrong.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts after the first one.
    public var maxRetries: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(maxRetries: Int = 3, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(8))
    {
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The wait before retry number `retry` (1-based).
    public func backoff(beforeRetry retry: Int) -> Duration {
        var wait = initialBackoff
        for _ in 1..<max(retry, 1) {
            wait *= 2
            if wait >= maxBackoff { return maxBackoff }
        }
        return min(wait, maxBackoff)
    }
}
