import Testing

@testable import IPMI

extension RequestWindow {
    /// Sends `answered + timedOut` requests, tagged as they go out, then reports that many answers and timeouts.
    mutating func round(answered: Int, timedOut: Int) {
        let tags = (0..<(answered + timedOut)).map { _ in sent() }
        for tag in tags.prefix(answered) { self.answered(tag) }
        for tag in tags.suffix(timedOut) { self.timedOut(tag) }
    }
}

@Suite("Request window")
struct RequestWindowTests {
    /// Answers rounds in full until the window is at its maximum, and then one more round (the first at a new
    /// width is judged strictly).
    static func warmed(maximum: Int) -> RequestWindow {
        var window = RequestWindow(maximum: maximum)
        while window.width < maximum { window.round(answered: window.width, timedOut: 0) }
        window.round(answered: window.width, timedOut: 0)
        return window
    }

    @Test("starts at a few requests and doubles after every round answered in full, up to the maximum")
    func slowStart() {
        var window = RequestWindow(maximum: 16)
        #expect(window.width == RequestWindow.initialWidth)
        var widths: [Int] = []
        for _ in 0..<3 {
            window.round(answered: window.width, timedOut: 0)
            widths.append(window.width)
        }
        #expect(widths == [8, 16, 16])
        #expect(RequestWindow(maximum: 2).width == 2)
    }

    @Test("a request of the round cancelled before its outcome leaves the round to be judged on the others")
    func cancelledRequestDoesNotHoldTheRound() {
        var window = RequestWindow(maximum: 16)
        let round = (0..<4).map { _ in window.sent() }
        window.abandoned(round[0])
        for tag in round.dropFirst() { window.answered(tag) }
        #expect(window.width == 8)
    }

    @Test("a BMC that answers one request of a burst and drops the rest is down to one at a time in one round")
    func singleBufferBMC() {
        var window = RequestWindow(maximum: 16)
        window.round(answered: 1, timedOut: 3)
        #expect(window.width == 1)
        var warm = Self.warmed(maximum: 16)
        warm.round(answered: 1, timedOut: 15)
        #expect(warm.width == 1)
    }

    @Test("answers to requests sent outside the round say nothing of it: the losses of the round still count")
    func onlyTheRoundsOwnRequestsCount() {
        var window = RequestWindow(maximum: 16)
        let round = (0..<4).map { _ in window.sent() }
        window.answered(round[0])
        // The slot freed by the answer carries requests one at a time, answered before the others' timeouts.
        for _ in 0..<10 {
            let outside = window.sent()
            #expect(outside == nil)
            window.answered(outside)
        }
        #expect(window.width == 4)
        for tag in round.dropFirst() { window.timedOut(tag) }
        #expect(window.width == 1)
    }

    @Test("a lost half of a round halves the window at most; less than half leaves it")
    func heavyLossHalves() {
        var window = Self.warmed(maximum: 16)
        window.round(answered: 9, timedOut: 7)
        #expect(window.width == 16)
        window.round(answered: 8, timedOut: 8)
        #expect(window.width == 8)
    }

    @Test("a lossy link that loses a few requests of every round keeps the full window")
    func lightLossKeepsTheWindow() {
        var window = Self.warmed(maximum: 16)
        for _ in 0..<100 { window.round(answered: 13, timedOut: 3) }
        #expect(window.width == 16)
    }

    @Test("grows back by one per run of answers, up to the maximum, through occasional losses")
    func growsBack() {
        var window = Self.warmed(maximum: 4)
        window.round(answered: 1, timedOut: 3)
        #expect(window.width == 1)
        for _ in 0..<(RequestWindow.initialGrowthRun - 2) { window.round(answered: 1, timedOut: 0) }
        // A loss at width 1 cannot be the window's fault: it does not reset the run.
        window.round(answered: 0, timedOut: 1)
        window.round(answered: 1, timedOut: 0)
        #expect(window.width == 1)
        window.round(answered: 1, timedOut: 0)
        #expect(window.width == 2)
        for _ in 0..<(RequestWindow.initialGrowthRun * 10) { window.round(answered: 1, timedOut: 0) }
        #expect(window.width == 4)
    }

