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
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
        /// Waiters cancelled before they got to wait.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state = NIOLockedValueBox(State())

    var isOpen: Bool { state.withLockedValue { $0.fired } }

    func fire() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the gate is open, whether or not the task is cancelled.
    func wait() async {
        await wait(id: nextID())
    }

    /// Returns once the gate is open, or at once when the task is cancelled (as a collection that honours
    /// cancellation would).
    func waitUnlessCancelled() async {
        let id = nextID()
        await withTaskCancellationHandler {
            await wait(id: id)
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
    }

    private func nextID() -> UInt64 {
        state.withLockedValue { state in
            state.nextID += 1
            return state.nextID
        }
    }

    private func wait(id: UInt64) async {
        await withCheckedContinuation { continuation in
            let goOn = state.withLockedValue { state in
                if state.fired || state.cancelledEarly.remove(id) != nil { return true }
                state.waiters[id] = continuation
                return false
            }
            if goOn { continuation.resume() }
        }
    }
}
