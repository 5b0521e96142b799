import IPMIExporter
import NIOConcurrencyHelpers

/// An ``ExporterClock`` that only moves when a test moves it: the timers and sleeps due by then run in
/// ``advance(by:)``, in deadline order. It starts at the real clock's present, so instants made from either compare.
final class ManualClock: ExporterClock {
    private struct Timer {
        var id: UInt64
        var deadline: ContinuousClock.Instant
        var action: @Sendable () -> Void
    }

    private struct State {
        var now: ContinuousClock.Instant
        var timers: [Timer] = []
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(start: ContinuousClock.Instant = .now) {
        state = NIOLockedValueBox(State(now: start))
    }

    var now: ContinuousClock.Instant { state.withLockedValue { $0.now } }

    /// Timers and sleeps waiting for the clock to move.
    var pending: Int { state.withLockedValue { $0.timers.count } }

    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> DeadlineTimer {
        let id: UInt64? = state.withLockedValue { state in
            guard deadline > state.now else { return nil }
            state.nextID += 1
            state.timers.append(Timer(id: state.nextID, deadline: deadline, action: action))
            return state.nextID
        }
        guard let id else {
            action()
            return DeadlineTimer(cancel: {})
        }
        return DeadlineTimer { [weak self] in
            self?.state.withLockedValue { $0.timers.removeAll { $0.id == id } }
        }
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let wake = OneShotSignal()
        let timer = schedule(at: deadline) { wake.fire() }
        try await withTaskCancellationHandler {
            await wake.wait()
        } onCancel: {
            timer.cancel()
            wake.fire()
        }
        try Task.checkCancellation()
    }

    /// Moves the clock on by `duration`, running every timer due by then.
    func advance(by duration: Duration) {
        let due: [Timer] = state.withLockedValue { state in
            state.now += duration
            let now = state.now
            let due = state.timers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.timers.removeAll { $0.deadline <= now }
            return due
        }
        for timer in due { timer.action() }
    }
}

/// A gate that opens once: every waiter, before or after, goes on once it is open.
final class OneShotSignal: Sendable {
    private let state = NIOLockedValueBox<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    var isOpen: Bool { state.withLockedValue { $0.fired } }

    func fire() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLockedValue { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}
