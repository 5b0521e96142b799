/// How long a session holds an rqSeq back from new requests with the same command once its request has ended.
///
/// A response names its request by rqSeq, netFn and command alone (IPMI v2.0 section 13.8), so an answer that comes
/// late, or a second answer to a request the network duplicated, would complete a newer request that reuses the
/// rqSeq for the same command, with the wrong data (another sensor's reading). An rqSeq is therefore held for the
/// ``horizon``: always after a request was given up on, and after every answer while the session is cautious. It is
/// cautious for its first horizon and first ``probationAnswerCount`` answers (on a network that duplicates, a stray
/// shows up well within that), and for ``cautionPeriod`` after any stray. On a clean network nothing is held after
/// that, so full windows keep the whole rqSeq space.
///
/// Times are nanoseconds of one monotonic clock chosen by the caller, as for ``SessionStateMachine/hold(rqSeq:until:)``.
package struct StrayAnswerPolicy: Sendable, Equatable {
    /// The configured request timeout.
    package let requestTimeout: UInt64
    /// A request timeout at first; doubled (up to ``longestHorizonFactor`` request timeouts) whenever an answer comes
    /// after its hold ended.
    package private(set) var horizon: UInt64
    private var cautiousUntil: UInt64 = 0
    private var probationAnswers = 0

    package static let longestHorizonFactor: UInt64 = 4
    package static let cautionPeriod: UInt64 = 600_000_000_000
    package static let probationAnswerCount = 64

    package init(requestTimeout: Duration) {
        self.requestTimeout = UInt64(max(0, TimeBounds.nanoseconds(requestTimeout)))
        self.horizon = self.requestTimeout
    }

    /// A new session starts on probation.
    package mutating func sessionEstablished(now: UInt64) {
        cautiousUntil = Self.sum(now, horizon)
        probationAnswers = 0
    }

    /// The end of the hold on the rqSeq of an attempt given up on, sent at `sentAt`: a retransmission can come well
    /// before a request timeout, and the first attempt's answer may still be on its way as long as a fixed request
    /// timeout would have waited for it, so the horizon runs from then, or from now if that is later.
    package func holdEnd(givenUpAttemptSentAt sentAt: UInt64, now: UInt64) -> UInt64 {
        Self.sum(max(now, Self.sum(sentAt, requestTimeout)), horizon)
    }

    /// Counts an answer; returns the end of the hold on its rqSeq while the session is cautious, nil otherwise.
    package mutating func answered(now: UInt64) -> UInt64? {
        if probationAnswers < Self.probationAnswerCount { probationAnswers += 1 }
        guard probationAnswers < Self.probationAnswerCount || now < cautiousUntil else { return nil }
        return Self.sum(now, horizon)
    }

    /// A stray answer came: the network duplicates or delays datagrams. When it came after its hold had ended
    /// (`afterItsHold`), the holds are too short on this path: they double before such answers meet a reused rqSeq.
    /// Longer holds leave fewer rqSeqs for the same command, so they grow only on that evidence and at most to a few
    /// request timeouts.
    package mutating func strayArrived(now: UInt64, afterItsHold: Bool) {
        cautiousUntil = Self.sum(now, Self.cautionPeriod)
        guard afterItsHold else { return }
        let (longest, overflow) = requestTimeout.multipliedReportingOverflow(by: Self.longestHorizonFactor)
        let ceiling = overflow ? UInt64.max : longest
        if horizon < ceiling { horizon = horizon > ceiling / 2 ? ceiling : horizon * 2 }
    }

    private static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
