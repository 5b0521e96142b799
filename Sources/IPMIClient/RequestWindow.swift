/// How many requests one session keeps on the wire: the configured maximum, halved whenever a request
/// times out, and widened again by one after a run of answers without a timeout.
///
/// RMCP+ lets a console keep several requests outstanding, told apart by their rqSeq (IPMI v2.0 §13.8), but
/// some BMCs have a single receive buffer and silently drop a request that arrives while they are busy.
/// Starting wide and narrowing on each loss gives the fast path on BMCs that can take it and falls back to
/// one request at a time on those that cannot, at the cost of a timeout or two per session.
///
/// A timeout is also what a lossy link looks like, and there the window should not stay narrow for the rest of
/// the session. So it grows back by one after ``growthRun`` answers in a row. On a BMC that really cannot take
/// more, each widening costs one more timeout; the run needed for the next widening doubles after every timeout
/// that follows a widening, so such a BMC pays a timeout after 32, 64, 128, … answers rather than every 32.
struct RequestWindow: Sendable, Equatable {
    /// The configured ceiling.
    let maximum: Int
    /// The current width, 1...maximum.
    private(set) var width: Int
    /// Answers in a row (without a timeout) needed to widen by one.
    private(set) var growthRun = Self.initialGrowthRun
    /// Answers since the last timeout or widening.
    private var answeredInRow = 0
    /// True from a widening until a whole run is answered at the new width: a timeout then blames the widening.
    private var widened = false

    static let initialGrowthRun = 32
    /// Bounds the doubling, so a session that saw many losses still widens within a few thousand answers.
    static let maximumGrowthRun = 4096

    init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.width = self.maximum
    }

    mutating func timedOut() {
        width = max(1, width / 2)
        answeredInRow = 0
        if widened {
            growthRun = min(Self.maximumGrowthRun, growthRun * 2)
            widened = false
        }
    }

    mutating func answered() {
        answeredInRow += 1
        guard answeredInRow >= growthRun else { return }
        answeredInRow = 0
        // The last widening held for a whole run: a later timeout is a loss, not its fault.
        widened = width < maximum
        width = min(maximum, width + 1)
    }
}
