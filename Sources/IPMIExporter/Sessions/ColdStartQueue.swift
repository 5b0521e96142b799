import NIOCore
import Synchronization

/// The exporter-wide bound on cold work: RMCP+ session handshakes and SDR repository downloads.
///
/// A target's first scrape costs a handshake and a read of the whole SDR repository (one Get SDR per record);
/// a warm scrape costs a few dozen packets. When thousands of targets start at once, running all their cold
/// starts together shares the CPU between them so thinly that none finishes before its deadline, and the next
/// interval starts over. Admitting at most ``limit`` at a time, first come first served, lets the admitted ones
/// finish while the rest wait their turn; warm scrapes never pass through here, so they keep their deadline.
public final class ColdStartQueue: Sendable {
    private struct Counts {
        var waiting = 0
        var running = 0
        var peakRunning = 0
    }

    public let limit: Int
    private let slots: AsyncSlots
    private let counts = Mutex(Counts())
    private let metrics: ExporterMetrics?

    public init(limit: Int, metrics: ExporterMetrics?) {
        self.limit = max(1, limit)
        self.slots = AsyncSlots(limit: self.limit)
        self.metrics = metrics
    }

    /// Cold starts waiting for a slot now.
    public var waiting: Int { counts.withLock { $0.waiting } }
    /// Cold starts running now.
    public var running: Int { counts.withLock { $0.running } }
    /// The most that ever ran at once.
    public var peakRunning: Int { counts.withLock { $0.peakRunning } }

    /// Runs `body` once a slot is free, in the order callers arrived. Throws `CancellationError` (having run
    /// nothing) if the caller is cancelled while waiting. `admitted` is called when the slot is taken.
    func run<T: Sendable>(
        admitted: @Sendable () -> Void = {}, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        update { $0.waiting += 1 }
        let granted = await slots.acquire()
        update { $0.waiting -= 1 }
        guard granted else { throw CancellationError() }
        update { counts in
            counts.running += 1
            counts.peakRunning = max(counts.peakRunning, counts.running)
        }
        metrics?.coldStartAdmitted()
        defer {
            update { $0.running -= 1 }
            slots.release()
        }
        admitted()
        return try await body()
    }

    private func update(_ change: (inout Counts) -> Void) {
        let now = counts.withLock { counts in
            change(&counts)
            return counts
        }
        metrics?.setColdStarts(waiting: now.waiting, running: now.running)
    }
}

/// One target's cold start, queued in a ``ColdStartQueue`` or running; see ``SessionCache/coldStart(_:module:logger:)``.
final class ColdStartJob: Sendable {
    private final class Flags: Sendable {
        let admitted = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
    }

    let task: Task<Void, any Error>
    private let flags: Flags

    init(queue: ColdStartQueue, work: @escaping @Sendable () async throws -> Void) {
        let flags = Flags()
        self.flags = flags
        task = Task {
            defer { flags.finished.store(true, ordering: .releasing) }
            try await queue.run(admitted: { flags.admitted.store(true, ordering: .releasing) }, work)
        }
    }

    /// True once the job has a slot (it is running or done), false while it waits for one.
    var admitted: Bool { flags.admitted.load(ordering: .acquiring) }
    var isFinished: Bool { flags.finished.load(ordering: .acquiring) }
}

/// A cold start that was queued or running when a scrape's deadline came; it goes on for the next scrape.
struct ColdStartPending: Error, CustomStringConvertible {
    var admitted: Bool
    var waiting: Int
    var running: Int

    var description: String {
        if admitted {
            return "the cold start (session handshake and SDR repository read) is still running; "
                + "it goes on for the next scrape"
        }
        return "waiting for a cold-start slot (\(waiting) waiting, \(running) running); "
            + "the place in the queue is kept for the next scrape"
    }
}

extension ExporterSettings {
    /// 8 per CPU core: enough to keep the cores busy while cold starts wait on the network, few enough that each
    /// admitted one finishes in seconds when thousands of targets start at once.
    public static let defaultMaxConcurrentColdStarts = 8 * System.coreCount
}