    @Test(
        "a loss right after a widening on a link known as lossy goes back and stops widening for a long run, then tries again"
    )
    func aWideningTheBMCCannotTakeIsNotRetried() {
        var window = Self.warmed(maximum: 4)
        // Three of a proven width lost: the link is lossy, not the BMC's queue full.
        window.round(answered: 1, timedOut: 3)
        #expect(window.width == 1)
        for _ in 0..<RequestWindow.initialGrowthRun { window.round(answered: 1, timedOut: 0) }
        #expect(window.width == 2)
        // The BMC answers one of the two and drops the other.
        window.round(answered: 1, timedOut: 1)
        #expect(window.width == 1)
        #expect(window.growthRun == RequestWindow.maximumGrowthRun)
        for _ in 0..<(RequestWindow.maximumGrowthRun - 1) { window.round(answered: 1, timedOut: 0) }
        #expect(window.width == 1)
        // On a lossy link no loss tells an overflowing queue: no ceiling, and the width is tried again.
        #expect(window.ceiling == nil)
        window.round(answered: 1, timedOut: 0)
        #expect(window.width == 2)
    }

    /// Scrapes of `requests` against a BMC that holds `holds` requests and silently drops what comes beyond, each
    /// scrape in rounds of the window's width all outstanding together, and a new session every `sessionEvery`
    /// scrapes: how many requests each scrape lost.
    static func lossesPerScrape(
        _ window: inout RequestWindow, holds: Int, scrapes: Int, requests: Int, sessionEvery: Int
    ) -> [Int] {
        (0..<scrapes).map { scrape in
            if scrape > 0, scrape % sessionEvery == 0 { window.sessionStarted() }
            var left = requests
            var lost = 0
            while left > 0 {
                let burst = window.width
                let answered = min(burst, holds)
                window.round(answered: answered, timedOut: burst - answered)
                // The lost ones are sent again, so they are still to do.
                left -= answered
                lost += burst - answered
            }
            return lost
        }
    }

    @Test(
        "a BMC whose queue overflowed loses requests in the first scrape only, over many growth runs and sessions",
        arguments: [1, 2, 5])
    func anOverflowedQueueIsNotProbedAgain(holds: Int) {
        var window = RequestWindow(maximum: 16)
        // 50 requests a scrape, a new session every 10: over 12,000 answers, three times the run after which the
        // window used to widen by one to probe.
        let losses = Self.lossesPerScrape(&window, holds: holds, scrapes: 250, requests: 50, sessionEvery: 10)
        #expect(losses[0] > 0)
        #expect(losses.dropFirst().allSatisfy { $0 == 0 }, "\(losses)")
        #expect(window.width == holds)
        #expect(window.ceiling == holds + 1)
    }

    @Test("a BMC that never overflowed keeps being probed: a lossy link's narrowing grows back to the maximum")
    func noCeilingWithoutAnOverflow() {
        var window = Self.warmed(maximum: 16)
        window.round(answered: 4, timedOut: 12)
        #expect(window.width == 4)
        for _ in 0..<(RequestWindow.maximumGrowthRun * 4) { window.round(answered: window.width, timedOut: 0) }
        #expect(window.ceiling == nil)
        #expect(window.width == 16)
    }

    @Test("a BMC that queues only a few requests settles at what it answered when slow start overshoots")
    func queueLimitedBMC() {
        var window = RequestWindow(maximum: 16)
        window.round(answered: 4, timedOut: 0)
        #expect(window.width == 8)
        // Room for 6 requests: a burst of 8 loses 2.
        window.round(answered: 6, timedOut: 2)
        #expect(window.width == 6)
        #expect(window.growthRun == RequestWindow.maximumGrowthRun)
        for _ in 0..<100 { window.round(answered: 1, timedOut: 0) }
        #expect(window.width == 6)
        // Rounds answered one request at a time (an SDR walk) widen to 16 without ever having 16 in flight: the first
        // burst finds room for 5 and settles there, not at 8.
        var walked = RequestWindow(maximum: 16)
        walked.round(answered: 4, timedOut: 0)
        walked.round(answered: 8, timedOut: 0)
        #expect(walked.width == 16)
        walked.round(answered: 5, timedOut: 11)
        #expect(walked.width == 5)
        // Room for 3: already the first round tells.
        var small = RequestWindow(maximum: 16)
        small.round(answered: 3, timedOut: 1)
        #expect(small.width == 3)
    }

