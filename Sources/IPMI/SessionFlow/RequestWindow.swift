/// How many requests one session keeps on the wire: a few at first, widened while the BMC answers everything,
/// narrowed when it loses what it cannot hold, and kept across the sessions of one client (one target), so that a
/// re-opened session does not pay for the same lesson again.
///
/// RMCP+ lets a console keep several requests outstanding, told apart by their rqSeq (IPMI v2.0 §13.8), but
/// some BMCs have a single receive buffer and silently drop a request that arrives while they are busy, and others
/// queue only a few. Such a BMC loses what goes beyond its queue, whenever that is; a lossy link loses a few
/// requests at any width, also one sent alone. So the window is judged per round: the next `width` requests sent
/// once the previous round was judged (``sent()`` tags them). Only their outcomes count, because a loss is known a
/// timeout after the answers to the requests sent beside it: meanwhile the slots it did not block carry answers
/// that say nothing of the width.
///
/// - **Proven width.** A round whose requests were all outstanding together and all answered shows the BMC held
///   that many: the window's ``proven`` width. A round that went out one request at a time (an SDR walk, requests
///   trickling in) shows nothing, and neither does one that was answered while earlier losses still held slots
///   (those slots carried nothing, so fewer were at the BMC than the window says).
/// - It starts at ``initialWidth`` (or the maximum, if lower) and doubles after every round that proves its width,
///   until the first loss or the maximum.
/// - **Strict judging.** A loss in the first round of a session, or at a width never proven, means the BMC cannot
///   take the width: the window goes back to what that round had answered and does not try to widen again for
///   ``maximumGrowthRun`` answers. A request lost outside any round (sent while the round under way waited for its
///   outcomes) at a width never proven takes the window down by one the same way. A single-buffer BMC is at one
///   request at a time after one round, a BMC that queues only a few at what it holds.
/// - **Lossy link.** A loss of a request sent while no more than the proven width (or one alone) was in flight is
///   no full queue's: the link is lossy, and for ``maximumGrowthRun`` answers a width is judged strictly only in
///   its first round. Otherwise, and at a proven width, only a round that lost half or more (and more than one
///   request) narrows, to what was answered (at most half): a lossy link keeps its window and every lost answer
///   delays only its own request.
/// - After ``growthRun`` answers without a change it widens by one, and that width is judged strictly until a round
///   proves it.
/// - **Ceiling.** A strict loss at a width never proven on a link not known as lossy is the BMC's queue overflowing:
///   the window goes back to what it answered, and never widens to one more than that again (``ceiling``), in this
///   session or a later one. A BMC that never overflowed has none and is probed as above, so a lossy link that
///   narrowed the window grows back to the maximum.
///
/// So a BMC that takes only so many requests costs lost requests in its first scrape and none after: a burst or a
/// steady flow at a width it never held together is caught by its first loss, however small a part of the round,
/// and the window then stays below it.
///
/// A ceiling learnt while the BMC was busy (another console's requests in its queue, its own SEL or SDR work) is
/// lower than what the idle BMC holds, and it is kept all the same, never retried. That is acceptable: a BMC
/// serves its requests one (or a few) at a time whatever its queue holds, so a narrower window costs at most the
/// round trips the BMC's queue would have hidden, whereas a retry costs a retransmission timeout in the scrape it
/// falls in, and a BMC that was busy once will be busy again. A re-opened session is no cheaper time to retry: its
/// first scrape must not pay the same lesson again either. Only a new client (the exporter restarted) starts afresh.
package struct RequestWindow: Sendable, Equatable {
    /// The configured maximum (`max_outstanding_requests`).
    package let maximum: Int
    /// The current width, 1...maximum.
    package private(set) var width: Int
    /// Answers needed to widen by one.
    package private(set) var growthRun = Self.initialGrowthRun
    /// The widest round seen all outstanding together and all answered; 0 before the first.
    package private(set) var proven = 0
    /// One more than the width the window went back to when the BMC's queue overflowed (the lowest such): the window
    /// stays below it. nil while the queue never overflowed.
    package private(set) var ceiling: Int?
    /// The round under way: its tag, the requests still to be tagged with it, those tagged and not yet over, the
    /// most of them outstanding at once, and the outcomes of those over.
    private var round: UInt32 = 0
    private var roundUnsent = 0
    private var roundOutstanding = 0
    private var roundPeak = 0
    private var roundAnswered = 0
    private var roundTimedOut = 0
    /// Attempts on the wire (tagged or not): the depth a request is sent at.
    private var inFlight = 0
    /// Answers since the width last changed.
    private var answeredSinceChange = 0
    /// True in the first round of a session and of a new width.
    private var strict = true
    /// Doubling after every round that proves its width, until the first loss.
    private var slowStart = true
    /// Answers during which the link still counts as lossy, since a loss no full queue explains.
    private var lossyFor = 0

    package static let initialWidth = 4
    package static let initialGrowthRun = 32
    /// How long a widening the BMC could not take is not tried again, and how long a lossy link is remembered, in
    /// answers.
    package static let maximumGrowthRun = 4096

    package init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.width = min(self.maximum, Self.initialWidth)
        self.roundUnsent = width
    }

    /// A request goes on the wire (a first attempt or a retransmission): the tag its outcome is reported with, nil
    /// when it counts in no round (the round under way has all its requests). A tag holds the round (24 bits) and
    /// how many attempts were on the wire with this one (8 bits).
    package mutating func sent() -> UInt32? {
        inFlight += 1
        guard roundUnsent > 0 else { return nil }
        roundUnsent -= 1
        roundOutstanding += 1
        roundPeak = max(roundPeak, roundOutstanding)
        return round << 8 | UInt32(min(inFlight, 0xFF))
    }

    /// A new session with the same BMC: the width learnt so far stays, and the first round is judged strictly.
    package mutating func sessionStarted() {
        strict = true
        startRound()
    }

    package mutating func timedOut(_ tag: UInt32?) {
        ended()
        if let tag, Int(tag & 0xFF) <= max(1, proven) { lossyFor = Self.maximumGrowthRun }
        guard inRound(tag), roundOutstanding > 0 else {
            if tag == nil { lostOutsideRounds() }
            return
        }
        roundOutstanding -= 1
        roundTimedOut += 1
        endRoundIfComplete()
    }

    /// A request of the round ended without an outcome (cancelled, or its session closed): the round is judged on
    /// the others, instead of waiting for it for ever.
    package mutating func abandoned(_ tag: UInt32?) {
        ended()
        guard inRound(tag), roundOutstanding > 0 else { return }
        roundOutstanding -= 1
        endRoundIfComplete()
    }

    package mutating func answered(_ tag: UInt32?) {
        ended()
        if lossyFor > 0 { lossyFor -= 1 }
        answeredSinceChange += 1
        if inRound(tag), roundOutstanding > 0 {
            roundOutstanding -= 1
            roundAnswered += 1
            endRoundIfComplete()
        }
        guard !slowStart, answeredSinceChange >= growthRun, width < widest else { return }
        widen(to: width + 1)
    }

    /// How wide the window may grow: the maximum, or below the width the BMC overflowed at.
    private var widest: Int { min(maximum, (ceiling ?? Int.max) - 1) }

    private func inRound(_ tag: UInt32?) -> Bool { tag.map { $0 >> 8 == round } ?? false }

    /// An attempt left the wire. Never below zero: attempts of a session before ``sessionStarted()`` may end late.
    private mutating func ended() { inFlight = max(0, inFlight - 1) }

    /// Whether a loss now says the BMC cannot hold the width: a width never proven, on a link not known as lossy.
    private var unprovenWidth: Bool { width > proven && lossyFor == 0 }

    private mutating func lostOutsideRounds() {
        guard unprovenWidth else { return }
        cannotTake(max(1, width - 1))
        startRound()
    }

    /// The BMC lost requests at this width: back to `newWidth`, and no widening for a long run; never past it again
    /// if the width was never proven on a link not known as lossy (its queue overflowed).
    private mutating func cannotTake(_ newWidth: Int) {
        if unprovenWidth { ceiling = min(ceiling ?? Int.max, newWidth + 1) }
        width = newWidth
        proven = min(proven, width)
        growthRun = Self.maximumGrowthRun
        answeredSinceChange = 0
        slowStart = false
    }

    private mutating func widen(to newWidth: Int) {
        width = newWidth
        answeredSinceChange = 0
        strict = true
        startRound()
    }

    private mutating func endRoundIfComplete() {
        let outcomes = roundAnswered + roundTimedOut
        // Half the width lost decides the round before its other outcomes are in: narrowing then keeps the rest of
        // the round's retransmissions from meeting a busy BMC again.
        guard (roundUnsent == 0 && roundOutstanding == 0) || roundTimedOut * 2 >= width else { return }
        if roundTimedOut == 0 {
            // All outstanding together: the BMC held them. On a lossy link slow start goes on without that proof,
            // as its losses, not the BMC's queue, decide.
            let together = roundPeak >= width
            if together { proven = max(proven, width) }
            if slowStart, width < maximum, together || lossyFor > 0 { return widen(to: min(maximum, width * 2)) }
        } else if strict || unprovenWidth {
            // Back to what the round answered, not to the width before a widening: requests sent one after another
            // (an SDR walk) widen the window without ever having been in flight together.
            cannotTake(max(1, min(width - 1, roundAnswered)))
        } else {
            // At a proven width, or on a lossy link, a single loss is the link's, not the width's.
            slowStart = false
            let narrowed = max(1, min(width / 2, roundAnswered))
            if roundTimedOut * 2 >= outcomes, roundTimedOut >= 2, narrowed < width {
                width = narrowed
                proven = min(proven, width)
                answeredSinceChange = 0
            }
        }
        strict = false
        startRound()
    }

    private mutating func startRound() {
        round = (round &+ 1) & 0xFF_FFFF
        roundUnsent = width
        roundOutstanding = 0
        roundPeak = 0
        roundAnswered = 0
        roundTimedOut = 0
    }
}
