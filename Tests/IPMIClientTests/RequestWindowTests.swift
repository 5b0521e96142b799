import Testing

@testable import IPMIClient

@Suite("Request window")
struct RequestWindowTests {
    @Test("halves on each timeout, down to one")
    func halves() {
        var window = RequestWindow(maximum: 16)
        for expected in [8, 4, 2, 1, 1] {
            window.timedOut()
            #expect(window.width == expected)
        }
    }

    @Test("grows back by one per run of answers without a timeout, up to the maximum")
    func growsBack() {
        var window = RequestWindow(maximum: 4)
        window.timedOut()
        window.timedOut()
        #expect(window.width == 1)
        for _ in 0..<(RequestWindow.initialGrowthRun - 1) { window.answered() }
        #expect(window.width == 1)
        window.answered()
        #expect(window.width == 2)
        for _ in 0..<(RequestWindow.initialGrowthRun * 10) { window.answered() }
        #expect(window.width == 4)
    }

    @Test("a timeout right after a widening doubles the run needed for the next one")
    func backsOffOnABMCThatCannotTakeMore() {
        var window = RequestWindow(maximum: 2)
        window.timedOut()
        var run = RequestWindow.initialGrowthRun
        for _ in 0..<4 {
            for _ in 0..<run { window.answered() }
            #expect(window.width == 2)
            window.timedOut()
            #expect(window.width == 1)
            run *= 2
            #expect(window.growthRun == run)
        }
        // A loss after the widening held for a whole run is not blamed on it.
        for _ in 0..<run { window.answered() }
        for _ in 0..<run { window.answered() }
        window.timedOut()
        #expect(window.growthRun == run)
    }
}
