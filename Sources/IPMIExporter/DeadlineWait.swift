import NIOConcurrencyHelpers

/// Waits for `task` until `deadline` (none: until it ends). Returns its value, or nil if the deadline came first;
/// throws its error, or `CancellationError` if the caller is cancelled. The task itself runs on either way,
/// unless `cancelTaskOnCancel` and the caller is cancelled before its deadline (shutdown rather than lateness).
/// The deadline is a timer of `clock`, as every wait for a scrape's deadline is.
package func value<T: Sendable>(
    of task: Task<T, any Error>, until deadline: ContinuousClock.Instant?, cancelTaskOnCancel: Bool,
    clock: any ExporterClock = RealClock()
) async throws -> T? {
    let outcome = OneShot<T?>()
    return try await withTaskCancellationHandler {
        let timer = deadline.map { deadline in
            clock.schedule(at: deadline) { outcome.resume(with: .success(nil)) }
        }
        defer { timer?.cancel() }
        Task {
            let result = await task.result
            outcome.resume(with: result.map { Optional($0) })
        }
        return try await outcome.value()
    } onCancel: {
        if cancelTaskOnCancel, deadline.map({ clock.now < $0 }) ?? true { task.cancel() }
        outcome.resume(with: .failure(CancellationError()))
    }
}

/// A result delivered once, from whichever of several racing tasks gets there first, to one waiter that may
/// arrive before or after it.
final class OneShot<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
    }

    private let state = NIOLockedValueBox(State())

    func resume(with result: Result<T, any Error>) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.continuation = nil }
            return state.continuation
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
