import Testing

@testable import IPMI

@Suite("Stray answer policy")
struct StrayAnswerPolicyTests {
    private let second: UInt64 = 1_000_000_000

    @Test("a new session holds every answered rqSeq for its first 64 answers, then none on a clean network")
    func probation() {
        var policy = StrayAnswerPolicy(requestTimeout: .seconds(1))
        let start = 100 * second
        policy.sessionEstablished(now: start)
        // After the first second, only the answer count keeps the session cautious.
        let later = start + 5 * second
        for answer in 1...63 {
            #expect(policy.answered(now: later) == later + second, "answer \(answer)")
        }
        #expect(policy.answered(now: later) == nil)
        #expect(policy.answered(now: later + second) == nil)
    }

    @Test("within its first horizon a session holds answers even after 64 of them")
    func firstHorizon() {
        var policy = StrayAnswerPolicy(requestTimeout: .seconds(2))
        policy.sessionEstablished(now: 0)
        for _ in 0..<100 { _ = policy.answered(now: second) }
        #expect(policy.answered(now: second) == 3 * second)
        #expect(policy.answered(now: 2 * second) == nil)
    }

    @Test("a stray makes the session cautious for ten minutes")
    func cautionAfterStray() {
        var policy = StrayAnswerPolicy(requestTimeout: .seconds(1))
        policy.sessionEstablished(now: 0)
        for _ in 0..<64 { _ = policy.answered(now: 10 * second) }
        #expect(policy.answered(now: 10 * second) == nil)
        policy.strayArrived(now: 20 * second, afterItsHold: false)
        #expect(policy.horizon == second)
        #expect(policy.answered(now: 20 * second + 599 * second) == 619 * second + second)
        #expect(policy.answered(now: 20 * second + 600 * second) == nil)
    }

    @Test("a stray after its hold ended doubles the horizon, up to four request timeouts")
    func horizonGrowth() {
        var policy = StrayAnswerPolicy(requestTimeout: .milliseconds(500))
        #expect(policy.horizon == second / 2)
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.horizon == second)
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.horizon == 2 * second)
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.horizon == 2 * second)
    }

    @Test("an attempt given up on is held from a request timeout after it was sent, or from now if later")
    func givenUpAttempt() {
        var policy = StrayAnswerPolicy(requestTimeout: .seconds(1))
        // Retransmitted after 200 ms: the first attempt's answer may come until 1 s after it was sent.
        #expect(policy.holdEnd(givenUpAttemptSentAt: 10 * second, now: 10 * second + second / 5) == 12 * second)
        #expect(policy.holdEnd(givenUpAttemptSentAt: 10 * second, now: 15 * second) == 16 * second)
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.holdEnd(givenUpAttemptSentAt: 10 * second, now: 10 * second) == 13 * second)
    }

    @Test("a request timeout too long to count saturates instead of trapping")
    func saturation() {
        var policy = StrayAnswerPolicy(requestTimeout: .seconds(Int64.max))
        #expect(policy.requestTimeout == UInt64(Int64.max))
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.horizon == UInt64(Int64.max) * 2)
        policy.strayArrived(now: 0, afterItsHold: true)
        #expect(policy.horizon == UInt64.max)
        #expect(policy.holdEnd(givenUpAttemptSentAt: 1, now: 1) == UInt64.max)
        var negative = StrayAnswerPolicy(requestTimeout: .seconds(-1))
        negative.strayArrived(now: 0, afterItsHold: true)
        #expect(negative.horizon == 0)
    }
}
