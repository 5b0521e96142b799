import Testing

@testable import IPMI

@Suite("Retransmission timer")
struct RetransmissionTimerTests {
    @Test("before any answer was measured, every attempt waits the whole request timeout")
    func unmeasured() {
        let timer = RetransmissionTimer(ceiling: .seconds(1), floor: .milliseconds(200))
        #expect(timer.timeout(attempt: 0, isLast: false) == .seconds(1))
        #expect(timer.timeout(attempt: 1, isLast: false) == .seconds(1))
    }

    @Test("fast answers bring the wait down to the floor; each attempt doubles it; the last waits it all")
    func measured() {
        var timer = RetransmissionTimer(ceiling: .seconds(1), floor: .milliseconds(200))
        for _ in 0..<20 { timer.measured(.microseconds(100)) }
        #expect(timer.timeout(attempt: 0, isLast: false) == .milliseconds(200))
        #expect(timer.timeout(attempt: 1, isLast: false) == .milliseconds(400))
        #expect(timer.timeout(attempt: 2, isLast: false) == .milliseconds(800))
        #expect(timer.timeout(attempt: 3, isLast: false) == .seconds(1))
        #expect(timer.timeout(attempt: 1, isLast: true) == .seconds(1))
    }

    @Test("the wait is the smoothed round trip plus four times its variation (RFC 6298)")
    func smoothedPlusVariation() {
        var timer = RetransmissionTimer(ceiling: .seconds(10), floor: .milliseconds(1))
        // First sample: smoothed 100 ms, variation 50 ms: 100 + 4 × 50.
        timer.measured(.milliseconds(100))
        #expect(timer.timeout(attempt: 0, isLast: false) == .milliseconds(300))
        // Second sample 200 ms: variation 3/4 × 50 + 1/4 × 100 = 62.5 ms, smoothed 7/8 × 100 + 1/8 × 200 = 112.5 ms.
        timer.measured(.milliseconds(200))
        #expect(timer.timeout(attempt: 0, isLast: false) == .microseconds(362_500))
    }

    @Test("a floor above the request timeout is the request timeout")
    func floorCappedByCeiling() {
        var timer = RetransmissionTimer(ceiling: .milliseconds(500), floor: .seconds(2))
        timer.measured(.milliseconds(1))
        #expect(timer.timeout(attempt: 0, isLast: false) == .milliseconds(500))
    }
}
