import Testing

@testable import IPMI

@Suite("Request window")
struct RequestWindowTests {
    @Test("a BMC that answers one request of a burst and drops the rest is down to one at a time in one round")
    func singleBufferBMC() {
        var window = RequestWindow(maximum: 16)
        window.answered()
        for _ in 0..<15 { window.timedOut() }
        #expect(window.width == 1)
    }

    @Test("a lost half of a round halves the window at most; less than half leaves it")
    func heavyLossHalves() {
        var window = RequestWindow(maximum: 16)
        for _ in 0..<9 { window.answered() }
        for _ in 0..<7 { window.timedOut() }
        #expect(window.width == 16)
        for _ in 0..<8 { window.answered() }
        for _ in 0..<8 { window.timedOut() }
        #expect(window.width == 8)
    }

    @Test("a lossy link that loses a few requests of every round keeps the full window")
    func lightLossKeepsTheWindow() {
        var window = RequestWindow(maximum: 16)
        for _ in 0..<100 {
            for _ in 0..<13 { window.answered() }
            for _ in 0..<3 { window.timedOut() }
        }
        #expect(window.width == 16)
    }

    @Test("grows back by one per run of answers, up to the maximum, through occasional losses")
    func growsBack() {
        var window = RequestWindow(maximum: 4)
        window.answered()
        for _ in 0..<3 { window.timedOut() }
        #expect(window.width == 1)
        for _ in 0..<(RequestWindow.initialGrowthRun - 2) { window.answered() }
        // A loss at width 1 cannot be the window's fault: it does not reset the run.
        window.timedOut()
        window.answered()
        #expect(window.width == 1)
        window.answered()
        #expect(window.width == 2)
        for _ in 0..<(RequestWindow.initialGrowthRun * 10) { window.answered() }
        #expect(window.width == 4)
    }

    @Test("a lost round right after a widening doubles the run needed for the next one")
    func backsOffOnABMCThatCannotTakeMore() {
        var window = RequestWindow(maximum: 2)
        window.answered()
        window.timedOut()
        #expect(window.width == 1)
        var run = RequestWindow.initialGrowthRun
        for _ in 0..<4 {
            for _ in 0..<run { window.answered() }
            #expect(window.width == 2)
            // The BMC answers one of the two and drops the other.
            window.answered()
            window.timedOut()
            #expect(window.width == 1)
            run *= 2
            #expect(window.growthRun == run)
        }
    }
}
