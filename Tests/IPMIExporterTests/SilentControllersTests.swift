import IPMI
import Testing

@testable import ExporterCollectors

/// How long a controller behind the BMC that answered no bridged read is left out (``SilentControllers``).
@Suite struct SilentControllersTests {
    static let satellite = BridgeTarget(channel: 0, address: 0x32)
    static let engine = BridgeTarget(channel: 6, address: 0x2C)

    @Test func aSilentControllerIsLeftOutForAWaitThatDoublesUpToTheLongest() {
        var controllers = SilentControllers(first: .seconds(60), longest: .seconds(200))
        let start = ContinuousClock.now
        var change = controllers.record(silent: [Self.satellite], answered: [], at: start)
        #expect(change.silent == [Self.satellite: .seconds(60)])
        #expect(controllers.skipped(at: start) == [Self.satellite])
        #expect(controllers.skipped(at: start + .seconds(59)) == [Self.satellite])
        #expect(controllers.skipped(at: start + .seconds(60)).isEmpty)

        // Asked again after the wait and silent again: 120 s, then 200 s (not 240), then 200 s.
        var now = start + .seconds(60)
        for expected in [120, 200, 200] as [Int64] {
            change = controllers.record(silent: [Self.satellite], answered: [], at: now)
            #expect(change.silent == [Self.satellite: .seconds(expected)])
            #expect(controllers.skipped(at: now + .seconds(expected - 1)) == [Self.satellite])
            now += .seconds(expected)
            #expect(controllers.skipped(at: now).isEmpty)
        }
    }

    @Test func anAnswerEndsTheSilenceAndTheNextSilenceStartsAtTheFirstWait() {
        var controllers = SilentControllers(first: .seconds(60), longest: .seconds(600))
        let start = ContinuousClock.now
        _ = controllers.record(silent: [Self.satellite, Self.engine], answered: [], at: start)
        _ = controllers.record(silent: [Self.satellite], answered: [], at: start + .seconds(60))
        let change = controllers.record(silent: [], answered: [Self.satellite], at: start + .seconds(180))
        #expect(change.recovered == [Self.satellite])
        #expect(change.silent.isEmpty)
        #expect(controllers.skipped(at: start + .seconds(180)).isEmpty)
        // The engine's first wait ended long ago; it is still remembered as silent, so its next silence doubles.
        let again = controllers.record(silent: [Self.satellite, Self.engine], answered: [], at: start + .seconds(200))
        #expect(again.silent == [Self.satellite: .seconds(60), Self.engine: .seconds(120)])
    }

    @Test func aControllerThatAnsweredSomethingInTheBatchIsNotSilent() {
        var controllers = SilentControllers()
        let change = controllers.record(silent: [Self.satellite], answered: [Self.satellite], at: .now)
        #expect(change == SilentControllers.Change())
        #expect(controllers.skipped(at: .now).isEmpty)
    }
}
