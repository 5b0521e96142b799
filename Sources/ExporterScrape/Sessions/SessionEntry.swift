import ExporterCollectors
import IPMI
import IPMIClient
import IPMIExporter
import NIOConcurrencyHelpers

/// One target's live session in the ``SessionMap``: its client, its SDR repository cache, and what is known of it
/// between scrapes (when it was used and heard, how its cold starts and collectors went).
final class SessionEntry: Sendable {
    let client: IPMIClient
    let sdr: SDRCache
    let target: String
    /// Held by the collection using the session (see ``IPMIScraper``).
    let gate = AsyncSlots(limit: 1)
    private let clock: any ExporterClock
    /// The cold start queued or running for this target, if any; scrapes that need one join it.
    private let coldStartJob = NIOLockedValueBox<ColdStartJob?>(nil)
    /// What the entry knows of its target, behind one lock: a lock is an allocation of its own, and an exporter
    /// keeps thousands of entries.
    private let state: NIOLockedValueBox<State>

    private struct State {
        var lastUsed: ContinuousClock.Instant
        /// Last answer from the BMC (a scrape, a handshake or a keep-alive): a session is kept alive once per
        /// keep-alive interval of silence, not on every janitor pass (which would send 4 keep-alives a minute to
        /// a target scraped every 60 s). A scrape that got no answer does not count: the keep-alive is what finds
        /// out that the BMC forgot the session.
        var lastHeard: ContinuousClock.Instant
        /// When the BMC last answered, nil if it never did; decides the place of its cold starts in the queue.
        var lastAnswer: ContinuousClock.Instant?
        /// True once a cold start of this target failed.
        var coldStartFailed = false
        /// The last failure of each collector on this target, until it succeeds again.
        var failures: [CollectorName: String] = [:]
        /// Collectors whose command the BMC refused (``CompletionCode/isRefusal``) in this session: not run again
        /// until a new session.
        var refusals: [CollectorName: IPMICommandError] = [:]
    }

    init(client: IPMIClient, sdr: SDRCache, target: String, clock: any ExporterClock) {
        self.client = client
        self.sdr = sdr
        self.target = target
        self.clock = clock
        let now = clock.now
        self.state = NIOLockedValueBox(State(lastUsed: now, lastHeard: now))
    }

    func touch() {
        let now = clock.now
        state.withLockedValue { $0.lastUsed = now }
    }
    /// The BMC answered on the session.
    func heard() {
        let now = clock.now
        state.withLockedValue {
            $0.lastHeard = now
            $0.lastAnswer = now
        }
    }
    /// The refusal that keeps `collector` from running in this session, if any.
    func refusal(of collector: CollectorName) -> IPMICommandError? {
        state.withLockedValue { $0.refusals[collector] }
    }
    func remember(_ refusal: IPMICommandError, of collector: CollectorName) {
        state.withLockedValue { $0.refusals[collector] = refusal }
    }
    /// A new session: what the BMC refused is asked again, here and in its SDR cache.
    func sessionOpened() async {
        state.withLockedValue { $0.refusals = [:] }
        await sdr.sessionOpened()
    }
    /// Also lets go of the job: a finished task keeps its frames' memory for as long as it is referenced, and an
    /// exporter keeps an entry per target.
    func coldStartEnded(failed: Bool) {
        state.withLockedValue { $0.coldStartFailed = failed }
        coldStartJob.withLockedValue { $0 = nil }
    }

    /// A target that answered within ``answeredRecently`` goes ahead of one never tried, which goes ahead of
    /// one whose cold start failed without it ever answering.
    var coldStartPriority: ColdStartQueue.Priority {
        let now = clock.now
        let (answered, failed) = state.withLockedValue { ($0.lastAnswer, $0.coldStartFailed) }
        if let answered, now - answered < Self.answeredRecently { return .answered }
        return failed ? .unanswered : .new
    }
    static let answeredRecently: Duration = .seconds(600)

    /// Records how a collector ended (`failure` nil for success); true when a failure differs from the
    /// collector's previous outcome, which is when it is worth a warning.
    @discardableResult
    func recordOutcome(of collector: CollectorName, failure: String?) -> Bool {
        state.withLockedValue { state in
            if failure == nil {
                if state.failures[collector] != nil { state.failures[collector] = nil }
                return false
            }
            defer { state.failures[collector] = failure }
            return state.failures[collector] != failure
        }
    }

    /// The cold start in progress, or a new one made by `make`, counted as awaited by one more scrape (which
    /// must call ``ColdStartJob/leave()`` when it stops waiting).
    func coldStart(_ make: () -> ColdStartJob) -> ColdStartJob {
        coldStartJob.withLockedValue { job in
            if let running = job, running.join() { return running }
            let started = make()
            _ = started.join()
            job = started
            return started
        }
    }

    /// Drops a queued or running cold start (the entry is being closed).
    func cancelColdStart() {
        coldStartJob.withLockedValue { $0 }?.task.cancel()
    }
    /// How long since a scrape last asked for the session.
    var idle: Duration {
        let now = clock.now
        return state.withLockedValue { now - $0.lastUsed }
    }
    /// How long since the BMC last answered on it.
    var silent: Duration {
        let now = clock.now
        return state.withLockedValue { now - $0.lastHeard }
    }

    /// Whether the session still works: one Get Device ID (IPMI v2.0 §20.1), retransmitted as usual, until
    /// `deadline`. Any answer will do, as only a BMC that knows the session answers in it; a timeout after one
    /// lost answer then tells a lost datagram from a lost session. Cancelled (the scrape gave up): true, as
    /// nothing is known.
    func answersProbe(until deadline: ContinuousClock.Instant) async -> Bool {
        guard client.isConnected else { return false }
        do {
            _ = try await IPMIDeadline.$current.withValue(deadline) {
                try await client.request(netFn: .app, command: 0x01, data: [], lun: 0)
            }
            heard()
            return true
        } catch {
            return error is CancellationError
        }
    }
}
