/// How many requests one session keeps on the wire: a few at first, widened while the BMC answers everything,
/// narrowed when it loses much of what was in flight, and kept across the sessions of one client (one target), so
/// that a re-opened session does not pay for the same lesson again.
///
/// RMCP+ lets a console keep several requests outstanding, told apart by their rqSeq (IPMI v2.0 §13.8), but
/// some BMCs have a single receive buffer and silently drop a request that arrives while they are busy, and others
/// queue only a few. Such a BMC loses most of a burst at once; a lossy link loses a few requests of every window, at
/// any width. So the window is judged per round: the next `width` requests sent once the previous round was judged
/// (``sent()`` tags them). Only their outcomes count, because a loss is known a timeout after the answers to the
/// requests sent beside it: meanwhile the slots it did not block carry answers that say nothing of the width.
///
/// - It starts at ``initialWidth`` (or the maximum, if lower) and doubles after every round answered in full, until
///   the first loss or the maximum: a BMC that takes the configured window reaches it within a few dozen answers.
/// - A loss in a round judged strictly (the first of a session, or the first at a new width) means the BMC cannot
///   take the width: the window goes back to what that round had answered, and does not try to widen again for
///   ``maximumGrowthRun`` answers. A single-buffer BMC is at one request at a
///   time after one round, a BMC that queues only a few at what it answered.
/// - Later, when half or more of a round timed out (and more than one request), it narrows to what was answered
///   (at most half). Fewer losses leave it as it is, so a lossy link keeps its window and every lost answer delays
///   only its own request.
/// - After ``growthRun`` answers without a change it widens by one, and that round is judged strictly.
///
/// So a BMC that takes only so many requests costs lost rounds in its first scrape, and none in the scrapes after.
package struct RequestWindow: Sendable, Equatable {
    /// The configured ceiling.
    package let maximum: Int
    /// The current width, 1...maximum.
    package private(set) var width: Int
    /// Answers needed to widen by one.
    package private(set) var growthRun = Self.initialGrowthRun
    /// The round under way: its tag, the requests still to be tagged with it, those tagged and not yet over, and
    /// the outcomes of those over.
    private var round: UInt32 = 0
    private var roundUnsent = 0
    private var roundOutstanding = 0
    private var roundAnswered = 0
    private var roundTimedOut = 0
    /// Answers since the width last changed.
    private var answeredSinceChange = 0
    /// True in the first round of a session and of a new width.
    private var strict = true
    /// Doubling after every round answered in full, until the first loss.
    private var slowStart = true

    package static let initialWidth = 4
    package static let initialGrowthRun = 32
    /// How long a widening the BMC could not take is not tried again, in answers.
    package static let maximumGrowthRun = 4096

    package init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.width = min(self.maximum, Self.initialWidth)
        self.roundUnsent = width
    }

    /// A request goes on the wire (a first attempt or a retransmission): the round it counts in, nil when it counts
    /// in none (the round under way has all its requests). Its outcome is reported with this tag.
    package mutating func sent() -> UInt32? {
        guard roundUnsent > 0 else { return nil }
        roundUnsent -= 1
        roundOutstanding += 1
        return round
    }

    /// A new session with the same BMC: the width learnt so far stays, and the first round is judged strictly.
    package mutating func sessionStarted() {
        strict = true
        startRound()
    }

    package mutating func timedOut(_ tag: UInt32?) {
        guard tag == round, roundOutstanding > 0 else { return }
        roundOutstanding -= 1
        roundTimedOut += 1
        endRoundIfComplete()
    }

    /// A request of the round ended without an outcome (cancelled, or its session closed): the round is judged on
    /// the others, instead of waiting for it for ever.
    package mutating func abandoned(_ tag: UInt32?) {
        guard tag == round, roundOutstanding > 0 else { return }
        roundOutstanding -= 1
        endRoundIfComplete()
    }

    package mutating func answered(_ tag: UInt32?) {
        answeredSinceChange += 1
        if tag == round, roundOutstanding > 0 {
            roundOutstanding -= 1
            roundAnswered += 1
            endRoundIfComplete()
        }
        guard !slowStart, answeredSinceChange >= growthRun, width < maximum else { return }
        widen(to: width + 1)
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
            if slowStart, width < maximum { return widen(to: min(maximum, width * 2)) }
        } else if strict {
            // The first round of a session or of a new width lost requests: the BMC cannot take the width. Back to
            // what it answered, and no new try for a long run. Not to the width before a widening: requests sent
            // one after another (an SDR walk) widen the window without ever having been in flight together.
            width = max(1, min(width - 1, roundAnswered))
            growthRun = Self.maximumGrowthRun
            answeredSinceChange = 0
            slowStart = false
        } else {
            // Later in a session a single loss is a lossy link's, not the width's.
            slowStart = false
            let narrowed = max(1, min(width / 2, roundAnswered))
            if roundTimedOut * 2 >= outcomes, roundTimedOut >= 2, narrowed < width {
                width = narrowed
                answeredSinceChange = 0
            }
        }
        strict = false
        startRound()
    }

    private mutating func startRound() {
        round &+= 1
        roundUnsent = width
        roundOutstanding = 0
        roundAnswered = 0
        roundTimedOut = 0
    }
}
