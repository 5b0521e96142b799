import IPMIExporter
import NIOConcurrencyHelpers

/// exporter-toolkit's `rate_limit`: a token bucket over all requests together. It holds up to `burst` tokens,
/// starts full, gains one every `interval`; a request takes one or is answered 429 Too Many Requests.
public final class RateLimiter: Sendable {
    public let interval: Duration
    public let burst: Int
    private let clock: any ExporterClock
    private let state: NIOLockedValueBox<(tokens: Double, at: ContinuousClock.Instant)>

    public init(interval: Duration, burst: Int, clock: any ExporterClock = RealClock()) {
        precondition(interval > .zero && burst > 0)
        self.interval = interval
        self.burst = burst
        self.clock = clock
        self.state = NIOLockedValueBox((Double(burst), clock.now))
    }

    /// Takes a token if there is one.
    public func allow() -> Bool {
        let now = clock.now
        return state.withLockedValue { state in
            let gained = (now - state.at) / interval
            state.tokens = min(Double(burst), state.tokens + gained)
            state.at = now
            guard state.tokens >= 1 else { return false }
            state.tokens -= 1
            return true
        }
    }

    static let refusal = ExporterResponse.text(.tooManyRequests, "Too Many Requests")
}
