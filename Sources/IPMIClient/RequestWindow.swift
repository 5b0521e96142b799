/// How many requests one session keeps on the wire: the configured maximum, halved whenever a request
/// times out, for the rest of the session.
///
/// RMCP+ lets a console keep several requests outstanding, told apart by their rqSeq (IPMI v2.0 §13.8), but
/// some BMCs have a single receive buffer and silently drop a request that arrives while they are busy.
/// Starting wide and narrowing on each loss gives the fast path on BMCs that can take it and falls back to
/// one request at a time on those that cannot, at the cost of a timeout or two per session. The window never
/// widens again within a session: growing back would probe (and pay a timeout) over and over on a BMC that
/// cannot take it. A new session starts at the maximum again.
struct RequestWindow: Sendable, Equatable {
    /// The configured ceiling.
    let maximum: Int
    /// The current width, 1...maximum.
    private(set) var width: Int

    init(maximum: Int) {
        self.maximum = max(1, maximum)
        self.width = self.maximum
    }

    mutating func timedOut() {
        width = max(1, width / 2)
    }
}