    /// Sends `count` requests one after another, each answered before the next goes out.
    static func oneAtATime(_ window: inout RequestWindow, _ count: Int) {
        for _ in 0..<count {
            let tag = window.sent()
            window.answered(tag)
        }
    }

    /// A window at 8 that no round proved: a burst of 4 proved 4 and doubled it, and the (strict) first round at 8
    /// passed one request at a time.
    static func unprovenAtEight() -> RequestWindow {
        var window = RequestWindow(maximum: 16)
        window.round(answered: 4, timedOut: 0)
        oneAtATime(&window, 8)
        return window
    }

    @Test("rounds answered one request at a time prove no width: slow start doubles only on rounds in flight together")
    func trickleProvesNothing() {
        var window = RequestWindow(maximum: 16)
        Self.oneAtATime(&window, 40)
        #expect(window.width == RequestWindow.initialWidth)
        #expect(window.proven == 0)
        window.round(answered: 4, timedOut: 0)
        #expect(window.width == 8)
        #expect(window.proven == 4)
        let unproven = Self.unprovenAtEight()
        #expect(unproven.width == 8)
        #expect(unproven.proven == 4)
    }

    /// The realistic profile's BMC (one in service, 4 waiting): a width passed while requests trickled is judged
    /// strictly at its first loss, however small a part of the round, because no round proved it.
    @Test("a loss of less than half a round at a width never proven narrows to what the round answered")
    func smallLossAtAnUnprovenWidthNarrows() {
        // The next burst of 8 finds room for 5.
        var window = Self.unprovenAtEight()
        window.round(answered: 5, timedOut: 3)
        #expect(window.width == 5)
        #expect(window.growthRun == RequestWindow.maximumGrowthRun)
        // At a proven width the same loss is a lossy link's (lightLossKeepsTheWindow).
        var proven = Self.warmed(maximum: 16)
        proven.round(answered: 13, timedOut: 3)
        #expect(proven.width == 16)
    }

    @Test("a request lost outside any round at a width never proven takes the window down by one")
    func lossOutsideRoundsAtAnUnprovenWidth() {
        var window = Self.unprovenAtEight()
        // Steady flow: the round's 8 are out, and the slot an answer frees carries a request of no round.
        let round = (0..<8).map { _ in window.sent() }
        window.answered(round[0])
        let outside = window.sent()
        #expect(outside == nil)
        window.timedOut(outside)
        #expect(window.width == 7)
        #expect(window.growthRun == RequestWindow.maximumGrowthRun)
        // The outcomes of the round cut short count no more.
        for tag in round.dropFirst() { window.timedOut(tag) }
        #expect(window.width == 7)
        // At a proven width it changes nothing.
        var proven = Self.warmed(maximum: 16)
        let full = (0..<16).map { _ in proven.sent() }
        proven.answered(full[0])
        proven.timedOut(proven.sent())
        #expect(proven.width == 16)
    }

    @Test("a request lost while sent alone marks the link lossy: a small loss then leaves a width never proven")
    func lossOfALoneRequestMarksTheLinkLossy() {
        var window = Self.unprovenAtEight()
        // One request, alone on the wire, is lost: no queue was full. The round it was in ends with it.
        window.timedOut(window.sent())
        Self.oneAtATime(&window, 7)
        #expect(window.width == 8)
        window.round(answered: 5, timedOut: 3)
        #expect(window.width == 8)
    }

    @Test("a new session keeps the width learnt and judges its first round strictly")
    func keptAcrossSessions() {
        var window = RequestWindow(maximum: 16)
        window.round(answered: 1, timedOut: 3)
        #expect(window.width == 1)
        window.sessionStarted()
        #expect(window.width == 1)
        var warm = Self.warmed(maximum: 16)
        warm.sessionStarted()
        #expect(warm.width == 16)
        // A single loss in a round of two: a lossy link's later in a session, the width's in its first round.
        var later = Self.warmed(maximum: 2)
        later.round(answered: 1, timedOut: 1)
        #expect(later.width == 2)
        var first = Self.warmed(maximum: 2)
        first.sessionStarted()
        first.round(answered: 1, timedOut: 1)
        #expect(first.width == 1)
    }
}
