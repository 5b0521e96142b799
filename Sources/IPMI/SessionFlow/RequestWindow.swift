/// How many requests one session keeps on the wire: the configured maximum, narrowed when a BMC loses much of what
/// was in flight, and widened again by one after a run of answers.
///
/// RMCP+ lets a console keep several requests outstanding, told apart by their rqSeq (IPMI v2.0 §13.8), but
/// some BMCs have a single receive buffer and silently drop a request that arrives while they are busy. Such a
/// BMC loses most of a window at once: it answers one request of a burst and drops the rest. A lossy link loses
/// a few requests of every window, at any width. So the window is judged per round (as many outcomes as it is
/// wide): when half or more of a round timed out (and more than one request, but for the first round at a width),
/// it narrows to what was answered (at most half), which takes a single-buffer BMC to one request at a time in one
/// round; fewer losses leave it as it is, so a lossy link keeps its window and every lost answer delays only its
/// own request.
///
/// After ``growthRun`` answers since it last narrowed or widened, it widens by one. On a BMC that cannot take more,
/// each widening costs a lost round; the run needed for the next widening doubles after every narrowing that
/// follows a widening, so such a BMC pays a lost round after 32, 64, 128, … answers rather than every 32.
package struct RequestWindow: Sendable, Equatable {
    /// The configured ceiling.
    package let maximum: Int
    /// The current width, 1...maximum.
    package private(set) var width: Int
    /// Answers needed to widen by one.
    package private(set) var growthRun = Self.initialGrowthRun
    /// Outcomes of the round under way.
    private var roundAnswered = 0
    private var roundTimedOut = 0
    /// Answers since the width last changed.
    private var answeredSinceChange = 0
    /// True in the first round after a widening: a bad round then blames the widening.
    private var widened = false
    /// True in the first round of the session and after a widening.
    private var strict = true

    package static let initialGrowthRun = 32
    /// Bounds the doubling, so a session that saw many losses still widens within a few thousand answers.
    package static let maximumGrowthRun = 4096

    package init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.width = self.maximum
    }

    package mutating func timedOut() {
        roundTimedOut += 1
        endRoundIfComplete()
    }

    package mutating func answered() {
        roundAnswered += 1
        answeredSinceChange += 1
        endRoundIfComplete()
        guard answeredSinceChange >= growthRun, width < maximum else { return }
        width += 1
        answeredSinceChange = 0
        widened = true
        strict = true
        startRound()
    }

    private mutating func endRoundIfComplete() {
        let outcomes = roundAnswered + roundTimedOut
        // Half the width lost decides the round before its other outcomes are in: narrowing then keeps the rest of
        // the round's retransmissions from meeting a busy BMC again.
        guard outcomes >= width || roundTimedOut * 2 >= width else { return }
        // The first round of a session or of a new width is judged strictly, so that a BMC that cannot take the width
        // costs one lost round; later, a single loss is a lossy link's, not the width's.
        let narrowed = max(1, min(width / 2, roundAnswered))
        if roundTimedOut * 2 >= outcomes, strict || roundTimedOut >= 2, narrowed < width {
            width = narrowed
            answeredSinceChange = 0
            if widened { growthRun = min(Self.maximumGrowthRun, growthRun * 2) }
        }
        widened = false
        strict = false
        startRound()
    }

    private mutating func startRound() {
        roundAnswered = 0
        roundTimedOut = 0
    }
}
