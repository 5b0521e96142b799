import Foundation

/// Runs blocking work (a child process, ipmi_sim start-up polling) on a Dispatch thread and suspends meanwhile, so
/// it never ties up one of the few threads of Swift's cooperative pool that every other test's sessions, timers
/// and deadlines need.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
