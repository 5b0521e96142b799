import IPMI

/// Controllers behind the BMC that stopped answering bridged requests, and when each is asked again.
///
/// A hung satellite controller takes the BMC's Send Message and never answers, so each of its sensors costs a whole
/// request timeout. Once every bridged request to a controller in a scrape went unanswered, its sensors are left out
/// (as after a failed read: no series) for ``first``; each further silent attempt doubles the wait, up to ``longest``.
/// The first answer of any kind ends it.
struct SilentControllers: Sendable {
    struct Wait: Sendable, Hashable {
        /// Not asked before this instant.
        var until: ContinuousClock.Instant
        /// How long the last wait was.
        var length: Duration
    }

    /// What one batch's outcome changed: controllers found silent now (with the wait before they are asked again),
    /// and controllers that answered after a silence.
    struct Change: Sendable, Hashable {
        var silent: [BridgeTarget: Duration] = [:]
        var recovered: Set<BridgeTarget> = []
    }

    let first: Duration
    let longest: Duration
    private(set) var waits: [BridgeTarget: Wait] = [:]

    init(first: Duration = .seconds(60), longest: Duration = .seconds(600)) {
        self.first = first
        self.longest = max(first, longest)
    }

    /// The controllers not to ask at `now`.
    func skipped(at now: ContinuousClock.Instant) -> Set<BridgeTarget> {
        Set(waits.filter { $0.value.until > now }.keys)
    }

    /// Takes in which controllers were silent and which answered in a batch read at `now`.
    mutating func record(
        silent: Set<BridgeTarget>, answered: Set<BridgeTarget>, at now: ContinuousClock.Instant
    ) -> Change {
        var change = Change()
        for target in answered where waits.removeValue(forKey: target) != nil {
            change.recovered.insert(target)
        }
        for target in silent.subtracting(answered) {
            let length = waits[target].map { min($0.length * 2, longest) } ?? first
            waits[target] = Wait(until: now + length, length: length)
            change.silent[target] = length
        }
        return change
    }
}
