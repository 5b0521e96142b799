import NIOConcurrencyHelpers

/// A counting semaphore for async code: at most `limit` holders, FIFO among waiters, and a waiting task that is
/// cancelled leaves the queue at once.
final class AsyncSlots: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        /// Acquirers that have an ID but have not yet queued or taken a slot.
        var registering: Set<UInt64> = []
        var cancelledBeforeWaiting: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(limit: Int) {
        state = NIOLockedValueBox(State(available: max(1, limit)))
    }

    /// Tasks waiting for a slot now.
    var waiting: Int { state.withLockedValue { $0.waiters.count } }

    /// Waits for a slot; false if the task was cancelled first (then no slot is held).
    func acquire() async -> Bool {
        let id = state.withLockedValue { state in
            state.nextID += 1
            state.registering.insert(state.nextID)
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let granted: Bool? = state.withLockedValue { state in
                    state.registering.remove(id)
                    if state.cancelledBeforeWaiting.remove(id) != nil { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let granted { continuation.resume(returning: granted) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLockedValue { state in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index)
                }
                if state.registering.contains(id) { state.cancelledBeforeWaiting.insert(id) }
                return nil
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Returns a slot, handing it straight to the longest waiter if there is one.
    func release() {
        let next: Waiter? = state.withLockedValue { state in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }
}
