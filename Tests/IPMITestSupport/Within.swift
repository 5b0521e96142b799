import NIOConcurrencyHelpers

/// Thrown by ``within(seconds:_:)`` when the work has not finished in time.
public struct StillWaiting: Error, CustomStringConvertible {
    public let seconds: Int
    public var description: String { "still waiting after \(seconds) s" }
}

/// The result of `body`, or ``StillWaiting`` after `seconds`: a test of something that could hang fails instead of
/// never ending. `body` runs in a task of its own that is left behind if it hangs (a task group would wait for it).
public func within<T: Sendable>(
    seconds: Int, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
        let waiting = NIOLockedValueBox(Optional(continuation))
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            waiting.withLockedValue { $0.take() }?.resume(returning: result)
        }
        Task {
            do {
                finish(.success(try await body()))
            } catch {
                finish(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            finish(.failure(StillWaiting(seconds: seconds)))
        }
    }
    return try result.get()
}
