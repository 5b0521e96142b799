import Foundation
import Logging

/// Pushes text-format metrics to a Prometheus Pushgateway with libcurl.
///
/// Every client owns one transfer thread running libcurl's multi interface, so concurrent pushes
/// share connections and never block the caller's threads; the methods are `async` and safe to call
/// from many tasks at once. Call `shutdown()` when done (the deinitialiser does it too).
public final class PushgatewayClient: Sendable {
    public let configuration: PushgatewayConfiguration
    private let baseURL: String
    private let displayBaseURL: String
    private let loop: CurlTransferLoop
    private let logger: Logger

    /// The content type of the Prometheus text exposition format that the gateway parses.
    public static let textContentType = "text/plain; version=0.0.4; charset=utf-8"

    public init(configuration: PushgatewayConfiguration, logger: Logger) throws(PushgatewayError) {
        var base = configuration.url
        while base.hasSuffix("/") { base.removeLast() }
        let lower = base.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), base.count > "https://".count - 1 else {
            throw .configuration("push URL must start with http:// or https://")
        }
        for header in configuration.headers
        where header.name.isEmpty || header.name.contains(where: { $0 == ":" || $0.isWhitespace })
            || header.value.contains(where: \.isNewline)
        {
            throw .configuration("invalid header name or value for \(header.name)")
        }
        guard let loop = CurlTransferLoop() else {
            throw .configuration("libcurl could not be initialised")
        }
        self.configuration = configuration
        self.baseURL = base
        self.displayBaseURL = Self.withoutCredentials(base)
        self.loop = loop
        self.logger = logger
    }

    deinit {
        loop.shutdown()
    }

    /// Stops the transfer thread; pushes still running fail with kind `.cancelled`.
    public func shutdown() {
        loop.shutdown()
    }

    /// The full URL of a group, as sent.
    public func url(for group: GroupingKey) -> String {
        baseURL + group.path
    }

    /// Replaces the group's metrics with `body` (HTTP PUT). An empty body empties the group.
    @discardableResult
    public func push(_ body: String, to group: GroupingKey) async throws(PushgatewayError) -> PushResult {
        try await send(method: "PUT", body: body, group: group)
    }

    /// Deletes the group (HTTP DELETE).
    @discardableResult
    public func delete(_ group: GroupingKey) async throws(PushgatewayError) -> PushResult {
        try await send(method: "DELETE", body: nil, group: group)
    }

    private func send(
        method: String, body: String?, group: GroupingKey
    ) async throws(PushgatewayError)
        -> PushResult
    {
        let request = makeRequest(method: method, body: body, path: group.path)
        let shownURL = displayBaseURL + group.path
        let clock = ContinuousClock()
        let start = clock.now
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            let failure: PushgatewayError
            switch await attemptOnce(request, url: shownURL, attempt: attempt) {
            case .accepted(let status):
                logger.debug(
                    "pushed", metadata: ["url": "\(shownURL)", "status": "\(status)", "attempt": "\(attempt)"])
                return PushResult(
                    url: shownURL, statusCode: status, attempts: attempt, duration: start.duration(to: clock.now))
            case .final(let error):
                throw error
            case .retryable(let error):
                failure = error
            }

            guard attempt <= policy.maxRetries else { throw failure }
            let wait = policy.backoff(beforeRetry: attempt)
            logger.warning(
                "push failed, retrying",
                metadata: [
                    "url": "\(shownURL)", "attempt": "\(attempt)", "retry_in": "\(wait)", "error": "\(failure.message)",
                ])
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw PushgatewayError(kind: .cancelled, url: shownURL, attempts: attempt, message: "push cancelled")
            }
        }
    }

    private enum AttemptOutcome {
        case accepted(status: Int)
        case retryable(PushgatewayError)
        case final(PushgatewayError)
    }

    private func attemptOnce(_ request: CurlRequest, url: String, attempt: Int) async -> AttemptOutcome {
        let response: CurlResponse
        do {
            response = try await loop.perform(request)
        } catch let error as CurlTransportError {
            let failure = PushgatewayError(
                kind: .transport, url: url, attempts: attempt, curlCode: error.code, message: error.message)
            return Self.permanentCurlCodes.contains(error.code) ? .final(failure) : .retryable(failure)
        } catch {
            return .final(PushgatewayError(kind: .cancelled, url: url, attempts: attempt, message: "push cancelled"))
        }
        if (200..<300).contains(response.statusCode) {
            return .accepted(status: response.statusCode)
        }
        let text = response.body.trimmingCharacters(in: .whitespacesAndNewlines)
        let failure = PushgatewayError(
            kind: .httpStatus, url: url, attempts: attempt, statusCode: response.statusCode, responseBody: text,
            message: "HTTP \(response.statusCode)" + (text.isEmpty ? "" : ": \(text)"))
        return (500..<600).contains(response.statusCode) ? .retryable(failure) : .final(failure)
    }

    private func makeRequest(method: String, body: String?, path: String) -> CurlRequest {
        var headers: [String] = []
        let userSetsContentType = configuration.headers.contains { $0.name.lowercased() == "content-type" }
        if body != nil, !userSetsContentType {
            headers.append("Content-Type: \(Self.textContentType)")
        }
        // No `Expect: 100-continue` round trip before large bodies.
        headers.append("Expect:")
        headers += configuration.headers.map { "\($0.name): \($0.value)" }
        return CurlRequest(
            method: method,
            url: baseURL + path,
            body: body,
            headers: headers,
            username: configuration.basicAuth?.username,
            password: configuration.basicAuth?.password,
            caFile: configuration.tls.caFile,
            certFile: configuration.tls.certFile,
            keyFile: configuration.tls.keyFile,
            connectTimeoutMilliseconds: Self.milliseconds(configuration.connectTimeout),
            timeoutMilliseconds: Self.milliseconds(configuration.timeout)
        )
    }

    /// libcurl results that another attempt cannot fix: bad URL or options, certificate problems.
    private static let permanentCurlCodes: Set<Int> = [
        1,  // unsupported protocol
        3,  // URL malformed
        4,  // feature not built in
        43,  // bad function argument
        48,  // unknown option
        58,  // local certificate problem
        59,  // cipher problem
        60,  // peer certificate verification failed
        77,  // CA file problem
    ]

    /// The longest timeout handed to libcurl; longer ones are clamped to it.
    static let longestTimeout: Duration = .seconds(86_400)

    /// A timeout as libcurl's milliseconds, clamped to 1 ms ... ``longestTimeout``. The `push` command checks its
    /// flags with `TimeBounds` (target IPMI), which this target does not depend on (it is a plain Pushgateway
    /// client); clamping before converting keeps any other caller's `Duration` from trapping in the arithmetic.
    static func milliseconds(_ duration: Duration) -> Int {
        let clamped = min(max(duration, .milliseconds(1)), longestTimeout)
        let (seconds, attoseconds) = clamped.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Removes `user:password@` from a URL so that it can be logged.
    static func withoutCredentials(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = url[authorityStart...].firstIndex(of: "/") ?? url.endIndex
        guard let at = url[authorityStart..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<authorityStart]) + String(url[url.index(after: at)...])
    }
}

/// A push the gateway accepted.
public struct PushResult: Sendable {
    /// The group's URL, credentials removed.
    public var url: String
    public var statusCode: Int
    /// Attempts made, retries included.
    public var attempts: Int
    /// From the first attempt to the answer, backoff included.
    public var duration: Duration
}
