/// How long a session waits for an answer before it sends a request again.
///
/// IPMI leaves retransmission to the console (IPMI v2.0 section 6.12.15 only says a request may be retried), and a
/// fixed wait of ``ceiling`` makes every lost datagram cost that long: on a link that loses a few percent, a scrape
/// of fifty requests then spends seconds waiting for answers that will never come. So the wait follows the answers
/// the session actually gets, as TCP's does (RFC 6298): the smoothed round trip plus four times its variation, at
/// least ``floor``, doubled for each attempt of the same request, and never more than ``ceiling``. Only answers to
/// requests sent once are measured (an answer to a retransmitted request cannot tell which copy it answers). The
/// last attempt always waits the whole ``ceiling``, so a BMC that is merely slow still has that long to answer.
package struct RetransmissionTimer: Sendable, Equatable {
    /// The configured request timeout: the longest wait, and the wait before any answer was measured.
    package let ceiling: Duration
    /// The shortest wait.
    package let floor: Duration
    private var smoothed: Duration?
    private var variation: Duration = .zero

    package init(ceiling: Duration, floor: Duration) {
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
    }

    /// Records the round trip of an answer to a request sent once.
    package mutating func measured(_ roundTrip: Duration) {
        guard let smoothed else {
            self.smoothed = roundTrip
            variation = roundTrip / 2
            return
        }
        let deviation = roundTrip > smoothed ? roundTrip - smoothed : smoothed - roundTrip
        variation = variation * 3 / 4 + deviation / 4
        self.smoothed = smoothed * 7 / 8 + roundTrip / 8
    }

    /// The wait for attempt `attempt` (0: the first sending) of a request, `isLast` when no retry follows.
    package func timeout(attempt: Int, isLast: Bool) -> Duration {
        guard !isLast, let smoothed else { return ceiling }
        var wait = max(floor, smoothed + variation * 4)
        for _ in 0..<min(attempt, 16) where wait < ceiling { wait *= 2 }
        return min(wait, ceiling)
    }
}
